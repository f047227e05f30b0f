//! Whole files: the sniffer, the CSV reader and every format's row mapper never panic on any
//! bytes; a file is either read or refused with an import error (or, for a header that does
//! not say its amounts' currency, the refusal that naming one would lift).
#![no_main]

use billfold::import::{check_reader, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for format in [Format::Auto, Format::Focus, Format::Tencent, Format::Huawei] {
        if let Err(e) = check_reader(data, "fuzz.csv", format) {
            assert!(
                matches!(
                    e.code,
                    billfold::ErrorCode::Import | billfold::ErrorCode::CurrencyUnstated
                ),
                "{:?}: {}",
                e.code,
                e.message
            );
        }
    }
});
