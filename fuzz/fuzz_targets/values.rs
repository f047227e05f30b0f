//! The value parsers never panic, and what they accept is exact: an amount's stored form and
//! its canonical text read back as the same amount; a time is a real instant.
#![no_main]

use billfold::import::values;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(d) = values::parse_amount(text) {
        let stored = billfold::store::amount_key::encode(d);
        assert_eq!(billfold::store::amount_key::decode(&stored), Some(d));
        let canon = billfold::money::to_text(d);
        assert_eq!(values::parse_amount(&canon).unwrap(), d);
    }
    for offset in [0, values::CST_OFFSET_SECS] {
        if let Ok(t) = values::parse_time(text, offset) {
            let _ = values::db_time(t);
            let _ = values::month_at(t, offset);
        }
    }
    let _ = values::parse_month(text);
    let _ = billfold::import::huawei::parse_range(text);
    let _ = billfold::import::focus::tags(text);
});
