//! Times. The core never reads the clock: every operation is given its time. Front ends parse
//! what a person types here (RFC 3339, or a bare date meaning its midnight UTC).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::error::{Error, Result};

/// Parses `2026-11-23T08:00:00Z`, `2026-11-23T16:00:00+08:00` or `2026-11-23` (midnight UTC).
pub fn parse(text: &str) -> Result<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(midnight(d));
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S") {
        return Ok(Utc.from_utc_datetime(&dt));
    }
    Err(Error::invalid(format!(
        "'{text}' is not a time: expected RFC 3339 such as 2026-11-23T08:00:00Z, or a date such as 2026-11-23"
    )))
}

pub fn midnight(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

/// An end of validity as a person writes it: a time as given, or a date meaning through that
/// day — until the next midnight UTC (a voucher "expiring 2026-12-31" still pays on the 31st).
pub fn parse_until(text: &str) -> Result<DateTime<Utc>> {
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(d) => d
            .succ_opt()
            .map(midnight)
            .ok_or_else(|| Error::invalid(format!("'{text}' is the last day there is"))),
        Err(_) => parse(text),
    }
}

/// How an end of validity reads: "through 2026-12-31" when it falls at midnight UTC (the day
/// before is the last one), else "until" the time.
pub fn until_text(t: DateTime<Utc>) -> String {
    if t.time() == chrono::NaiveTime::MIN {
        format!("through {}", (t - Duration::days(1)).format("%Y-%m-%d"))
    } else {
        format!("until {}", to_db(t))
    }
}

/// The stored form: RFC 3339 UTC with whole seconds, so that text order is time order.
pub fn to_db(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Reads the stored form back.
pub fn from_db(text: &str) -> Result<DateTime<Utc>> {
    parse(text)
}

/// `YYYY-MM` of a time (UTC).
pub fn month_of(t: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", t.year(), t.month())
}

/// The `n` months ending with the month of `t`, oldest first.
pub fn last_months(t: DateTime<Utc>, n: u32) -> Vec<String> {
    let (mut y, mut m) = (t.year(), t.month() as i32);
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        out.push(format!("{y:04}-{m:02}"));
        m -= 1;
        if m == 0 {
            m = 12;
            y -= 1;
        }
    }
    out.reverse();
    out
}

/// Adds whole calendar months (day clamped to the month's end).
pub fn add_months(t: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    t.checked_add_months(chrono::Months::new(months))
        .unwrap_or(t + Duration::days(30 * months as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_of_validity_means_through_that_day() {
        let t = parse_until("2026-12-31").unwrap();
        assert_eq!(to_db(t), "2027-01-01T00:00:00Z");
        assert_eq!(until_text(t), "through 2026-12-31");
        let t = parse_until("2026-12-31T12:00:00Z").unwrap();
        assert_eq!(until_text(t), "until 2026-12-31T12:00:00Z");
    }

    #[test]
    fn parses_the_forms_people_type() {
        assert_eq!(to_db(parse("2026-11-23").unwrap()), "2026-11-23T00:00:00Z");
        assert_eq!(
            to_db(parse("2026-11-23T16:00:00+08:00").unwrap()),
            "2026-11-23T08:00:00Z"
        );
        assert!(parse("23/11/2026").is_err());
    }

    #[test]
    fn six_months_back_crosses_the_year() {
        let t = parse("2026-02-10").unwrap();
        assert_eq!(
            last_months(t, 6),
            ["2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02"]
        );
    }
}
