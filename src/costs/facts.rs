//! Facts: exact sums of cost lines per resource-month — account, month, service, member,
//! resource, region, charge category and class, SKU, tags and currency — kept at write time
//! beside the rollups. Bills repeat a resource's line every hour or day, so a month of a
//! million lines is a few thousand facts: the explorer's groupings, its totals and month over
//! month read these instead of the lines.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, Transaction};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::rollups::RollupSums;
use super::{stored_amount, stored_decimal, AccountMonths, CostLine};
use crate::error::{Error, Result};
use crate::money::to_text;
use crate::store::labels;

/// Label columns of a fact, in this order (label ids; 0 for none). The description and the
/// resource name follow the SKU and the resource in real bills, so they add few facts and let a
/// text search be answered from the facts too.
pub const FACT_LABELS: [&str; NLABELS] = [
    "service",
    "sub_account",
    "resource",
    "region",
    "category",
    "charge_class",
    "sku",
    "tags",
    "description",
    "resource_name",
];
/// How many labels a fact has.
pub const NLABELS: usize = 10;
/// The labels of a fact.
pub type FactLabels = [i64; NLABELS];

/// Which fact: an account-month, its labels (by [`FACT_LABELS`]) and its currency.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FactKey {
    pub account_id: String,
    pub month: String,
    pub labels: FactLabels,
    pub currency: String,
}

/// The sums of a fact. Unit prices need the billed amount of the lines that state a quantity,
/// and that quantity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactSums {
    pub sums: RollupSums,
    pub quantity: Decimal,
    pub quantity_billed: Decimal,
}

fn overflow() -> Error {
    Error::refused(
        "a total of costs or quantities exceeds 28 significant digits and cannot be kept exactly",
    )
}

impl FactSums {
    /// One line's contribution.
    pub fn of_line(
        billed: Decimal,
        effective: Decimal,
        list: Option<Decimal>,
        coupon: Option<Decimal>,
        quantity: Option<Decimal>,
    ) -> Self {
        FactSums {
            sums: RollupSums {
                billed,
                effective,
                list: list.unwrap_or(billed),
                net: billed - coupon.unwrap_or_default(),
                lines: 1,
            },
            quantity: quantity.unwrap_or_default(),
            quantity_billed: if quantity.is_some_and(|q| !q.is_zero()) {
                billed
            } else {
                Decimal::ZERO
            },
        }
    }

    pub fn add(&mut self, o: &FactSums, sign: i64) -> Result<()> {
        self.sums.add(&o.sums, sign)?;
        let signed = |x: Decimal| if sign < 0 { -x } else { x };
        self.quantity =
            crate::money::exact_add(self.quantity, signed(o.quantity)).ok_or_else(overflow)?;
        self.quantity_billed =
            crate::money::exact_add(self.quantity_billed, signed(o.quantity_billed))
                .ok_or_else(overflow)?;
        Ok(())
    }
}

/// Changes to the facts gathered in memory during a write, applied once.
#[derive(Debug, Default)]
pub struct FactDelta {
    rows: BTreeMap<FactKey, FactSums>,
}

/// The label ids of a line's fact (its texts must be in `labels` already: it was inserted).
fn key_of_line(conn: &Connection, line: &CostLine) -> Result<FactKey> {
    let id = |t: Option<&str>| -> Result<i64> {
        Ok(match t {
            Some(t) => labels::find(conn, t)?.unwrap_or(0),
            None => 0,
        })
    };
    Ok(FactKey {
        account_id: line.account_id.clone(),
        month: line.month.clone(),
        labels: [
            id(Some(&line.service))?,
            id(line.sub_account_id.as_deref())?,
            id(line.resource_id.as_deref())?,
            id(line.region.as_deref())?,
            id(Some(&line.category))?,
            id(line.charge_class.as_deref())?,
            id(line.sku_id.as_deref())?,
            id(line.tags.as_deref())?,
            id(line.description.as_deref())?,
            id(line.resource_name.as_deref())?,
        ],
        currency: line.currency.code().to_string(),
    })
}

impl FactDelta {
    pub fn add(&mut self, key: FactKey, sums: &FactSums, sign: i64) -> Result<()> {
        self.rows.entry(key).or_default().add(sums, sign)
    }

    /// Adds a line written through `insert_line`.
    pub fn add_line(&mut self, conn: &Connection, line: &CostLine) -> Result<()> {
        let key = key_of_line(conn, line)?;
        let sums = FactSums::of_line(
            line.billed_cost,
            line.effective_cost,
            line.list_cost,
            line.paid.cash_coupon,
            line.pricing_quantity,
        );
        self.add(key, &sums, 1)
    }

    /// Subtracts every fact of an account-month (its lines are about to be replaced).
    pub fn remove_stored(
        &mut self,
        tx: &Transaction<'_>,
        account_id: &str,
        month: &str,
    ) -> Result<()> {
        let mut stmt = tx.prepare(&format!(
            "SELECT {}, currency, billed_cost, effective_cost, list_cost, net_cost, quantity,
                    quantity_billed, lines
             FROM cost_facts WHERE account_id = ?1 AND month = ?2",
            FACT_LABELS.join(", ")
        ))?;
        let mut rows = stmt.query(params![account_id, month])?;
        while let Some(r) = rows.next()? {
            let (labels, currency, sums) = read_fact(r, 0)?;
            let key = FactKey {
                account_id: account_id.to_string(),
                month: month.to_string(),
                labels,
                currency,
            };
            self.add(key, &sums, -1)?;
        }
        Ok(())
    }

    /// Subtracts the lines of `cost_lines` matching `where_sql` (about to be deleted).
    pub fn remove_lines(
        &mut self,
        tx: &Transaction<'_>,
        where_sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<()> {
        let mut stmt = tx.prepare(&format!(
            "SELECT account_id, month, {}, currency, billed_cost, effective_cost, list_cost,
                    coupon_paid, pricing_quantity
             FROM cost_lines WHERE {where_sql}",
            FACT_LABELS.join(", ")
        ))?;
        let mut rows = stmt.query(params)?;
        while let Some(r) = rows.next()? {
            let mut labels = [0i64; NLABELS];
            for (i, l) in labels.iter_mut().enumerate() {
                *l = r.get::<_, Option<i64>>(2 + i)?.unwrap_or(0);
            }
            let at = 2 + NLABELS;
            let billed = stored_amount(r, at + 1)?.unwrap_or_default();
            let sums = FactSums::of_line(
                billed,
                stored_amount(r, at + 2)?.unwrap_or_default(),
                stored_amount(r, at + 3)?,
                stored_amount(r, at + 4)?,
                stored_amount(r, at + 5)?,
            );
            let key = FactKey {
                account_id: r.get(0)?,
                month: r.get(1)?,
                labels,
                currency: r.get(at)?,
            };
            self.add(key, &sums, -1)?;
        }
        Ok(())
    }

    /// Adds the gathered sums to the stored facts (exactly, in Rust); a fact left with no line
    /// is deleted.
    pub fn apply(self, tx: &Transaction<'_>) -> Result<()> {
        // ?1 account, ?2 month, the labels, the currency; then the sums.
        let currency_p = 3 + NLABELS;
        let key_cond = format!(
            "account_id = ?1 AND month = ?2 AND {} AND currency = ?{currency_p}",
            FACT_LABELS
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} = ?{}", i + 3))
                .collect::<Vec<_>>()
                .join(" AND ")
        );
        let mut read = tx.prepare_cached(&format!(
            "SELECT billed_cost, effective_cost, list_cost, net_cost, quantity, quantity_billed,
                    lines
             FROM cost_facts WHERE {key_cond}"
        ))?;
        let all: Vec<String> = (1..=currency_p + 7).map(|i| format!("?{i}")).collect();
        let mut write = tx.prepare_cached(&format!(
            "INSERT OR REPLACE INTO cost_facts (account_id, month, {}, currency, billed_cost,
                effective_cost, list_cost, net_cost, quantity, quantity_billed, lines)
             VALUES ({})",
            FACT_LABELS.join(", "),
            all.join(", ")
        ))?;
        let mut delete = tx.prepare_cached(&format!("DELETE FROM cost_facts WHERE {key_cond}"))?;
        for (k, delta) in self.rows {
            let mut key: Vec<&dyn rusqlite::ToSql> = vec![&k.account_id, &k.month];
            for l in &k.labels {
                key.push(l);
            }
            key.push(&k.currency);
            let key = key.as_slice();
            let mut sums = match read.query(key)?.next()? {
                Some(r) => read_sums(r, 0)?,
                None => FactSums::default(),
            };
            sums.add(&delta, 1)?;
            if sums.sums.lines <= 0 {
                delete.execute(key)?;
            } else {
                let s = &sums.sums;
                let texts = [
                    to_text(s.billed),
                    to_text(s.effective),
                    to_text(s.list),
                    to_text(s.net),
                    to_text(sums.quantity),
                    to_text(sums.quantity_billed),
                ];
                let mut values: Vec<&dyn rusqlite::ToSql> = key.to_vec();
                for t in &texts {
                    values.push(t);
                }
                values.push(&s.lines);
                write.execute(values.as_slice())?;
            }
        }
        Ok(())
    }
}

/// Reads a fact row: its labels from column `at` on (by [`FACT_LABELS`]), then the currency,
/// billed, effective, list, net, quantity, quantity billed and lines.
pub(crate) fn read_fact(
    r: &rusqlite::Row<'_>,
    at: usize,
) -> Result<(FactLabels, String, FactSums)> {
    let mut labels = [0i64; NLABELS];
    for (i, l) in labels.iter_mut().enumerate() {
        *l = r.get(at + i)?;
    }
    let currency = r.get(at + NLABELS)?;
    Ok((labels, currency, read_sums(r, at + NLABELS + 1)?))
}

/// Reads the sums of a fact from column `at` on: billed, effective, list, net, quantity,
/// quantity billed (canonical decimal texts), then the lines.
fn read_sums(r: &rusqlite::Row<'_>, at: usize) -> Result<FactSums> {
    let d = |i: usize| -> Result<Decimal> {
        let t = r.get_ref(at + i)?.as_str()?;
        stored_decimal(t).ok_or_else(|| {
            Error::new(
                crate::error::ErrorCode::Storage,
                format!("a stored total '{t}' is not a decimal: the ledger file was changed outside Billfold"),
            )
        })
    };
    Ok(FactSums {
        sums: RollupSums {
            billed: d(0)?,
            effective: d(1)?,
            list: d(2)?,
            net: d(3)?,
            lines: r.get(at + 6)?,
        },
        quantity: d(4)?,
        quantity_billed: d(5)?,
    })
}

/// The facts of one import, gathered by the writing thread from the rows it binds, keyed by
/// (account-month number, label ids). Memory is bounded: past [`SPILL_KEYS`] keys the partial
/// sums go to a temporary table and are combined at the end.
pub struct ImportFacts {
    pairs: AccountMonths,
    /// The currency of each account-month, by its number.
    currencies: Vec<String>,
    map: FxHashMap<(u32, FactLabels), FactSums>,
    spilled: bool,
    spill_keys: usize,
}

impl Default for ImportFacts {
    fn default() -> Self {
        ImportFacts::with_spill_keys(SPILL_KEYS)
    }
}

/// Keys held in memory at most (about 40 MB).
pub const SPILL_KEYS: usize = 1 << 18;

impl ImportFacts {
    /// Spilling past `keys` keys (tests use a small number).
    pub fn with_spill_keys(keys: usize) -> Self {
        ImportFacts {
            pairs: AccountMonths::default(),
            currencies: Vec::new(),
            map: FxHashMap::default(),
            spilled: false,
            spill_keys: keys.max(1),
        }
    }

    /// Adds one line.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        tx: &Transaction<'_>,
        account: &str,
        month: &str,
        currency: &str,
        labels: FactLabels,
        sums: FactSums,
    ) -> Result<()> {
        let (pair, new) = self.pairs.number(account, month);
        if new {
            self.currencies.push(currency.to_string());
        }
        match self.map.get_mut(&(pair, labels)) {
            Some(s) => s.add(&sums, 1)?,
            None => {
                if self.map.len() >= self.spill_keys {
                    self.spill(tx)?;
                }
                self.map.insert((pair, labels), sums);
            }
        }
        Ok(())
    }

    fn spill(&mut self, tx: &Transaction<'_>) -> Result<()> {
        if !self.spilled {
            tx.execute_batch(&format!(
                "CREATE TEMP TABLE IF NOT EXISTS import_facts_spill (pair INTEGER, {}, billed TEXT,
                    effective TEXT, list TEXT, net TEXT, quantity TEXT, quantity_billed TEXT,
                    lines INTEGER);
                 DELETE FROM temp.import_facts_spill;",
                FACT_LABELS.join(" INTEGER, ") + " INTEGER"
            ))?;
            self.spilled = true;
        }
        let params: Vec<String> = (1..=1 + NLABELS + 7).map(|i| format!("?{i}")).collect();
        let mut insert = tx.prepare_cached(&format!(
            "INSERT INTO temp.import_facts_spill VALUES ({})",
            params.join(", ")
        ))?;
        for ((pair, l), s) in self.map.drain() {
            let texts = [
                to_text(s.sums.billed),
                to_text(s.sums.effective),
                to_text(s.sums.list),
                to_text(s.sums.net),
                to_text(s.quantity),
                to_text(s.quantity_billed),
            ];
            let mut values: Vec<&dyn rusqlite::ToSql> = vec![&pair];
            for x in &l {
                values.push(x);
            }
            for t in &texts {
                values.push(t);
            }
            values.push(&s.sums.lines);
            insert.execute(values.as_slice())?;
        }
        Ok(())
    }

    /// Adds everything gathered to the stored facts. Spilled sums are read back in key order
    /// and combined key by key, so memory stays bounded. (Facts are added to, never set, so
    /// this and a [`FactDelta`] of the lines an import replaces may be applied in any order.)
    pub fn apply(mut self, tx: &Transaction<'_>) -> Result<()> {
        let key_of = |this: &ImportFacts, pair: u32, labels: FactLabels| {
            let (a, m) = this.pairs.get(pair);
            FactKey {
                account_id: a.clone(),
                month: m.clone(),
                labels,
                currency: this.currencies[pair as usize].clone(),
            }
        };
        if !self.spilled {
            let mut delta = FactDelta::default();
            for ((pair, labels), sums) in std::mem::take(&mut self.map) {
                delta.add(key_of(&self, pair, labels), &sums, 1)?;
            }
            return delta.apply(tx);
        }
        self.spill(tx)?;
        let cols = FACT_LABELS.join(", ");
        let mut stmt = tx.prepare(&format!(
            "SELECT pair, {cols}, billed, effective, list, net, quantity, quantity_billed, lines
             FROM temp.import_facts_spill ORDER BY pair, {cols}"
        ))?;
        let mut rows = stmt.query([])?;
        let mut delta = FactDelta::default();
        let mut current: Option<(u32, FactLabels)> = None;
        while let Some(r) = rows.next()? {
            let pair: u32 = r.get(0)?;
            let mut labels = [0i64; NLABELS];
            for (i, l) in labels.iter_mut().enumerate() {
                *l = r.get(1 + i)?;
            }
            let sums = read_sums(r, 1 + NLABELS)?;
            // Keys come in order: once a key is done, its sum can go to the ledger.
            if current.is_some_and(|c| c != (pair, labels)) && delta.rows.len() >= self.spill_keys {
                std::mem::take(&mut delta).apply(tx)?;
            }
            current = Some((pair, labels));
            delta.add(key_of(&self, pair, labels), &sums, 1)?;
        }
        drop(rows);
        drop(stmt);
        delta.apply(tx)?;
        tx.execute_batch("DROP TABLE temp.import_facts_spill")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts_of(conn: &Connection) -> Vec<(String, String, FactLabels, String, String, i64)> {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT account_id, month, {}, currency, billed_cost, lines FROM cost_facts ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12",
                FACT_LABELS.join(", ")
            ))
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                let mut l = [0i64; NLABELS];
                for (i, x) in l.iter_mut().enumerate() {
                    *x = r.get(2 + i)?;
                }
                let at = 2 + NLABELS;
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    l,
                    r.get(at)?,
                    r.get(at + 1)?,
                    r.get(at + 2)?,
                ))
            })
            .unwrap();
        rows.map(|r| r.unwrap()).collect()
    }

    /// The same lines gathered with and without spilling give the same facts.
    #[test]
    fn spilled_sums_combine_to_the_same_facts() {
        let run = |spill: usize| {
            let mut conn = crate::store::open_in_memory().unwrap();
            let tx = conn.transaction().unwrap();
            let mut f = ImportFacts::with_spill_keys(spill);
            for i in 0..200i64 {
                let sums = FactSums::of_line(
                    Decimal::new(i * 7 + 1, 3),
                    Decimal::new(i, 2),
                    None,
                    None,
                    Some(Decimal::from(i % 3)),
                );
                let month = if i % 2 == 0 { "2026-01" } else { "2026-02" };
                f.add(
                    &tx,
                    "a",
                    month,
                    "USD",
                    [1 + i % 5, 0, i % 13, 0, 2, 0, 0, 0, 0, 0],
                    sums,
                )
                .unwrap();
            }
            f.apply(&tx).unwrap();
            tx.commit().unwrap();
            facts_of(&conn)
        };
        let whole = run(SPILL_KEYS);
        assert_eq!(whole.len(), 2 * 5 * 13 / 2 + 2 * 5 * 13 / 2);
        assert_eq!(run(3), whole);
        assert_eq!(run(1), whole);
    }
}
