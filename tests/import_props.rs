//! Property tests of the import parsers on stable Rust (the cargo-fuzz targets under fuzz/ go
//! further): no input panics, and every accepted amount is exact.

use billfold::import::{check_reader, values, Format};
use proptest::prelude::*;
use rust_decimal::Decimal;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any decimal written with any number of trailing zeros, sign, quotes-stripped spacing or an
    /// exponent reads back exactly.
    #[test]
    fn amounts_round_trip_exactly(
        mantissa in -10_i128.pow(20)..10_i128.pow(20),
        scale in 0u32..=18,
        zeros in 0usize..4,
        plus in any::<bool>(),
    ) {
        let d = Decimal::from_i128_with_scale(mantissa, scale);
        let mut text = d.to_string();
        if !text.contains('.') && zeros > 0 {
            text.push('.');
        }
        text.push_str(&"0".repeat(zeros));
        if plus && !text.starts_with('-') {
            text.insert(0, '+');
        }
        let parsed = values::parse_amount(&text).unwrap();
        prop_assert_eq!(parsed, d);
        // The same value written with an exponent: mantissa × 10^-scale.
        let sci = format!("{mantissa}E-{scale}");
        prop_assert_eq!(values::parse_amount(&sci).unwrap(), d);
    }

    #[test]
    fn value_parsers_never_panic(s in "\\PC{0,40}") {
        let _ = values::parse_amount(&s);
        let _ = values::parse_time(&s, values::CST_OFFSET_SECS);
        let _ = values::parse_month(&s);
        let _ = billfold::import::huawei::parse_range(&s);
        let _ = billfold::import::focus::tags(&s);
    }

    #[test]
    fn times_in_any_written_form_agree(
        y in 1990i32..2100, mo in 1u32..=12, d in 1u32..=28, h in 0u32..24, mi in 0u32..60, s in 0u32..60,
    ) {
        let z = values::parse_time(&format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"), 0).unwrap();
        let space = values::parse_time(&format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"), 0).unwrap();
        let cst = values::parse_time(&format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} GMT+08:00"), 0).unwrap();
        let cst_default = values::parse_time(&format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"), values::CST_OFFSET_SECS).unwrap();
        prop_assert_eq!(z, space);
        prop_assert_eq!(cst, cst_default);
        prop_assert_eq!(z - cst, chrono::Duration::hours(8));
    }

    /// Arbitrary bytes after a real header: read or refused with an import error, never a panic.
    #[test]
    fn rows_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400), which in 0usize..3) {
        let header: &[u8] = match which {
            0 => b"BilledCost,EffectiveCost,BillingAccountId,BillingCurrency,BillingPeriodStart,ChargeCategory,ProviderName,Tags\n",
            1 => "支付者UIN,产品名称,扣费时间,优惠后总价,代金券支出(元),标签键:env\n".as_bytes(),
            _ => "账期,账号,产品类型,应付金额(¥),消费时间,现金券抵扣(¥)\n".as_bytes(),
        };
        let mut data = header.to_vec();
        data.extend_from_slice(&body);
        if let Err(e) = check_reader(&data[..], "prop.csv", Format::Auto) {
            prop_assert_eq!(e.code, billfold::ErrorCode::Import);
        }
    }
}
