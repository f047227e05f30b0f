//! The stored form of cost-line amounts: an exact decimal as a short byte string whose byte
//! order (SQLite compares BLOBs with `memcmp`) is the numeric order.
//!
//! Cost lines are the bulk of a ledger (millions of rows) and the explorer sorts them by
//! amount, so their amounts need a form that is exact (every digit a provider gave, up to
//! `Decimal`'s 28 places), compact, quick to decode, and sortable by SQLite itself so that an
//! index can serve "the largest lines first". Canonical text is exact but sorts as text;
//! a scaled integer cannot hold 12 decimal places and a large yen amount at once; a float is
//! not exact. This encoding is all four. Other amounts (journal, rollups) stay canonical text.
//!
//! Layout, with the value written as `0.d1 d2 … dn × 10^e` (`d1 ≠ 0`, no trailing zero):
//!
//! ```text
//! zero      0x80
//! positive  0x81, e + 64, digits packed two per byte as nibbles d + 1 (a last odd digit
//!           is followed by the nibble 0)
//! negative  0x7F, then the positive form's bytes after the sign complemented (255 − b),
//!           then 0xFF
//! ```
//!
//! Why it sorts: the sign byte orders negatives < zero < positives; among positives a larger
//! exponent is a larger number, and for the same exponent the digit nibbles (1–10, with 0 for
//! padding and a shorter string sorting first) compare digit by digit. Complementing reverses
//! that order for negatives; the final 0xFF (greater than any complemented digit byte, which
//! is at most 0xEF) makes a shorter negative digit string, the one nearer zero, sort after a
//! longer one that shares its prefix. `tests` and `tests/amount_key_props.rs` check both the
//! round trip and the order on random values.

use rust_decimal::Decimal;

const ZERO: u8 = 0x80;
const POSITIVE: u8 = 0x81;
const NEGATIVE: u8 = 0x7F;
const EXP_BIAS: i32 = 64;

/// Encodes `d` (any `Decimal`) into `out`, which is cleared first.
pub fn encode_into(d: Decimal, out: &mut Vec<u8>) {
    out.clear();
    if d.is_zero() {
        out.push(ZERO);
        return;
    }
    // Decimal digits of the mantissa, least significant first (at most 29), then without the
    // trailing zeros (each one taken off lowers the scale).
    let mut digits = [0u8; 40];
    let n = digits_least_first(d.mantissa().unsigned_abs(), &mut digits);
    let zeros = digits[..n].iter().take_while(|&&x| x == 0).count();
    let digits = &mut digits[zeros..n];
    digits.reverse();
    let n = digits.len();
    let scale = d.scale() as i32 - zeros as i32;
    let e = n as i32 - scale;
    let negative = d.is_sign_negative();
    let flip = |b: u8| if negative { 255 - b } else { b };
    out.push(if negative { NEGATIVE } else { POSITIVE });
    out.push(flip((e + EXP_BIAS) as u8));
    for pair in digits.chunks(2) {
        let hi = pair[0] + 1;
        let lo = pair.get(1).map_or(0, |d| d + 1);
        out.push(flip((hi << 4) | lo));
    }
    if negative {
        out.push(0xFF);
    }
}

/// Writes the decimal digits of `m` into `out`, least significant first; returns how many.
/// A 128-bit division is a library call, so 19 digits at a time are split off with one and
/// the digits themselves come from 64-bit divisions by 10, which compile to multiplications
/// (the importer encodes several amounts per line; a 14-digit amount: 96 ns before, 40 ns).
fn digits_least_first(mut m: u128, out: &mut [u8; 40]) -> usize {
    const LIMB: u128 = 10_000_000_000_000_000_000; // 10^19, the largest power of 10 in a u64
    let mut n = 0;
    while m > u64::MAX as u128 {
        let mut limb = (m % LIMB) as u64;
        m /= LIMB;
        for _ in 0..19 {
            out[n] = (limb % 10) as u8;
            limb /= 10;
            n += 1;
        }
    }
    let mut m = m as u64;
    while m > 0 {
        out[n] = (m % 10) as u8;
        m /= 10;
        n += 1;
    }
    n
}

/// Encodes `d` into a new byte string.
pub fn encode(d: Decimal) -> Vec<u8> {
    let mut v = Vec::with_capacity(18);
    encode_into(d, &mut v);
    v
}

/// Decodes what [`encode`] wrote; `None` for bytes it cannot have written.
pub fn decode(b: &[u8]) -> Option<Decimal> {
    let (&sign, rest) = b.split_first()?;
    let (negative, body) = match sign {
        ZERO => return rest.is_empty().then_some(Decimal::ZERO),
        POSITIVE => (false, rest),
        NEGATIVE => match rest.split_last() {
            Some((0xFF, body)) => (true, body),
            _ => return None,
        },
        _ => return None,
    };
    let flip = |b: u8| if negative { 255 - b } else { b };
    let (&e, packed) = body.split_first()?;
    let e = flip(e) as i32 - EXP_BIAS;
    if packed.is_empty() {
        return None;
    }
    let mut m: u128 = 0;
    let mut n: i32 = 0;
    for (i, &byte) in packed.iter().enumerate() {
        let byte = flip(byte);
        let (hi, lo) = (byte >> 4, byte & 0x0F);
        if !(1..=10).contains(&hi) || lo > 10 || (lo == 0 && i + 1 != packed.len()) {
            return None;
        }
        m = m * 10 + (hi - 1) as u128;
        n += 1;
        if lo != 0 {
            m = m * 10 + (lo - 1) as u128;
            n += 1;
        }
        if n > 29 {
            return None;
        }
    }
    let mut scale = n - e;
    while scale < 0 {
        m = m.checked_mul(10)?;
        scale += 1;
    }
    if scale > 28 || m >= 1u128 << 96 {
        return None;
    }
    let signed = if negative { -(m as i128) } else { m as i128 };
    Decimal::try_from_i128_with_scale(signed, scale as u32).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn round_trips_exactly() {
        for s in [
            "0",
            "1",
            "-1",
            "12.3456789012",
            "1200.123456789012",
            "-0.0000000001",
            "1200",
            "-5.25",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "0.0000000000000000000000000001",
            "0.1234567890123456789012345678",
            "100000000000000000000",
            // Around the 19-digit split of digits_least_first, with and without zeros.
            "10000000000000000000",
            "10000000000000000001",
            "18446744073709551615",
            "18446744073709551616",
            "1844674407370955161.6",
            "-100000000000000000000000000.0",
        ] {
            let v = d(s);
            assert_eq!(decode(&encode(v)), Some(v), "{s}");
        }
        // The bytes themselves, pinned (they are stored: the layout may never change).
        assert_eq!(encode(d("1200.50")), [POSITIVE, 64 + 4, 0x23, 0x11, 0x60]);
        assert_eq!(
            encode(d("-10000000000000000000")),
            [NEGATIVE, 255 - (64 + 20), 255 - 0x20, 0xFF]
        );
    }

    #[test]
    fn byte_order_is_numeric_order() {
        let mut values: Vec<Decimal> = [
            "-1200",
            "-12.5",
            "-12.3",
            "-0.123",
            "-0.12",
            "-0.1",
            "-0.0000000001",
            "0",
            "0.0000000001",
            "0.1",
            "0.12",
            "0.123",
            "1",
            "1.5",
            "9.99",
            "10",
            "12",
            "120",
            "1200.123456789012",
            "79228162514264337593543950335",
        ]
        .iter()
        .map(|s| d(s))
        .collect();
        values.sort();
        let encoded: Vec<Vec<u8>> = values.iter().map(|v| encode(*v)).collect();
        for w in encoded.windows(2) {
            assert!(w[0] < w[1], "{:?} !< {:?}", w[0], w[1]);
        }
    }

    #[test]
    fn equal_values_encode_equally() {
        assert_eq!(encode(d("1.50")), encode(d("1.5")));
        assert_eq!(encode(d("-0.0")), encode(Decimal::ZERO));
    }

    #[test]
    fn refuses_bytes_it_did_not_write() {
        for b in [
            &[][..],
            &[0x81],
            &[0x81, 64],
            &[0x7F, 0xBF, 0xDC],
            &[0x81, 64, 0x0F],
            &[0x80, 1],
        ] {
            assert_eq!(decode(b), None, "{b:?}");
        }
    }
}
