//! Exact sums of cost lines kept at write time, in Rust (SQLite never sums money).

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension, Transaction};
use rust_decimal::Decimal;
use serde::Serialize;

use super::facts::FactDelta;
use super::{stored_amount, CostLine};
use crate::error::{Error, Result};
use crate::ledger::journal::parse_stored;
use crate::money::{to_text, Currency};
use crate::store::labels::Labels;

/// The key of one rollup row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RollupKey {
    pub account_id: String,
    pub sub_account_id: String,
    pub month: String,
    pub service: String,
    pub currency: String,
}

/// Sums of one rollup row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollupSums {
    pub billed: Decimal,
    pub effective: Decimal,
    pub list: Decimal,
    pub net: Decimal,
    pub lines: i64,
}

impl RollupSums {
    pub(crate) fn add(&mut self, other: &RollupSums, sign: i64) -> Result<()> {
        let add = |a: Decimal, b: Decimal| {
            crate::money::exact_add(a, if sign < 0 { -b } else { b }).ok_or_else(|| {
                Error::refused(
                    "a cost total exceeds 28 significant digits and cannot be kept exactly",
                )
            })
        };
        self.billed = add(self.billed, other.billed)?;
        self.effective = add(self.effective, other.effective)?;
        self.list = add(self.list, other.list)?;
        self.net = add(self.net, other.net)?;
        self.lines += other.lines * sign;
        Ok(())
    }
}

/// Changes to the rollups and the facts gathered in memory during a write, applied once.
#[derive(Debug, Default)]
pub struct RollupDelta {
    rows: BTreeMap<RollupKey, RollupSums>,
    pub facts: FactDelta,
}

impl RollupDelta {
    /// Adds a line written through `insert_line` (its texts are labels already).
    pub fn add_line(&mut self, conn: &rusqlite::Connection, line: &CostLine) -> Result<()> {
        self.facts.add_line(conn, line)?;
        let key = RollupKey {
            account_id: line.account_id.clone(),
            sub_account_id: line.sub_account_id.clone().unwrap_or_default(),
            month: line.month.clone(),
            service: line.service.clone(),
            currency: line.currency.code().to_string(),
        };
        let sums = RollupSums {
            billed: line.billed_cost,
            effective: line.effective_cost,
            list: line.list_cost.unwrap_or(line.billed_cost),
            net: line.net_cost(),
            lines: 1,
        };
        self.rows.entry(key).or_default().add(&sums, 1)
    }

    /// Subtracts every line of `account_id` and `month` currently stored (before a slice of a
    /// re-issued bill is replaced).
    pub fn remove_stored(
        &mut self,
        tx: &Transaction<'_>,
        account_id: &str,
        month: &str,
    ) -> Result<()> {
        self.facts.remove_stored(tx, account_id, month)?;
        let mut stmt = tx.prepare(
            "SELECT sub_account_id, service, currency, billed_cost, effective_cost, list_cost, net_cost, lines
             FROM cost_rollups WHERE account_id = ?1 AND month = ?2",
        )?;
        let rows = stmt.query_map(params![account_id, month], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                [r.get::<_, String>(3)?, r.get(4)?, r.get(5)?, r.get(6)?],
                r.get::<_, i64>(7)?,
            ))
        })?;
        for row in rows {
            let (sub, service, currency, sums, lines) = row?;
            let d = |s: &str| s.parse::<Decimal>().unwrap_or_default();
            let stored = RollupSums {
                billed: d(&sums[0]),
                effective: d(&sums[1]),
                list: d(&sums[2]),
                net: d(&sums[3]),
                lines,
            };
            let key = RollupKey {
                account_id: account_id.to_string(),
                sub_account_id: sub,
                month: month.to_string(),
                service,
                currency,
            };
            self.rows.entry(key).or_default().add(&stored, -1)?;
        }
        Ok(())
    }

    /// Adds the gathered sums to the stored rollups and facts (exactly, in Rust).
    pub fn apply(self, tx: &Transaction<'_>) -> Result<()> {
        self.facts.apply(tx)?;
        // The same changes without the member, for `cost_rollups_by_service`.
        let mut coarse: BTreeMap<[String; 4], RollupSums> = BTreeMap::new();
        for (k, delta) in &self.rows {
            let key = [
                k.account_id.clone(),
                k.month.clone(),
                k.service.clone(),
                k.currency.clone(),
            ];
            coarse.entry(key).or_default().add(delta, 1)?;
        }
        apply_to(
            tx,
            "cost_rollups",
            &[
                "account_id",
                "sub_account_id",
                "month",
                "service",
                "currency",
            ],
            self.rows.into_iter().map(|(k, d)| {
                (
                    vec![
                        k.account_id,
                        k.sub_account_id,
                        k.month,
                        k.service,
                        k.currency,
                    ],
                    d,
                )
            }),
        )?;
        apply_to(
            tx,
            "cost_rollups_by_service",
            &["account_id", "month", "service", "currency"],
            coarse.into_iter().map(|(k, d)| (k.to_vec(), d)),
        )
    }
}

/// Refuses a write after which a total of the ledger's costs could not be kept exactly: per
/// currency, the sum of the magnitudes of every rollup row must fit a `Decimal`
/// ([`crate::money::exact_add`]). Every total the costs, the overview's trend and the month
/// over month views make of the rollups is at most that, in magnitude and in decimal places,
/// so none of them can fail (or round) afterwards. One pass over the rollups (tens of
/// thousands of rows on a ten-million-line ledger), in the import's transaction.
pub fn check_totals(tx: &Transaction<'_>) -> Result<()> {
    // First a bound read off the texts, no `Decimal` parsed: |x| < 10^(its integer digits),
    // so the sum of those, at the most decimal places any row has, is more than any total
    // needs. Far below what a `Decimal` holds on any real ledger (a few thousand rows of
    // amounts up to billions): then nothing else is needed; otherwise the exact sum decides.
    let mut stmt = tx.prepare_cached(
        "SELECT currency, billed_cost, effective_cost, list_cost, net_cost FROM cost_rollups",
    )?;
    // Per currency (a handful): found by a scan, with no allocation per row.
    let mut rough: Vec<(String, (f64, u32))> = Vec::new();
    {
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let currency = r.get_ref(0)?.as_str()?;
            let at = match rough.iter().position(|(c, _)| c == currency) {
                Some(at) => at,
                None => {
                    rough.push((currency.to_string(), (0.0, 0)));
                    rough.len() - 1
                }
            };
            let bound = &mut rough[at].1;
            for i in 1..=4 {
                let text = r.get_ref(i)?.as_str()?;
                let digits = text.trim_start_matches('-');
                let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
                bound.0 += 10f64.powi(int.len() as i32);
                bound.1 = bound.1.max(frac.len() as u32);
            }
        }
    }
    if rough
        .iter()
        .all(|(_, (magnitude, places))| magnitude * 10f64.powi(*places as i32) < 1e27)
    {
        return Ok(());
    }
    let mut rows = stmt.query([])?;
    let mut bounds: BTreeMap<String, [Decimal; 4]> = BTreeMap::new();
    while let Some(r) = rows.next()? {
        let currency: String = r.get(0)?;
        let bound = bounds.entry(currency).or_default();
        for (i, b) in bound.iter_mut().enumerate() {
            let x = parse_stored(&r.get::<_, String>(i + 1)?)?;
            match crate::money::exact_add(*b, x.abs()) {
                Some(sum) => *b = sum,
                None => {
                    let currency: String = r.get(0)?;
                    return Err(Error::new(
                        crate::error::ErrorCode::Import,
                        format!(
                            "the ledger's cost totals in {currency} would exceed 28 significant \
                             digits and could not be kept exactly: expected amounts whose totals \
                             Billfold can hold (with {} among them)",
                            crate::money::to_text(x)
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Adds each delta to the row of `table` with that key (exactly, in Rust); a row left with no
/// line is deleted.
fn apply_to(
    tx: &Transaction<'_>,
    table: &str,
    key_columns: &[&str],
    deltas: impl Iterator<Item = (Vec<String>, RollupSums)>,
) -> Result<()> {
    let cond = key_columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", i + 1))
        .collect::<Vec<_>>()
        .join(" AND ");
    let n = key_columns.len();
    let mut read = tx.prepare_cached(&format!(
        "SELECT billed_cost, effective_cost, list_cost, net_cost, lines FROM {table} WHERE {cond}"
    ))?;
    let values: Vec<String> = (1..=n + 5).map(|i| format!("?{i}")).collect();
    let mut write = tx.prepare_cached(&format!(
        "INSERT OR REPLACE INTO {table} ({}, billed_cost, effective_cost, list_cost, net_cost, lines)
         VALUES ({})",
        key_columns.join(", "),
        values.join(", ")
    ))?;
    let mut delete = tx.prepare_cached(&format!("DELETE FROM {table} WHERE {cond}"))?;
    for (key, delta) in deltas {
        let keyp = rusqlite::params_from_iter(key.iter());
        let stored = read
            .query_row(keyp, |r| {
                Ok((
                    [r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?],
                    r.get::<_, i64>(4)?,
                ))
            })
            .optional()?;
        let mut sums = RollupSums::default();
        if let Some((s, lines)) = stored {
            let d = |t: &str| t.parse::<Decimal>().unwrap_or_default();
            sums = RollupSums {
                billed: d(&s[0]),
                effective: d(&s[1]),
                list: d(&s[2]),
                net: d(&s[3]),
                lines,
            };
        }
        sums.add(&delta, 1)?;
        if sums.lines <= 0 {
            delete.execute(rusqlite::params_from_iter(key.iter()))?;
        } else {
            let mut all: Vec<&dyn rusqlite::ToSql> =
                key.iter().map(|k| k as &dyn rusqlite::ToSql).collect();
            let texts = [
                to_text(sums.billed),
                to_text(sums.effective),
                to_text(sums.list),
                to_text(sums.net),
            ];
            for t in &texts {
                all.push(t);
            }
            all.push(&sums.lines);
            write.execute(all.as_slice())?;
        }
    }
    Ok(())
}

/// One month of the expenditure trend, in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrendMonth {
    pub month: String,
    #[serde(with = "crate::money::text")]
    pub amount: Decimal,
    #[serde(with = "crate::money::text")]
    pub net_amount: Decimal,
    /// Amount per service, largest first.
    pub services: Vec<ServiceAmount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceAmount {
    pub service: String,
    #[serde(with = "crate::money::text")]
    pub amount: Decimal,
    #[serde(with = "crate::money::text")]
    pub net_amount: Decimal,
}

/// The expenditure trend of `accounts` in `currency` for the given months (oldest first),
/// every month present even when nothing was spent. Reads the rollups only.
pub fn trend(
    conn: &rusqlite::Connection,
    accounts: &[String],
    currency: &Currency,
    months: &[String],
) -> Result<Vec<TrendMonth>> {
    let mut per: BTreeMap<String, BTreeMap<String, (Decimal, Decimal)>> = months
        .iter()
        .map(|m| (m.clone(), BTreeMap::new()))
        .collect();
    if let (Some(first), Some(last)) = (months.first(), months.last()) {
        let mut stmt = conn.prepare_cached(
            "SELECT month, service, billed_cost, net_cost FROM cost_rollups_by_service
             WHERE account_id = ?1 AND currency = ?2 AND month >= ?3 AND month <= ?4",
        )?;
        for account in accounts {
            let rows = stmt.query_map(params![account, currency.code(), first, last], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?;
            for row in rows {
                let (month, service, billed, net) = row?;
                let billed = parse_stored(&billed)?;
                let net = parse_stored(&net)?;
                if let Some(services) = per.get_mut(&month) {
                    let e = services.entry(service).or_default();
                    e.0 = crate::money::add(e.0, billed)?;
                    e.1 = crate::money::add(e.1, net)?;
                }
            }
        }
    }
    per.into_iter()
        .map(|(month, services)| {
            let amount = crate::money::sum(services.values().map(|v| v.0))?;
            let net_amount = crate::money::sum(services.values().map(|v| v.1))?;
            let mut services: Vec<ServiceAmount> = services
                .into_iter()
                .map(|(service, (amount, net_amount))| ServiceAmount {
                    service,
                    amount,
                    net_amount,
                })
                .collect();
            services.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.service.cmp(&b.service)));
            Ok(TrendMonth {
                month,
                amount,
                net_amount,
                services,
            })
        })
        .collect()
}

impl RollupDelta {
    /// Adds sums gathered elsewhere (an import aggregates its lines in memory first).
    pub fn add_sums(&mut self, key: RollupKey, sums: &RollupSums) -> Result<()> {
        self.rows.entry(key).or_default().add(sums, 1)
    }

    /// Subtracts the lines of `cost_lines` matching `where_sql` (about to be deleted), read one by
    /// one: used when a replaced slice shares its rollups with lines that stay.
    pub fn remove_lines(
        &mut self,
        tx: &Transaction<'_>,
        where_sql: &str,
        params: impl rusqlite::Params + Clone,
    ) -> Result<()> {
        self.facts.remove_lines(tx, where_sql, params.clone())?;
        let mut stmt = tx.prepare(&format!(
            "SELECT account_id, sub_account, month, service, currency,
                    billed_cost, effective_cost, list_cost, coupon_paid
             FROM cost_lines WHERE {where_sql}"
        ))?;
        let mut labels = Labels::default();
        let mut rows = stmt.query(params)?;
        while let Some(r) = rows.next()? {
            let billed = stored_amount(r, 5)?.unwrap_or_default();
            let sums = RollupSums {
                billed,
                effective: stored_amount(r, 6)?.unwrap_or_default(),
                list: stored_amount(r, 7)?.unwrap_or(billed),
                net: billed - stored_amount(r, 8)?.unwrap_or_default(),
                lines: 1,
            };
            let key = RollupKey {
                account_id: r.get(0)?,
                sub_account_id: labels
                    .opt(tx, r.get(1)?)?
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                month: r.get(2)?,
                service: labels.text(tx, r.get(3)?)?.to_string(),
                currency: r.get(4)?,
            };
            self.rows.entry(key).or_default().add(&sums, -1)?;
        }
        Ok(())
    }
}
