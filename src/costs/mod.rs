//! Cost lines: the one internal model of "what was consumed", whether it came from a charge
//! recorded in Billfold or a bill exported by a provider (FOCUS, Tencent, Huawei...).
//!
//! - `mod.rs`: the model, writing one line (the ledger's own) and reading one back.
//! - [`rollups`]: exact sums kept at write time — per (account, member, month, service) for the
//!   trend, and per resource-month ("facts") for the explorer's groupings and month over month
//!   — so that neither scans the lines.
//! - [`index`]: the two indexes kept by hand (largest lines first, a resource's lines).

pub mod facts;
pub mod index;
pub mod rollups;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Transaction};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::money::Currency;
use crate::store::amount_key;
use crate::store::labels::{Interner, Labels};

pub use index::{index_lines, IndexRuns};

/// The (account, month) pairs of an import, numbered as they come (an import has few, and its
/// lines come grouped, so the last one is tried first).
#[derive(Default)]
pub(crate) struct AccountMonths {
    pairs: Vec<(String, String)>,
    last: Option<u32>,
}

impl AccountMonths {
    /// The number of (account, month), and whether it is new.
    pub fn number(&mut self, account: &str, month: &str) -> (u32, bool) {
        if let Some(p) = self.last {
            let (a, m) = &self.pairs[p as usize];
            if a == account && m == month {
                return (p, false);
            }
        }
        let found = self
            .pairs
            .iter()
            .position(|(a, m)| a == account && m == month);
        let (p, new) = match found {
            Some(p) => (p as u32, false),
            None => {
                self.pairs.push((account.to_string(), month.to_string()));
                ((self.pairs.len() - 1) as u32, true)
            }
        };
        self.last = Some(p);
        (p, new)
    }

    /// The (account, month) numbered `n`.
    pub fn get(&self, n: u32) -> &(String, String) {
        &self.pairs[n as usize]
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }
}
pub use rollups::{
    check_totals, trend, RollupDelta, RollupKey, RollupSums, ServiceAmount, TrendMonth,
};

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
    /// The revenue-share account (Tencent's 分成金账户).
    pub revenue: Option<Decimal>,
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
            paid_cash, paid_card, paid_credit, paid_arrears, paid_revenue, entry_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
            ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35,
            ?36)",
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
        a(p.revenue),
        entry_id,
    ])?;
    let id = tx.last_insert_rowid();
    index_lines(tx, id, id)?;
    Ok(id)
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
                paid_arrears, invoice, tags, paid_revenue
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
            revenue: a(34)?,
        },
        invoice_id: t(32)?,
        tags: t(33)?,
    })
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
