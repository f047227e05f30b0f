//! Property tests of the stored form of cost-line amounts (`store::amount_key`): every decimal
//! comes back exactly, and the byte order SQLite sorts BLOBs by is the numeric order — in Rust
//! and in SQLite itself.

use billfold::store::amount_key::{decode, encode};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Any `Decimal`: a 96-bit mantissa, a sign and a scale of 0 to 28.
fn any_decimal() -> impl Strategy<Value = Decimal> {
    (
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<bool>(),
        0u32..=28,
    )
        .prop_map(|(lo, mid, hi, negative, scale)| {
            Decimal::from_parts(lo, mid, hi, negative, scale)
        })
}

/// Decimals that are often close to each other (shared digits, small scales), where an order
/// mistake would show.
fn near_decimal() -> impl Strategy<Value = Decimal> {
    (-100_000i64..100_000, 0u32..6).prop_map(|(m, s)| Decimal::new(m, s))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    #[test]
    fn every_decimal_round_trips_exactly(d in any_decimal()) {
        prop_assert_eq!(decode(&encode(d)), Some(d));
    }

    #[test]
    fn byte_order_is_numeric_order(a in any_decimal(), b in any_decimal()) {
        prop_assert_eq!(encode(a).cmp(&encode(b)), a.cmp(&b));
    }

    #[test]
    fn byte_order_is_numeric_order_for_near_values(a in near_decimal(), b in near_decimal()) {
        prop_assert_eq!(encode(a).cmp(&encode(b)), a.cmp(&b));
    }

    #[test]
    fn decoding_any_bytes_never_panics(b in proptest::collection::vec(any::<u8>(), 0..24)) {
        if let Some(d) = decode(&b) {
            // Whatever decodes is a value whose own encoding decodes to it.
            prop_assert_eq!(decode(&encode(d)), Some(d));
        }
    }
}

#[test]
fn sqlite_orders_the_keys_numerically() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute("CREATE TABLE t (k BLOB)", []).unwrap();
    let values: Vec<Decimal> = [
        "-79228162514264337593543950335",
        "-1200.5",
        "-12",
        "-0.5",
        "-0.0000000001",
        "0",
        "0.000000000001",
        "0.1",
        "0.12",
        "1",
        "10.0000000000001",
        "1200.123456789012",
        "79228162514264337593543950335",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    for v in values.iter().rev() {
        conn.execute("INSERT INTO t VALUES (?1)", [encode(*v)])
            .unwrap();
    }
    let sorted: Vec<Decimal> = conn
        .prepare("SELECT k FROM t ORDER BY k")
        .unwrap()
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|b| decode(&b.unwrap()).unwrap())
        .collect();
    assert_eq!(sorted, values);
}
