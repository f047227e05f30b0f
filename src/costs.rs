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
use crate::time::to_db;

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
    /// The original row, for audit (JSON object of header to value).
    pub raw: Option<String>,
}

impl CostLine {
    /// Net amount = amount − cash coupons used (SPEC §4).
    pub fn net_cost(&self) -> Decimal {
        self.billed_cost - self.paid.cash_coupon.unwrap_or_default()
    }
}

fn opt_text(d: Option<Decimal>) -> Option<String> {
    d.map(to_text)
}

/// Inserts one line and returns its row id. Does not touch the rollups: callers add the line
/// to a [`RollupDelta`] and apply it once per transaction.
pub fn insert_line(tx: &Transaction<'_>, line: &CostLine, entry_id: Option<i64>) -> Result<i64> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO cost_lines (source_file, source_line, provider, account_id, sub_account_id,
            sub_account_name, month, charge_start, charge_end, category, charge_class, description,
            service, service_category, resource_id, resource_name, region, sku_id,
            pricing_quantity, pricing_unit, currency, list_cost, contracted_cost, effective_cost,
            billed_cost, coupon_paid, paid_voucher, paid_complimentary, paid_cash, paid_card,
            paid_credit, paid_arrears, invoice_id, tags, entry_id, raw)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
            ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36)",
    )?;
    let p = &line.paid;
    stmt.execute(params![
        line.source_file,
        line.source_line as i64,
        line.provider,
        line.account_id,
        line.sub_account_id,
        line.sub_account_name,
        line.month,
        line.charge_start.map(to_db),
        line.charge_end.map(to_db),
        line.category,
        line.charge_class,
        line.description,
        line.service,
        line.service_category,
        line.resource_id,
        line.resource_name,
        line.region,
        line.sku_id,
        opt_text(line.pricing_quantity),
        line.pricing_unit,
        line.currency.code(),
        opt_text(line.list_cost),
        opt_text(line.contracted_cost),
        to_text(line.effective_cost),
        to_text(line.billed_cost),
        opt_text(p.cash_coupon),
        opt_text(p.voucher),
        opt_text(p.complimentary),
        opt_text(p.cash),
        opt_text(p.card),
        opt_text(p.credit),
        opt_text(p.arrears),
        line.invoice_id,
        line.tags,
        entry_id,
        line.raw,
    ])?;
    Ok(tx.last_insert_rowid())
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
            "SELECT account_id, COALESCE(sub_account_id, ''), month, service, currency,
                    billed_cost, effective_cost, list_cost, coupon_paid
             FROM cost_lines WHERE {where_sql}"
        ))?;
        let mut rows = stmt.query(params)?;
        while let Some(r) = rows.next()? {
            let d = |i: usize| -> rusqlite::Result<Option<Decimal>> {
                Ok(r.get::<_, Option<String>>(i)?.and_then(|t| t.parse().ok()))
            };
            let billed = d(5)?.unwrap_or_default();
            let sums = RollupSums {
                billed,
                effective: d(6)?.unwrap_or_default(),
                list: d(7)?.unwrap_or(billed),
                net: billed - d(8)?.unwrap_or_default(),
                lines: 1,
            };
            let key = RollupKey {
                account_id: r.get(0)?,
                sub_account_id: r.get(1)?,
                month: r.get(2)?,
                service: r.get(3)?,
                currency: r.get(4)?,
            };
            self.rows.entry(key).or_default().add(&sums, -1)?;
        }
        Ok(())
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

    /// Whether the rollups can answer it (no scan of the lines).
    fn in_rollups(&self) -> bool {
        matches!(
            self,
            GroupBy::Month
                | GroupBy::Service
                | GroupBy::Account
                | GroupBy::SubAccount
                | GroupBy::Provider
        )
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
/// different currencies are never added). Month, service, account, sub-account and provider
/// groupings read the rollups; the others scan the lines. Sums are exact, in Rust.
pub fn group_costs(
    conn: &rusqlite::Connection,
    filter: &CostFilter,
    group_by: &[GroupBy],
) -> Result<Vec<CostGroup>> {
    type Key = (Vec<Option<String>>, String);
    let mut groups: BTreeMap<Key, RollupSums> = BTreeMap::new();
    let dec = |t: Option<&str>| -> Option<Decimal> { t.and_then(stored_decimal) };
    // Only the filters given, so that SQLite can use the indexes (account first).
    let mut conds = vec!["1"];
    let mut args: Vec<&str> = Vec::new();
    for (value, cond) in [
        (&filter.account, "account_id = ?"),
        (&filter.from, "month >= ?"),
        (&filter.to, "month <= ?"),
    ] {
        if let Some(v) = value {
            conds.push(cond);
            args.push(v);
        }
    }
    let where_sql = conds.join(" AND ");
    let fparams = rusqlite::params_from_iter(args.iter());
    if group_by.iter().all(GroupBy::in_rollups) {
        // Read the rollups, aggregate in Rust: one hash lookup on a reused key buffer per
        // rollup row, and no allocation unless the row starts a new group.
        let provider = group_by.contains(&GroupBy::Provider);
        let mut stmt = conn.prepare(&format!(
            "SELECT month, service, account_id, sub_account_id, {}, currency,
                    billed_cost, effective_cost, list_cost, net_cost, lines
             FROM cost_rollups WHERE {where_sql}",
            if provider {
                "(SELECT provider FROM accounts a WHERE a.id = account_id)"
            } else {
                "NULL"
            }
        ))?;
        let mut rows = stmt.query(fparams)?;
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        let mut acc: Vec<(Key, RollupSums)> = Vec::new();
        let mut buf = String::new();
        let column = |g: &GroupBy| match g {
            GroupBy::Month => 0,
            GroupBy::Service => 1,
            GroupBy::Account => 2,
            GroupBy::SubAccount => 3,
            _ => 4,
        };
        while let Some(r) = rows.next()? {
            let text = |i: usize| -> rusqlite::Result<Option<&str>> {
                Ok(r.get_ref(i)?
                    .as_str_or_null()?
                    .filter(|s| !(i == 3 && s.is_empty())))
            };
            buf.clear();
            for g in group_by {
                // Length-prefixed, so that no value can make two keys equal.
                match text(column(g))? {
                    Some(t) => {
                        let _ = std::fmt::Write::write_fmt(&mut buf, format_args!("{}:", t.len()));
                        buf.push_str(t);
                    }
                    None => buf.push('-'),
                }
            }
            let currency = text(5)?.unwrap_or_default();
            buf.push_str(currency);
            let i = match index.get(buf.as_str()) {
                Some(&i) => i,
                None => {
                    let key = group_by
                        .iter()
                        .map(|g| text(column(g)).map(|t| t.map(str::to_string)))
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    acc.push(((key, currency.to_string()), RollupSums::default()));
                    index.insert(buf.clone(), acc.len() - 1);
                    acc.len() - 1
                }
            };
            let sums = &mut acc[i].1;
            let add = |a: Decimal, t: Option<&str>| -> Result<Decimal> {
                a.checked_add(dec(t).unwrap_or_default()).ok_or_else(|| {
                    Error::refused(
                        "a cost total exceeds 28 significant digits and cannot be kept exactly",
                    )
                })
            };
            sums.billed = add(sums.billed, text(6)?)?;
            sums.effective = add(sums.effective, text(7)?)?;
            sums.list = add(sums.list, text(8)?)?;
            sums.net = add(sums.net, text(9)?)?;
            sums.lines += r.get::<_, i64>(10)?;
        }
        groups.extend(acc);
    } else {
        let mut stmt = conn.prepare(&format!(
            "SELECT month, service, account_id, sub_account_id, provider, region, category,
                    resource_id, tags, currency, billed_cost, effective_cost, list_cost, coupon_paid
             FROM cost_lines WHERE {where_sql}"
        ))?;
        let mut rows = stmt.query(fparams)?;
        let mut key = Vec::with_capacity(group_by.len());
        while let Some(r) = rows.next()? {
            let text = |i: usize| -> rusqlite::Result<Option<&str>> {
                Ok(r.get_ref(i)?.as_str_or_null()?)
            };
            key.clear();
            let mut tags: Option<serde_json::Map<String, serde_json::Value>> = None;
            for g in group_by {
                let v = match g {
                    GroupBy::Month => text(0)?.map(str::to_string),
                    GroupBy::Service => text(1)?.map(str::to_string),
                    GroupBy::Account => text(2)?.map(str::to_string),
                    GroupBy::SubAccount => text(3)?.map(str::to_string),
                    GroupBy::Provider => text(4)?.map(str::to_string),
                    GroupBy::Region => text(5)?.map(str::to_string),
                    GroupBy::Category => text(6)?.map(str::to_string),
                    GroupBy::Resource => text(7)?.map(str::to_string),
                    GroupBy::Tag(k) => {
                        if tags.is_none() {
                            tags = Some(
                                text(8)?
                                    .and_then(|t| serde_json::from_str(t).ok())
                                    .unwrap_or_default(),
                            );
                        }
                        tags.as_ref().and_then(|m| m.get(k)).map(|v| match v {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                    }
                };
                key.push(v);
            }
            let billed = dec(text(10)?).unwrap_or_default();
            let sums = RollupSums {
                billed,
                effective: dec(text(11)?).unwrap_or_default(),
                list: dec(text(12)?).unwrap_or(billed),
                net: billed - dec(text(13)?).unwrap_or_default(),
                lines: 1,
            };
            let currency: String = r.get(9)?;
            groups
                .entry((key.clone(), currency))
                .or_default()
                .add(&sums, 1)?;
        }
    }
    Ok(groups
        .into_iter()
        .map(|((key, currency), s)| CostGroup {
            keys: group_by.iter().map(GroupBy::name).zip(key).collect(),
            currency,
            billed_cost: s.billed,
            effective_cost: s.effective,
            list_cost: s.list,
            net_cost: s.net,
            lines: s.lines,
        })
        .collect())
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
