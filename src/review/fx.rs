//! Exchange rates kept by the user. Nothing is converted without a rate the user entered, and
//! every converted figure carries the rate and the date it used.

use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::money::{to_text, Currency};

/// Records 1 FROM = RATE TO on a date.
pub fn add(
    conn: &Connection,
    from: &Currency,
    to: &Currency,
    rate: Decimal,
    on: NaiveDate,
) -> Result<()> {
    if from == to {
        return Err(Error::invalid(
            "a rate converts between two different currencies",
        ));
    }
    if rate <= Decimal::ZERO {
        return Err(Error::invalid(format!(
            "a rate must be more than zero, not {rate}"
        )));
    }
    conn.execute(
        "INSERT OR REPLACE INTO fx_rates (from_currency, to_currency, on_date, rate) VALUES (?1, ?2, ?3, ?4)",
        params![from.code(), to.code(), on.format("%Y-%m-%d").to_string(), to_text(rate)],
    )?;
    Ok(())
}

/// One rate the user keeps: 1 `from` = `rate` `to`, on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rate {
    pub from: String,
    pub to: String,
    /// `YYYY-MM-DD`.
    pub on: String,
    #[serde(with = "crate::money::text")]
    pub rate: Decimal,
}

/// Every rate kept, by currency pair then date.
pub fn list(conn: &Connection) -> Result<Vec<Rate>> {
    let mut stmt = conn.prepare(
        "SELECT from_currency, to_currency, on_date, rate FROM fx_rates
         ORDER BY from_currency, to_currency, on_date",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (from, to, on, rate) = row?;
        out.push(Rate {
            from,
            to,
            on,
            rate: crate::money::parse_amount(&rate)?,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct Converted {
    #[serde(with = "crate::money::text")]
    pub amount: Decimal,
    pub from: String,
    #[serde(with = "crate::money::text")]
    pub converted: Decimal,
    pub to: String,
    /// The rate used: 1 `from` = `rate` `to` (inverted from a stored TO→FROM rate if needed).
    #[serde(with = "crate::money::text")]
    pub rate: Decimal,
    /// The date of the rate used: the latest on or before the date asked for.
    pub rate_date: String,
    pub inverted: bool,
}

/// Converts with the latest rate on or before `on` (either direction). The converted figure is
/// exact to 10 decimal places (half away from zero); it is rounded only for display.
pub fn convert(
    conn: &Connection,
    amount: Decimal,
    from: &Currency,
    to: &Currency,
    on: NaiveDate,
) -> Result<Converted> {
    let day = on.format("%Y-%m-%d").to_string();
    let find = |a: &Currency, b: &Currency| -> Result<Option<(String, String)>> {
        Ok(conn
            .query_row(
                "SELECT rate, on_date FROM fx_rates WHERE from_currency = ?1 AND to_currency = ?2
                 AND on_date <= ?3 ORDER BY on_date DESC LIMIT 1",
                params![a.code(), b.code(), day],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    };
    let (rate, rate_date, inverted) = match find(from, to)? {
        Some((r, d)) => (r.parse::<Decimal>().unwrap_or_default(), d, false),
        None => match find(to, from)? {
            Some((r, d)) => {
                let r: Decimal = r.parse().unwrap_or_default();
                (Decimal::ONE.checked_div(r).unwrap_or_default(), d, true)
            }
            None => {
                return Err(Error::not_found(format!(
                    "there is no {from}→{to} rate on or before {day}: add one with `billfold fx add {from} {to} RATE --on DATE`"
                )))
            }
        },
    };
    let converted = amount
        .checked_mul(rate)
        .ok_or_else(|| Error::refused("the converted amount is too large to hold exactly"))?
        .round_dp_with_strategy(10, RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    Ok(Converted {
        amount,
        from: from.code().to_string(),
        converted,
        to: to.code().to_string(),
        rate: rate
            .round_dp_with_strategy(10, RoundingStrategy::MidpointAwayFromZero)
            .normalize(),
        rate_date,
        inverted,
    })
}
