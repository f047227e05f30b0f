//! Cost lines: the one internal model of "what was consumed", whether it came from a charge
//! recorded in Billfold or a bill exported by a provider (FOCUS, Tencent, Huawei...).
//!
//! Every write of a line also updates `cost_rollups` (exact decimal sums per account, member,
//! month, service and currency, computed in Rust) so the trend and month/service groupings
//! never scan the lines.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::money::{to_text, Currency};
use crate::store::amount_key;
use crate::store::labels::{Interner, Labels};

/// How a line was paid, where the source says so. `None` = the source does not tell.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PaymentSplit {
    pub voucher: Option<Decimal>,
    pub complimentary: Option<Decimal>,
    pub cash: Option<Decimal>,
    pub card: Option<Decimal>,
    pub cash_coupon: Option<Decimal>,
    pub credit: Option<Decimal>,
    pub arrears: Option<Decimal>,
}

/// One cost line in the internal model (SPEC §6 mapping table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostLine {
    pub source_file: String,
    pub source_line: u64,
    pub provider: String,
    pub account_id: String,
    pub sub_account_id: Option<String>,
    pub sub_account_name: Option<String>,
    /// `YYYY-MM` of the billing period.
    pub month: String,
    pub charge_start: Option<DateTime<Utc>>,
    pub charge_end: Option<DateTime<Utc>>,
    pub category: String,
    pub charge_class: Option<String>,
    pub description: Option<String>,
    pub service: String,
    pub service_category: Option<String>,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub region: Option<String>,
    pub sku_id: Option<String>,
    pub pricing_quantity: Option<Decimal>,
    pub pricing_unit: Option<String>,
    pub currency: Currency,
    pub list_cost: Option<Decimal>,
    pub contracted_cost: Option<Decimal>,
    pub effective_cost: Decimal,
    pub billed_cost: Decimal,
    pub paid: PaymentSplit,
    pub invoice_id: Option<String>,
    /// Tags as a JSON object text, or None.
    pub tags: Option<String>,
}

impl CostLine {
    /// Net amount = amount − cash coupons used (SPEC §4).
    pub fn net_cost(&self) -> Decimal {
        self.billed_cost - self.paid.cash_coupon.unwrap_or_default()
    }
}

/// Inserts one line and returns its row id. Does not touch the rollups: callers add the line
/// to a [`RollupDelta`] and apply it once per transaction. (Imports write their lines in bulk
/// through `import`; this is for the ledger's own lines, one at a time.)
pub fn insert_line(tx: &Transaction<'_>, line: &CostLine, entry_id: Option<i64>) -> Result<i64> {
    let mut labels = Interner::with_capacity(64);
    let mut l = |t: Option<&str>| labels.opt(tx, t);
    let texts = [
        l(Some(&line.source_file))?,
        l(Some(&line.service))?,
        l(line.sub_account_id.as_deref())?,
        l(Some(&line.provider))?,
        l(Some(&line.category))?,
        l(line.charge_class.as_deref())?,
        l(line.resource_id.as_deref())?,
        l(line.region.as_deref())?,
        l(line.sku_id.as_deref())?,
        l(line.tags.as_deref())?,
        l(line.description.as_deref())?,
        l(line.resource_name.as_deref())?,
        l(line.sub_account_name.as_deref())?,
        l(line.service_category.as_deref())?,
        l(line.pricing_unit.as_deref())?,
        l(line.invoice_id.as_deref())?,
    ];
    let a = |d: Option<Decimal>| d.map(amount_key::encode);
    let p = &line.paid;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO cost_lines (source, source_line, account_id, month, service, sub_account,
            currency, billed_cost, effective_cost, list_cost, coupon_paid, pricing_quantity,
            provider, category, charge_class, resource, region, sku, tags, description,
            resource_name, sub_account_name, service_category, pricing_unit, invoice,
            charge_start, charge_end, contracted_cost, paid_voucher, paid_complimentary,
            paid_cash, paid_card, paid_credit, paid_arrears, entry_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
            ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35)",
    )?;
    stmt.execute(params![
        texts[0],
        line.source_line as i64,
        line.account_id,
        line.month,
        texts[1],
        texts[2],
        line.currency.code(),
        amount_key::encode(line.billed_cost),
        amount_key::encode(line.effective_cost),
        a(line.list_cost),
        a(p.cash_coupon),
        a(line.pricing_quantity),
        texts[3],
        texts[4],
        texts[5],
        texts[6],
        texts[7],
        texts[8],
        texts[9],
        texts[10],
        texts[11],
        texts[12],
        texts[13],
        texts[14],
        texts[15],
        line.charge_start.map(|t| t.timestamp()),
        line.charge_end.map(|t| t.timestamp()),
        a(line.contracted_cost),
        a(p.voucher),
        a(p.complimentary),
        a(p.cash),
        a(p.card),
        a(p.credit),
        a(p.arrears),
        entry_id,
    ])?;
    let id = tx.last_insert_rowid();
    index_lines(tx, id, id)?;
    Ok(id)
}

/// Writes the hand-kept index entries (`cost_lines_rank`, `cost_lines_resource`) of the lines
/// with ids `first..=last`, sorted first so that they go into the B-trees in key order.
pub fn index_lines(tx: &Transaction<'_>, first: i64, last: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO cost_lines_rank (account_id, month, service, sub_account, billed_cost, id)
         SELECT account_id, month, service, COALESCE(sub_account, 0), billed_cost, id
         FROM cost_lines WHERE id BETWEEN ?1 AND ?2
         ORDER BY account_id, month, service, COALESCE(sub_account, 0), billed_cost, id",
    )?
    .execute(params![first, last])?;
    tx.prepare_cached(
        "INSERT INTO cost_lines_resource (resource, month, account_id, id)
         SELECT resource, month, account_id, id
         FROM cost_lines WHERE id BETWEEN ?1 AND ?2 AND resource IS NOT NULL
         ORDER BY resource, month, account_id, id",
    )?
    .execute(params![first, last])?;
    Ok(())
}

/// The hand-kept index entries of the lines an import writes, gathered in memory and written
/// in sorted runs (so that they go into the B-trees in key order, like CREATE INDEX), never
/// more than [`RUN_ENTRIES`] at a time.
#[derive(Default)]
pub struct IndexRuns {
    /// (account, month) pairs, numbered as they come.
    pairs: Vec<(String, String)>,
    last: Option<u32>,
    rank: Vec<RankEntry>,
    resource: Vec<(i64, u32, i64)>,
}

/// Entries of one run at most: about 20 MB.
pub const RUN_ENTRIES: usize = 1 << 18;
/// Entries per INSERT statement when a run is written.
const RUN_ROWS: usize = 32;

/// `(?1,?2,..),(..)`: `rows` groups of `cols` numbered parameters.
fn placeholders(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let p: Vec<String> = (1..=cols).map(|c| format!("?{}", r * cols + c)).collect();
            format!("({})", p.join(","))
        })
        .collect::<Vec<_>>()
        .join(",")
}

struct RankEntry {
    pair: u32,
    service: i64,
    sub: i64,
    billed: ([u8; 18], u8),
    id: i64,
}

impl IndexRuns {
    /// Adds line `id`'s entries; writes a run when it is full.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        tx: &Transaction<'_>,
        account: &str,
        month: &str,
        service: i64,
        sub: Option<i64>,
        billed: &[u8],
        resource: Option<i64>,
        id: i64,
    ) -> Result<()> {
        let pair = match self.last {
            Some(p) if self.pairs[p as usize].0 == account && self.pairs[p as usize].1 == month => {
                p
            }
            _ => {
                let p = match self
                    .pairs
                    .iter()
                    .position(|(a, m)| a == account && m == month)
                {
                    Some(p) => p as u32,
                    None => {
                        self.pairs.push((account.to_string(), month.to_string()));
                        (self.pairs.len() - 1) as u32
                    }
                };
                self.last = Some(p);
                p
            }
        };
        let mut key = [0u8; 18];
        let n = billed.len().min(18);
        key[..n].copy_from_slice(&billed[..n]);
        self.rank.push(RankEntry {
            pair,
            service,
            sub: sub.unwrap_or(0),
            billed: (key, n as u8),
            id,
        });
        if let Some(r) = resource {
            self.resource.push((r, pair, id));
        }
        if self.rank.len() >= RUN_ENTRIES {
            self.flush(tx)?;
        }
        Ok(())
    }

    /// Writes the entries gathered so far, sorted.
    pub fn flush(&mut self, tx: &Transaction<'_>) -> Result<()> {
        // Where each pair sorts by (account, month) and by (month, account).
        let mut by_account: Vec<u32> = (0..self.pairs.len() as u32).collect();
        by_account.sort_by(|&a, &b| self.pairs[a as usize].cmp(&self.pairs[b as usize]));
        let mut by_month = by_account.clone();
        by_month.sort_by(|&a, &b| {
            let (pa, pb) = (&self.pairs[a as usize], &self.pairs[b as usize]);
            (&pa.1, &pa.0).cmp(&(&pb.1, &pb.0))
        });
        let mut order_account = vec![0u32; self.pairs.len()];
        let mut order_month = vec![0u32; self.pairs.len()];
        for (pos, &p) in by_account.iter().enumerate() {
            order_account[p as usize] = pos as u32;
        }
        for (pos, &p) in by_month.iter().enumerate() {
            order_month[p as usize] = pos as u32;
        }
        fn key(e: &RankEntry) -> &[u8] {
            &e.billed.0[..e.billed.1 as usize]
        }
        self.rank.sort_unstable_by(|a, b| {
            (
                order_account[a.pair as usize],
                a.service,
                a.sub,
                key(a),
                a.id,
            )
                .cmp(&(
                    order_account[b.pair as usize],
                    b.service,
                    b.sub,
                    key(b),
                    b.id,
                ))
        });
        self.resource
            .sort_unstable_by_key(|&(r, p, id)| (r, order_month[p as usize], id));
        // Many rows per statement: fewer statement runs per entry.
        let rank_sql = |n: usize| {
            format!(
                "INSERT INTO cost_lines_rank (account_id, month, service, sub_account, billed_cost, id) VALUES {}",
                placeholders(n, 6)
            )
        };
        let mut many = tx.prepare_cached(&rank_sql(RUN_ROWS))?;
        let mut one = tx.prepare_cached(&rank_sql(1))?;
        for chunk in self.rank.chunks(RUN_ROWS) {
            let rows: Vec<&[RankEntry]> = if chunk.len() == RUN_ROWS {
                vec![chunk]
            } else {
                chunk.chunks(1).collect()
            };
            for part in rows {
                let stmt = if part.len() == RUN_ROWS {
                    &mut many
                } else {
                    &mut one
                };
                for (r, e) in part.iter().enumerate() {
                    let (account, month) = &self.pairs[e.pair as usize];
                    let b = r * 6;
                    stmt.raw_bind_parameter(b + 1, account)?;
                    stmt.raw_bind_parameter(b + 2, month)?;
                    stmt.raw_bind_parameter(b + 3, e.service)?;
                    stmt.raw_bind_parameter(b + 4, e.sub)?;
                    stmt.raw_bind_parameter(b + 5, key(e))?;
                    stmt.raw_bind_parameter(b + 6, e.id)?;
                }
                stmt.raw_execute()?;
            }
        }
        let resource_sql = |n: usize| {
            format!(
                "INSERT INTO cost_lines_resource (resource, month, account_id, id) VALUES {}",
                placeholders(n, 4)
            )
        };
        let mut many = tx.prepare_cached(&resource_sql(RUN_ROWS))?;
        let mut one = tx.prepare_cached(&resource_sql(1))?;
        for chunk in self.resource.chunks(RUN_ROWS) {
            let rows: Vec<&[(i64, u32, i64)]> = if chunk.len() == RUN_ROWS {
                vec![chunk]
            } else {
                chunk.chunks(1).collect()
            };
            for part in rows {
                let stmt = if part.len() == RUN_ROWS {
                    &mut many
                } else {
                    &mut one
                };
                for (r, &(res, p, id)) in part.iter().enumerate() {
                    let (account, month) = &self.pairs[p as usize];
                    let b = r * 4;
                    stmt.raw_bind_parameter(b + 1, res)?;
                    stmt.raw_bind_parameter(b + 2, month)?;
                    stmt.raw_bind_parameter(b + 3, account)?;
                    stmt.raw_bind_parameter(b + 4, id)?;
                }
                stmt.raw_execute()?;
            }
        }
        self.rank.clear();
        self.resource.clear();
        Ok(())
    }
}

/// Reads line `id` back into the model (every column decoded: labels to texts, amount keys to
/// decimals, seconds to times). For checks and tools; bill review reads through `review`.
pub fn read_line(conn: &rusqlite::Connection, id: i64) -> Result<CostLine> {
    let mut stmt = conn.prepare_cached(
        "SELECT source, source_line, provider, account_id, sub_account, sub_account_name, month,
                charge_start, charge_end, category, charge_class, description, service,
                service_category, resource, resource_name, region, sku, pricing_quantity,
                pricing_unit, currency, list_cost, contracted_cost, effective_cost, billed_cost,
                coupon_paid, paid_voucher, paid_complimentary, paid_cash, paid_card, paid_credit,
                paid_arrears, invoice, tags
         FROM cost_lines WHERE id = ?1",
    )?;
    let mut rows = stmt.query(params![id])?;
    let r = rows
        .next()?
        .ok_or_else(|| Error::not_found(format!("there is no cost line {id}")))?;
    let mut labels = Labels::default();
    let mut t = |i: usize| -> Result<Option<String>> {
        Ok(labels.opt(conn, r.get(i)?)?.map(|t| t.to_string()))
    };
    let time = |i: usize| -> Result<Option<DateTime<Utc>>> {
        Ok(r.get::<_, Option<i64>>(i)?
            .and_then(|s| DateTime::from_timestamp(s, 0)))
    };
    let a = |i: usize| stored_amount(r, i);
    Ok(CostLine {
        source_file: t(0)?.unwrap_or_default(),
        source_line: r.get::<_, i64>(1)? as u64,
        provider: t(2)?.unwrap_or_default(),
        account_id: r.get(3)?,
        sub_account_id: t(4)?,
        sub_account_name: t(5)?,
        month: r.get(6)?,
        charge_start: time(7)?,
        charge_end: time(8)?,
        category: t(9)?.unwrap_or_default(),
        charge_class: t(10)?,
        description: t(11)?,
        service: t(12)?.unwrap_or_default(),
        service_category: t(13)?,
        resource_id: t(14)?,
        resource_name: t(15)?,
        region: t(16)?,
        sku_id: t(17)?,
        pricing_quantity: a(18)?,
        pricing_unit: t(19)?,
        currency: Currency::parse(&r.get::<_, String>(20)?)?,
        list_cost: a(21)?,
        contracted_cost: a(22)?,
        effective_cost: a(23)?.unwrap_or_default(),
        billed_cost: a(24)?.unwrap_or_default(),
        paid: PaymentSplit {
            cash_coupon: a(25)?,
            voucher: a(26)?,
            complimentary: a(27)?,
            cash: a(28)?,
            card: a(29)?,
            credit: a(30)?,
            arrears: a(31)?,
        },
        invoice_id: t(32)?,
        tags: t(33)?,
    })
}

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
        let s = Decimal::from(sign);
        let add = |a: Decimal, b: Decimal| {
            a.checked_add(b * s).ok_or_else(|| {
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

/// Changes to the rollups gathered in memory during a write, applied once.
#[derive(Debug, Default)]
pub struct RollupDelta {
    rows: BTreeMap<RollupKey, RollupSums>,
}

impl RollupDelta {
    pub fn add_line(&mut self, line: &CostLine) -> Result<()> {
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

    /// Adds the gathered sums to the stored rollups (exactly, in Rust).
    pub fn apply(self, tx: &Transaction<'_>) -> Result<()> {
        let mut read = tx.prepare_cached(
            "SELECT billed_cost, effective_cost, list_cost, net_cost, lines FROM cost_rollups
             WHERE account_id = ?1 AND sub_account_id = ?2 AND month = ?3 AND service = ?4 AND currency = ?5",
        )?;
        let mut write = tx.prepare_cached(
            "INSERT OR REPLACE INTO cost_rollups
             (account_id, sub_account_id, month, service, currency, billed_cost, effective_cost, list_cost, net_cost, lines)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        let mut delete = tx.prepare_cached(
            "DELETE FROM cost_rollups
             WHERE account_id = ?1 AND sub_account_id = ?2 AND month = ?3 AND service = ?4 AND currency = ?5",
        )?;
        for (k, delta) in self.rows {
            let keyp = params![
                k.account_id,
                k.sub_account_id,
                k.month,
                k.service,
                k.currency
            ];
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
                delete.execute(keyp)?;
            } else {
                write.execute(params![
                    k.account_id,
                    k.sub_account_id,
                    k.month,
                    k.service,
                    k.currency,
                    to_text(sums.billed),
                    to_text(sums.effective),
                    to_text(sums.list),
                    to_text(sums.net),
                    sums.lines
                ])?;
            }
        }
        Ok(())
    }
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
            "SELECT month, service, billed_cost, net_cost FROM cost_rollups
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
                let billed: Decimal = billed.parse().unwrap_or_default();
                let net: Decimal = net.parse().unwrap_or_default();
                if let Some(services) = per.get_mut(&month) {
                    let e = services.entry(service).or_default();
                    e.0 += billed;
                    e.1 += net;
                }
            }
        }
    }
    Ok(per
        .into_iter()
        .map(|(month, services)| {
            let amount = services.values().map(|v| v.0).sum();
            let net_amount = services.values().map(|v| v.1).sum();
            let mut services: Vec<ServiceAmount> = services
                .into_iter()
                .map(|(service, (amount, net_amount))| ServiceAmount {
                    service,
                    amount,
                    net_amount,
                })
                .collect();
            services.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.service.cmp(&b.service)));
            TrendMonth {
                month,
                amount,
                net_amount,
                services,
            }
        })
        .collect())
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
        params: impl rusqlite::Params,
    ) -> Result<()> {
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

/// Reads column `i` of a cost line as an amount (the `amount_key` form); `None` when null. A
/// value that is not in that form is a damaged ledger, reported as such.
pub fn stored_amount(r: &rusqlite::Row<'_>, i: usize) -> Result<Option<Decimal>> {
    match r.get_ref(i)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        rusqlite::types::ValueRef::Blob(b) => amount_key::decode(b).map(Some).ok_or_else(|| {
            Error::new(
                crate::error::ErrorCode::Storage,
                format!("a stored amount is damaged ({b:02x?}): the ledger file was changed outside Billfold"),
            )
        }),
        other => Err(Error::new(
            crate::error::ErrorCode::Storage,
            format!("a stored amount has the wrong type ({:?}): the ledger file was changed outside Billfold", other.data_type()),
        )),
    }
}

/// Reads a stored amount (canonical decimal text) quickly and exactly: digits into an integer
/// mantissa and a scale, without the general parser; anything else goes through it.
pub fn stored_decimal(t: &str) -> Option<Decimal> {
    let b = t.as_bytes();
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 30 {
        return t.parse().ok();
    }
    let mut m: i128 = 0;
    let mut scale = 0u32;
    let mut seen_dot = false;
    let mut n = 0;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                m = m * 10 + (c - b'0') as i128;
                n += 1;
                if seen_dot {
                    scale += 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return t.parse().ok(),
        }
    }
    if n == 0 || n > 28 {
        return t.parse().ok();
    }
    Decimal::try_from_i128_with_scale(if neg { -m } else { m }, scale).ok()
}

/// A dimension of `billfold costs --group-by`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupBy {
    Month,
    Service,
    Account,
    SubAccount,
    Provider,
    Region,
    Category,
    Resource,
    /// The value of one tag key.
    Tag(String),
}

impl GroupBy {
    /// The key of this dimension in a group of the JSON output.
    pub fn name(&self) -> String {
        match self {
            GroupBy::Month => "month".into(),
            GroupBy::Service => "service".into(),
            GroupBy::Account => "account".into(),
            GroupBy::SubAccount => "sub_account".into(),
            GroupBy::Provider => "provider".into(),
            GroupBy::Region => "region".into(),
            GroupBy::Category => "category".into(),
            GroupBy::Resource => "resource".into(),
            GroupBy::Tag(k) => format!("tag:{k}"),
        }
    }
}

impl std::str::FromStr for GroupBy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        Ok(match t {
            "month" => GroupBy::Month,
            "service" => GroupBy::Service,
            "account" => GroupBy::Account,
            "sub_account" | "sub-account" | "member" => GroupBy::SubAccount,
            "provider" => GroupBy::Provider,
            "region" => GroupBy::Region,
            "category" => GroupBy::Category,
            "resource" => GroupBy::Resource,
            _ => match t.strip_prefix("tag:") {
                Some(k) if !k.is_empty() => GroupBy::Tag(k.to_string()),
                _ => {
                    return Err(Error::invalid(format!(
                        "'{s}' is not a grouping: expected month, service, account, sub_account, \
                         provider, region, category, resource or tag:KEY"
                    )))
                }
            },
        })
    }
}

/// Which lines a cost query covers. Months are `YYYY-MM`, both ends included.
#[derive(Debug, Clone, Default)]
pub struct CostFilter {
    pub account: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// One group of `billfold costs`: the value of each dimension, the currency and exact sums.
/// `list_cost` counts a line without a list cost at its billed cost (as the rollups do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostGroup {
    #[serde(flatten)]
    pub keys: BTreeMap<String, Option<String>>,
    pub currency: String,
    #[serde(with = "crate::money::text")]
    pub billed_cost: Decimal,
    #[serde(with = "crate::money::text")]
    pub effective_cost: Decimal,
    #[serde(with = "crate::money::text")]
    pub list_cost: Decimal,
    #[serde(with = "crate::money::text")]
    pub net_cost: Decimal,
    pub lines: i64,
}

/// Groups the cost lines covered by `filter` by `group_by` (and always by currency: amounts in
/// different currencies are never added): `billfold costs`. The explorer's grouped view with
/// only an account and months to filter by; see [`crate::review::groups`].
pub fn group_costs(
    conn: &rusqlite::Connection,
    filter: &CostFilter,
    group_by: &[GroupBy],
) -> Result<Vec<CostGroup>> {
    let lines = crate::review::LineFilter {
        account: filter.account.clone(),
        from: filter.from.clone(),
        to: filter.to.clone(),
        ..Default::default()
    };
    crate::review::groups(conn, &lines, group_by)
}

#[cfg(test)]
mod import_query_tests {
    use super::*;

    #[test]
    fn stored_decimals_read_exactly() {
        for t in [
            "0",
            "-0.5",
            "12.5",
            "1200.123456789012",
            "-0.0000000001",
            "79228162514264337593543950335",
            "0.1234567890123456789012345678",
            "1e5",
            "abc",
            "",
            "-",
            "1.2.3",
        ] {
            assert_eq!(stored_decimal(t), t.parse::<Decimal>().ok(), "{t}");
        }
    }
}
