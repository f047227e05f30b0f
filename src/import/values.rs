//! Value parsers for exported bills: nulls, amounts, times, months. Exact and allocation-free on
//! the common path; every refusal says what was expected (the error catalogue's sentences).
//!
//! Amounts are parsed from their text into a `Decimal` with no rounding: a value that cannot be
//! held exactly (more than 28 significant digits) is refused, never rounded.

use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc};
use rust_decimal::Decimal;

/// China Standard Time, the zone of Tencent and Huawei exports: UTC+08:00.
pub const CST_OFFSET_SECS: i32 = 8 * 3600;

/// The value of a field, or `None` when it is empty: an empty field, only spaces, `-` (Tencent,
/// Huawei), the bare tokens `NULL` / `null` (FOCUS exports written by some engines) or
/// `(null)` (how some tools print a null: the FOCUS specification's correction samples).
pub fn non_null(field: &str) -> Option<&str> {
    let t = field.trim();
    match t {
        "" | "-" | "NULL" | "null" | "Null" | "(null)" | "(NULL)" | "(Null)" => None,
        _ => Some(t),
    }
}

/// What was wrong with a value: the sentence after "'VALUE' is not ...".
pub type Expected = &'static str;

pub const EXPECTED_AMOUNT: Expected =
    "an amount: expected a decimal number such as 12.50, -0.0000000001 or 1.5E-7 (no thousands separators, no currency symbols)";
pub const EXPECTED_EXACT: Expected =
    "an amount Billfold can hold exactly: at most 28 significant digits and 28 decimal places";
pub const EXPECTED_TIME: Expected =
    "a time: expected a date and time such as 2024-09-01T00:00:00Z, 2024-09-01 00:00:00 or 2020-08-23 22:00:00 GMT+08:00";
pub const EXPECTED_MONTH: Expected =
    "a billing month: expected a month such as 2024-09, 2024/09 or 202409";

/// Parses an amount exactly. Accepts an optional sign, digits with an optional fraction, and an
/// optional exponent (`1.5E-7`, written by some exporters for tiny values). The quotes of a
/// quoted number are removed by the CSV reader before this sees the text.
pub fn parse_amount(text: &str) -> Result<Decimal, Expected> {
    let t = text.trim();
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let mut digits = 0usize;
    let mut dots = 0usize;
    let mut exp_at = None;
    while i < b.len() {
        match b[i] {
            b'0'..=b'9' => digits += 1,
            b'.' => dots += 1,
            b'e' | b'E' => {
                exp_at = Some(i);
                break;
            }
            _ => return Err(EXPECTED_AMOUNT),
        }
        i += 1;
    }
    if digits == 0 || dots > 1 {
        return Err(EXPECTED_AMOUNT);
    }
    match exp_at {
        None => crate::money::exact_from_str(t).ok_or(EXPECTED_EXACT),
        Some(e) => {
            let exp = &t[e + 1..];
            let eb = exp.as_bytes();
            let start = usize::from(!eb.is_empty() && (eb[0] == b'-' || eb[0] == b'+'));
            // At most 4 digits of exponent (its sign aside): beyond, no amount is exact.
            if eb.len() == start
                || !eb[start..].iter().all(u8::is_ascii_digit)
                || eb.len() - start > 4
            {
                return Err(EXPECTED_AMOUNT);
            }
            exact_scientific(&t[..e], exp.parse::<i32>().map_err(|_| EXPECTED_AMOUNT)?)
        }
    }
}

/// `mantissa × 10^exp` exactly (no float on the way).
fn exact_scientific(mantissa: &str, exp: i32) -> Result<Decimal, Expected> {
    // Normalized: `1.0E-28` is 10^-28, which fits, though `1.0` has one decimal place.
    let m = crate::money::exact_from_str(mantissa)
        .ok_or(EXPECTED_EXACT)?
        .normalize();
    if m.is_zero() {
        return Ok(Decimal::ZERO);
    }
    let scale = m.scale() as i64 - exp as i64;
    if scale >= 0 {
        if scale > 28 {
            return Err(EXPECTED_EXACT);
        }
        let mut d = m;
        d.set_scale(scale as u32).map_err(|_| EXPECTED_EXACT)?;
        Ok(d)
    } else {
        // Positive exponent beyond the fraction: multiply by 10^-scale.
        let mut d = m;
        d.set_scale(0).map_err(|_| EXPECTED_EXACT)?;
        let mut out = d;
        for _ in 0..(-scale) {
            out = out.checked_mul(Decimal::TEN).ok_or(EXPECTED_EXACT)?;
        }
        Ok(out)
    }
}

/// Parses a time as exports write them: `2024-09-01T00:00:00Z`, `2024-09-01 00:00:00` (no `T`,
/// no zone), fractional seconds, `+08:00`/`+0800` offsets, `2020-08-23 22:00:00 GMT+08:00`,
/// `2024/09/01 00:00:00`, or a bare date (its midnight). A time without a zone is in
/// `default_offset_secs` east of UTC (0 for FOCUS, +8 h for Tencent and Huawei).
pub fn parse_time(text: &str, default_offset_secs: i32) -> Result<DateTime<Utc>, Expected> {
    let b = text.trim().as_bytes();
    let num = |s: &[u8]| -> Option<u32> {
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(s.iter().fold(0u32, |a, &c| a * 10 + (c - b'0') as u32))
    };
    if b.len() < 10 || !(b[4] == b'-' || b[4] == b'/') || b[7] != b[4] {
        return Err(EXPECTED_TIME);
    }
    let (y, mo, d) = (
        num(&b[0..4]).ok_or(EXPECTED_TIME)?,
        num(&b[5..7]).ok_or(EXPECTED_TIME)?,
        num(&b[8..10]).ok_or(EXPECTED_TIME)?,
    );
    let date = NaiveDate::from_ymd_opt(y as i32, mo, d).ok_or(EXPECTED_TIME)?;
    let mut i = 10;
    let (mut h, mut mi, mut s) = (0, 0, 0);
    if i < b.len() && (b[i] == b'T' || b[i] == b't' || b[i] == b' ') && b.len() >= i + 6 {
        let at = i + 1;
        if b.len() >= at + 5 && b[at + 2] == b':' && b[at].is_ascii_digit() {
            h = num(&b[at..at + 2]).ok_or(EXPECTED_TIME)?;
            mi = num(&b[at + 3..at + 5]).ok_or(EXPECTED_TIME)?;
            i = at + 5;
            if i < b.len() && b[i] == b':' {
                s = num(b.get(i + 1..i + 3).ok_or(EXPECTED_TIME)?).ok_or(EXPECTED_TIME)?;
                i += 3;
                if i < b.len() && (b[i] == b'.' || b[i] == b',') {
                    i += 1;
                    let st = i;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    if i == st {
                        return Err(EXPECTED_TIME);
                    }
                }
            }
        }
    }
    if h > 23 || mi > 59 || s > 60 {
        return Err(EXPECTED_TIME);
    }
    // Zone.
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    let rest = &b[i..];
    let offset = if rest.is_empty() {
        default_offset_secs
    } else if rest == b"Z" || rest == b"z" || rest == b"UTC" || rest == b"GMT" {
        0
    } else {
        let r = rest
            .strip_prefix(b"GMT")
            .or_else(|| rest.strip_prefix(b"UTC"))
            .unwrap_or(rest);
        parse_offset(r).ok_or(EXPECTED_TIME)?
    };
    let naive = date.and_hms_opt(h, mi, s.min(59)).ok_or(EXPECTED_TIME)?;
    let utc = naive - chrono::Duration::seconds(offset as i64);
    Ok(Utc.from_utc_datetime(&utc))
}

/// `+08:00`, `+0800`, `+08`, `-05:30`.
fn parse_offset(r: &[u8]) -> Option<i32> {
    let sign = match r.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let r = &r[1..];
    let d = |s: &[u8]| -> Option<i32> {
        (s.len() == 2 && s.iter().all(u8::is_ascii_digit))
            .then(|| ((s[0] - b'0') * 10 + (s[1] - b'0')) as i32)
    };
    let (hh, mm) = match r.len() {
        2 => (d(r)?, 0),
        4 => (d(&r[..2])?, d(&r[2..])?),
        5 if r[2] == b':' => (d(&r[..2])?, d(&r[3..])?),
        _ => return None,
    };
    if hh > 14 || mm > 59 {
        return None;
    }
    Some(sign * (hh * 3600 + mm * 60))
}

/// The stored text of a time (`time::to_db`'s format), written without an allocation.
pub fn db_time(t: DateTime<Utc>) -> [u8; 20] {
    let mut o = *b"0000-00-00T00:00:00Z";
    let put = |o: &mut [u8; 20], at: usize, v: u32, n: usize| {
        let mut v = v;
        for k in (0..n).rev() {
            o[at + k] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(&mut o, 0, t.year().clamp(0, 9999) as u32, 4);
    put(&mut o, 5, t.month(), 2);
    put(&mut o, 8, t.day(), 2);
    put(&mut o, 11, t.hour(), 2);
    put(&mut o, 14, t.minute(), 2);
    put(&mut o, 17, t.second(), 2);
    o
}

/// `YYYY-MM` of a time seen at `offset_secs` east of UTC.
pub fn month_at(t: DateTime<Utc>, offset_secs: i32) -> [u8; 7] {
    let local = t + chrono::Duration::seconds(offset_secs as i64);
    let mut o = *b"0000-00";
    let y = local.year().clamp(0, 9999) as u32;
    for (k, v) in [
        (0, y / 1000),
        (1, y / 100 % 10),
        (2, y / 10 % 10),
        (3, y % 10),
    ] {
        o[k] = b'0' + v as u8;
    }
    o[5] = b'0' + (local.month() / 10) as u8;
    o[6] = b'0' + (local.month() % 10) as u8;
    o
}

/// A billing month as Huawei writes 账期: `2024-09`, `2024/09`, `202409`, `2024-9`, or a date in it.
pub fn parse_month(text: &str) -> Result<[u8; 7], Expected> {
    let t = text.trim();
    let b = t.as_bytes();
    let (y, m) = if b.len() == 6 && b.iter().all(u8::is_ascii_digit) {
        (&t[..4], &t[4..])
    } else if b.len() >= 6 && (b[4] == b'-' || b[4] == b'/' || b[4] == b'.') {
        let rest = &t[5..];
        let end = rest.find(['-', '/', '.']).unwrap_or(rest.len());
        if end < rest.len() {
            // A date: check it is one, and one the month has (not 2024-02-31).
            let d = &rest[end + 1..];
            if d.is_empty() || d.len() > 2 || !d.bytes().all(|c| c.is_ascii_digit()) {
                return Err(EXPECTED_MONTH);
            }
            let (year, month, day) = (t[..4].parse(), rest[..end].parse(), d.parse());
            let (Ok(year), Ok(month), Ok(day)) = (year, month, day) else {
                return Err(EXPECTED_MONTH);
            };
            if NaiveDate::from_ymd_opt(year, month, day).is_none() {
                return Err(EXPECTED_MONTH);
            }
        }
        (&t[..4], &rest[..end])
    } else {
        return Err(EXPECTED_MONTH);
    };
    if !y.bytes().all(|c| c.is_ascii_digit())
        || m.is_empty()
        || m.len() > 2
        || !m.bytes().all(|c| c.is_ascii_digit())
    {
        return Err(EXPECTED_MONTH);
    }
    let mv = u32::from_str(m).map_err(|_| EXPECTED_MONTH)?;
    if !(1..=12).contains(&mv) {
        return Err(EXPECTED_MONTH);
    }
    let mut o = *b"0000-00";
    o[..4].copy_from_slice(y.as_bytes());
    o[5] = b'0' + (mv / 10) as u8;
    o[6] = b'0' + (mv % 10) as u8;
    Ok(o)
}

/// The first instant after the month `YYYY-MM` ends, at `offset_secs` east of UTC.
pub fn month_end(month: &str, offset_secs: i32) -> Option<DateTime<Utc>> {
    let y: i32 = month.get(..4)?.parse().ok()?;
    let m: u32 = month.get(5..7)?.parse().ok()?;
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let naive = NaiveDate::from_ymd_opt(ny, nm, 1)?.and_hms_opt(0, 0, 0)?;
    Some(Utc.from_utc_datetime(&naive) - chrono::Duration::seconds(offset_secs as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn amounts_are_exact() {
        assert_eq!(parse_amount("12.50").unwrap(), d("12.5"));
        assert_eq!(parse_amount(" -0.0000000001 ").unwrap(), d("-0.0000000001"));
        assert_eq!(parse_amount("+3").unwrap(), d("3"));
        assert_eq!(parse_amount("1.5E-7").unwrap(), d("0.00000015"));
        assert_eq!(parse_amount("2e3").unwrap(), d("2000"));
        assert_eq!(parse_amount("-1.25e+1").unwrap(), d("-12.5"));
        assert_eq!(
            parse_amount("0.123456789012345").unwrap(),
            d("0.123456789012345")
        );
        for bad in [
            "", "1,000", "$5", "¥5", "1.2.3", "abc", "-", ".", "1e", "e5", "1e99999", "NaN",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_amount("1.00000000000000000000000000001").unwrap_err(),
            EXPECTED_EXACT
        );
        // More than 28 decimal places written, fewer needed: the same number, held exactly.
        assert_eq!(
            parse_amount("0.00000000000000000000000000010").unwrap(),
            d("0.0000000000000000000000000001")
        );
        assert_eq!(
            parse_amount("5.000000000000000000000000000000").unwrap(),
            d("5")
        );
        assert_eq!(
            parse_amount("1.0E-28").unwrap(),
            d("0.0000000000000000000000000001")
        );
        assert_eq!(parse_amount("0E-30").unwrap(), Decimal::ZERO);
        assert_eq!(parse_amount("-0.0e-40").unwrap(), Decimal::ZERO);
        // Four exponent digits, its sign aside.
        assert_eq!(parse_amount("1e-0005").unwrap(), d("0.00001"));
        assert_eq!(parse_amount("1e+0003").unwrap(), d("1000"));
        assert_eq!(parse_amount("1e-00005").unwrap_err(), EXPECTED_AMOUNT);
        // Needing more than 28 decimal places: refused, never rounded.
        assert_eq!(parse_amount("1.5E-28").unwrap_err(), EXPECTED_EXACT);
        assert_eq!(
            parse_amount("0.00000000000000000000000000011").unwrap_err(),
            EXPECTED_EXACT
        );
    }

    #[test]
    fn times_in_every_written_form() {
        let t = |s: &str, off| {
            std::str::from_utf8(&db_time(parse_time(s, off).unwrap()))
                .unwrap()
                .to_string()
        };
        assert_eq!(t("2024-09-01T00:00:00Z", 0), "2024-09-01T00:00:00Z");
        assert_eq!(t("2024-09-01 00:00:00", 0), "2024-09-01T00:00:00Z");
        assert_eq!(
            t("2024-09-01 00:00:00", CST_OFFSET_SECS),
            "2024-08-31T16:00:00Z"
        );
        assert_eq!(
            t("2024-09-01T08:00:00.123+08:00", 0),
            "2024-09-01T00:00:00Z"
        );
        assert_eq!(
            t("2020-08-23 22:00:00 GMT+08:00", 0),
            "2020-08-23T14:00:00Z"
        );
        assert_eq!(
            t("2024/09/01 08:00:00", CST_OFFSET_SECS),
            "2024-09-01T00:00:00Z"
        );
        assert_eq!(t("2024-09-01", 0), "2024-09-01T00:00:00Z");
        assert_eq!(t("2024-09-01T00:00:00-0500", 0), "2024-09-01T05:00:00Z");
        for bad in [
            "",
            "2024-13-01",
            "2024-02-30",
            "01/09/2024",
            "2024-09-01 25:00:00",
            "2024-09-01X",
            "2024-09-01T00:00:00+99:00",
        ] {
            assert!(parse_time(bad, 0).is_err(), "{bad}");
        }
    }

    #[test]
    fn months() {
        for (s, m) in [
            ("2024-09", "2024-09"),
            ("2024/9", "2024-09"),
            ("202409", "2024-09"),
            ("2024-09-15", "2024-09"),
            ("2024-02-29", "2024-02"),
        ] {
            assert_eq!(std::str::from_utf8(&parse_month(s).unwrap()).unwrap(), m);
        }
        for bad in [
            "2024-13",
            "24-09",
            "2024",
            "September",
            "2024-02-31",
            "2024-09-00",
            "2023-02-29",
        ] {
            assert!(parse_month(bad).is_err(), "{bad}");
        }
        let t = parse_time("2024-08-31 20:00:00Z", 0).unwrap();
        assert_eq!(&month_at(t, CST_OFFSET_SECS), b"2024-09");
        assert_eq!(
            month_end("2024-12", 0).unwrap(),
            parse_time("2025-01-01T00:00:00Z", 0).unwrap()
        );
    }

    #[test]
    fn nulls() {
        for n in ["", "  ", "-", "NULL", "null", "(null)", " (NULL) "] {
            assert!(non_null(n).is_none());
        }
        assert_eq!(non_null(" x "), Some("x"));
        assert_eq!(non_null("-5"), Some("-5"));
    }
}

#[cfg(test)]
mod edge_tests {
    use super::*;

    #[test]
    fn bare_points_are_read_or_refused_as_amounts() {
        for (t, ok) in [
            (".5", true),
            ("-.5", true),
            ("5.", true),
            ("1_000", false),
            ("0x10", false),
        ] {
            let r = parse_amount(t);
            assert_eq!(r.is_ok(), ok, "{t}: {r:?}");
            if let Err(e) = r {
                assert_eq!(e, EXPECTED_AMOUNT, "{t}");
            }
        }
        assert_eq!(parse_amount("5.").unwrap().to_string(), "5");
    }
}
