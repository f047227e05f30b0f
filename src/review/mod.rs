//! Bill review (issue 5): explore cost lines, compare months, annotate, reconcile, sign off,
//! convert with the user's rates, and export. Everything reads the same `cost_lines` the
//! overview and the importers use; sums are exact, in Rust.

pub mod annotations;
pub mod export;
pub mod fx;
pub mod reconcile;

use std::collections::BTreeMap;

use rusqlite::{params, Connection};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::error::{Error, Result};

/// Lines per page of the explorer.
pub const PAGE_SIZE: usize = 100;

/// Which lines the explorer covers. Every field narrows; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct LineFilter {
    pub account: Option<String>,
    /// Only lines of the accounts of this organization (the admin's and the members').
    pub org: Option<String>,
    pub provider: Option<String>,
    pub sub_account: Option<String>,
    pub service: Option<String>,
    pub region: Option<String>,
    pub category: Option<String>,
    pub resource: Option<String>,
    /// `YYYY-MM`, both ends included.
    pub from: Option<String>,
    pub to: Option<String>,
    /// `KEY` (the line has the tag) or `KEY=VALUE`.
    pub tag: Option<String>,
    /// Case-insensitive text in the description, resource id or resource name.
    pub text: Option<String>,
}

/// The money column the explorer sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Billed,
    Effective,
    List,
    /// File order: month, file, line.
    Source,
}

impl std::str::FromStr for SortBy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "billed" | "billed_cost" => SortBy::Billed,
            "effective" | "effective_cost" => SortBy::Effective,
            "list" | "list_cost" => SortBy::List,
            "source" => SortBy::Source,
            _ => {
                return Err(Error::invalid(format!(
                    "'{s}' is not a sort: expected billed, effective, list or source"
                )))
            }
        })
    }
}

/// One cost line as the explorer shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LineOut {
    pub id: i64,
    pub source_file: String,
    pub source_line: i64,
    pub provider: String,
    pub account: String,
    pub sub_account: Option<String>,
    pub month: String,
    pub charge_start: Option<String>,
    pub charge_end: Option<String>,
    pub category: String,
    pub charge_class: Option<String>,
    pub service: String,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub region: Option<String>,
    pub sku_id: Option<String>,
    pub pricing_quantity: Option<String>,
    pub currency: String,
    pub billed_cost: String,
    pub effective_cost: String,
    pub list_cost: Option<String>,
    pub invoice_id: Option<String>,
    pub tags: Option<String>,
    pub description: Option<String>,
    /// Cash coupons used on the line: its net amount is billed − coupons.
    pub coupon_paid: Option<String>,
    /// The current review mark of the line, its resource-month or its service-month.
    pub review: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LinePage {
    pub page: usize,
    pub page_size: usize,
    pub total_lines: usize,
    /// Exact sums of every matching line (not only this page), per currency.
    pub totals: Vec<CurrencyTotal>,
    pub lines: Vec<LineOut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurrencyTotal {
    pub currency: String,
    #[serde(with = "crate::money::text")]
    pub billed_cost: Decimal,
    pub lines: usize,
}

pub(crate) const LINE_COLUMNS: &str =
    "id, source_file, source_line, provider, account_id, sub_account_id, month,
    charge_start, charge_end, category, charge_class, service, resource_id, resource_name, region,
    sku_id, pricing_quantity, currency, billed_cost, effective_cost, list_cost, invoice_id, tags,
    description, coupon_paid";

/// The WHERE clause of a filter: fixed text, values bound as parameters ?1..?9.
const FILTER_SQL: &str = "(?1 IS NULL OR account_id = ?1) AND (?2 IS NULL OR provider = ?2)
    AND (?3 IS NULL OR sub_account_id = ?3) AND (?4 IS NULL OR service = ?4)
    AND (?5 IS NULL OR region = ?5) AND (?6 IS NULL OR lower(category) = lower(?6))
    AND (?7 IS NULL OR resource_id = ?7) AND (?8 IS NULL OR month >= ?8) AND (?9 IS NULL OR month <= ?9)
    AND (?10 IS NULL OR instr(lower(COALESCE(description, '') || ' ' || COALESCE(resource_id, '') || ' '
         || COALESCE(resource_name, '')), lower(?10)) > 0)
    AND (?11 IS NULL OR account_id IN (SELECT id FROM accounts WHERE org_id = ?11))";

pub(crate) fn row_to_line(r: &rusqlite::Row<'_>) -> rusqlite::Result<LineOut> {
    Ok(LineOut {
        id: r.get(0)?,
        source_file: r.get(1)?,
        source_line: r.get(2)?,
        provider: r.get(3)?,
        account: r.get(4)?,
        sub_account: r.get(5)?,
        month: r.get(6)?,
        charge_start: r.get(7)?,
        charge_end: r.get(8)?,
        category: r.get(9)?,
        charge_class: r.get(10)?,
        service: r.get(11)?,
        resource_id: r.get(12)?,
        resource_name: r.get(13)?,
        region: r.get(14)?,
        sku_id: r.get(15)?,
        pricing_quantity: r.get(16)?,
        currency: r.get(17)?,
        billed_cost: r.get(18)?,
        effective_cost: r.get(19)?,
        list_cost: r.get(20)?,
        invoice_id: r.get(21)?,
        tags: r.get(22)?,
        description: r.get(23)?,
        coupon_paid: r.get(24)?,
        review: None,
    })
}

fn tag_matches(tags: Option<&str>, want: &str) -> bool {
    let Some(tags) = tags else { return false };
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(tags) else {
        return false;
    };
    match want.split_once('=') {
        Some((k, v)) => map
            .get(k)
            .is_some_and(|x| x.as_str().unwrap_or_default() == v),
        None => map.contains_key(want),
    }
}

/// Every line matching `filter`, in file order. The caller decides what to keep.
pub fn matching_lines(conn: &Connection, filter: &LineFilter) -> Result<Vec<LineOut>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {LINE_COLUMNS} FROM cost_lines WHERE {FILTER_SQL} ORDER BY month, source_file, source_line, id"
    ))?;
    let f = filter;
    let rows = stmt.query_map(
        params![
            f.account,
            f.provider,
            f.sub_account,
            f.service,
            f.region,
            f.category,
            f.resource,
            f.from,
            f.to,
            f.text,
            f.org
        ],
        row_to_line,
    )?;
    let mut out = Vec::new();
    for row in rows {
        let line = row?;
        if let Some(t) = &f.tag {
            if !tag_matches(line.tags.as_deref(), t) {
                continue;
            }
        }
        out.push(line);
    }
    Ok(out)
}

fn dec(t: &str) -> Decimal {
    t.parse().unwrap_or_default()
}

/// A page of the explorer: matching lines sorted by a money column (largest first) or in file
/// order, with the exact totals of all of them and their current review marks.
pub fn lines(
    conn: &Connection,
    filter: &LineFilter,
    sort: SortBy,
    page: usize,
) -> Result<LinePage> {
    let mut all = matching_lines(conn, filter)?;
    let mut totals: BTreeMap<String, (Decimal, usize)> = BTreeMap::new();
    for l in &all {
        let t = totals.entry(l.currency.clone()).or_default();
        t.0 += dec(&l.billed_cost);
        t.1 += 1;
    }
    let key = |l: &LineOut| match sort {
        SortBy::Billed => dec(&l.billed_cost),
        SortBy::Effective => dec(&l.effective_cost),
        SortBy::List => l.list_cost.as_deref().map(dec).unwrap_or_default(),
        SortBy::Source => Decimal::ZERO,
    };
    if sort != SortBy::Source {
        all.sort_by(|a, b| key(b).cmp(&key(a)).then(a.id.cmp(&b.id)));
    }
    let total_lines = all.len();
    let page = page.max(1);
    let mut lines: Vec<LineOut> = all
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    for l in &mut lines {
        l.review = annotations::current_for_line(conn, l)?.map(|a| a.status);
    }
    Ok(LinePage {
        page,
        page_size: PAGE_SIZE,
        total_lines,
        totals: totals
            .into_iter()
            .map(|(currency, (billed_cost, lines))| CurrencyTotal {
                currency,
                billed_cost,
                lines,
            })
            .collect(),
        lines,
    })
}

/// The lines of `filter` grouped by `group_by` (and always by currency: amounts in different
/// currencies are never added), with exact sums: the explorer's grouped view.
pub fn groups(
    conn: &Connection,
    filter: &LineFilter,
    group_by: &[crate::costs::GroupBy],
) -> Result<Vec<crate::costs::CostGroup>> {
    use crate::costs::{CostGroup, GroupBy, RollupSums};
    let mut acc: BTreeMap<(Vec<Option<String>>, String), RollupSums> = BTreeMap::new();
    for l in matching_lines(conn, filter)? {
        let key = group_by
            .iter()
            .map(|g| match g {
                GroupBy::Month => Some(l.month.clone()),
                GroupBy::Service => Some(l.service.clone()),
                GroupBy::Account => Some(l.account.clone()),
                GroupBy::SubAccount => l.sub_account.clone(),
                GroupBy::Provider => Some(l.provider.clone()),
                GroupBy::Region => l.region.clone(),
                GroupBy::Category => Some(l.category.clone()),
                GroupBy::Resource => l.resource_id.clone(),
                GroupBy::Tag(k) => l
                    .tags
                    .as_deref()
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
                    .and_then(|v| {
                        v.get(k).map(|x| match x {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                    }),
            })
            .collect();
        let billed = dec(&l.billed_cost);
        let sums = RollupSums {
            billed,
            effective: dec(&l.effective_cost),
            list: l.list_cost.as_deref().map(dec).unwrap_or(billed),
            net: billed - l.coupon_paid.as_deref().map(dec).unwrap_or_default(),
            lines: 1,
        };
        acc.entry((key, l.currency)).or_default().add(&sums, 1)?;
    }
    Ok(acc
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

/// The original row of a line, as the file had it: header names with their values.
pub fn original_row(conn: &Connection, line_id: i64) -> Result<serde_json::Value> {
    let (raw, header, file): (Option<String>, Option<String>, String) = conn
        .query_row(
            "SELECT l.raw, i.header, l.source_file FROM cost_lines l
             LEFT JOIN imports i ON i.id = l.import_id WHERE l.id = ?1",
            params![line_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(|_| Error::not_found(format!("there is no cost line {line_id}")))?;
    let values: Option<Vec<String>> = raw.as_deref().and_then(|r| serde_json::from_str(r).ok());
    let names: Option<Vec<String>> = header.as_deref().and_then(|h| serde_json::from_str(h).ok());
    Ok(match (names, values) {
        (Some(n), Some(v)) => {
            let map: serde_json::Map<String, serde_json::Value> = n
                .into_iter()
                .zip(v)
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect();
            serde_json::json!({"source_file": file, "row": map})
        }
        _ => serde_json::json!({"source_file": file, "raw": raw}),
    })
}

/// How `diff` groups lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffBy {
    Service,
    Resource,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiffRow {
    pub key: String,
    pub service: String,
    pub currency: String,
    /// new, gone, changed or same.
    pub status: &'static str,
    #[serde(with = "crate::money::text")]
    pub from_amount: Decimal,
    #[serde(with = "crate::money::text")]
    pub to_amount: Decimal,
    #[serde(with = "crate::money::text")]
    pub change: Decimal,
    /// Change in percent of the earlier month, two decimals, half away from zero; none for new.
    pub change_pct: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitPriceChange {
    pub resource: String,
    pub sku: Option<String>,
    pub currency: String,
    pub from_unit_price: String,
    pub to_unit_price: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub from: String,
    pub to: String,
    pub by: &'static str,
    pub rows: Vec<DiffRow>,
    /// The ten largest movers by amount and by percent.
    pub movers_by_amount: Vec<String>,
    pub movers_by_pct: Vec<String>,
    pub unit_price_changes: Vec<UnitPriceChange>,
    /// Lines of either month that correct an earlier period.
    pub corrections: Vec<LineOut>,
}

fn is_correction(l: &LineOut) -> bool {
    l.charge_class
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("correction"))
        || l.category.eq_ignore_ascii_case("adjustment")
}

/// Month over month: what is new, gone or changed, the biggest movers, unit-price changes and
/// corrections.
pub fn diff(
    conn: &Connection,
    base: &LineFilter,
    from: &str,
    to: &str,
    by: DiffBy,
) -> Result<Diff> {
    for m in [from, to] {
        crate::time::parse(&format!("{m}-01"))
            .map_err(|_| Error::invalid(format!("'{m}' is not a month: expected YYYY-MM")))?;
    }
    type Key = (String, String, String); // key, service, currency
    let mut sums: BTreeMap<Key, [Decimal; 2]> = BTreeMap::new();
    // (resource, SKU, currency) → per month (billed, quantity)
    type UnitKey = (String, Option<String>, String);
    let mut units: BTreeMap<UnitKey, [(Decimal, Decimal); 2]> = BTreeMap::new();
    let mut corrections = Vec::new();
    for (i, month) in [from, to].into_iter().enumerate() {
        let f = LineFilter {
            from: Some(month.to_string()),
            to: Some(month.to_string()),
            ..base.clone()
        };
        for l in matching_lines(conn, &f)? {
            let billed = dec(&l.billed_cost);
            let key = match by {
                DiffBy::Service => l.service.clone(),
                DiffBy::Resource => l
                    .resource_id
                    .clone()
                    .unwrap_or_else(|| format!("({})", l.service)),
            };
            sums.entry((key, l.service.clone(), l.currency.clone()))
                .or_default()[i] += billed;
            if let (Some(r), Some(q)) = (&l.resource_id, l.pricing_quantity.as_deref().map(dec)) {
                if !q.is_zero() && !is_correction(&l) {
                    let u = &mut units
                        .entry((r.clone(), l.sku_id.clone(), l.currency.clone()))
                        .or_default()[i];
                    u.0 += billed;
                    u.1 += q;
                }
            }
            if is_correction(&l) && corrections.len() < 100 {
                corrections.push(l);
            }
        }
    }
    let hundred = Decimal::from(100);
    let mut rows: Vec<DiffRow> = sums
        .into_iter()
        .map(|((key, service, currency), [a, b])| {
            let status = match (a.is_zero(), b.is_zero()) {
                (true, false) => "new",
                (false, true) => "gone",
                _ if a == b => "same",
                _ => "changed",
            };
            let change_pct = (!a.is_zero()).then(|| {
                let mut pct = ((b - a) * hundred / a.abs())
                    .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
                pct.rescale(2);
                pct.to_string()
            });
            DiffRow {
                key,
                service,
                currency,
                status,
                from_amount: a,
                to_amount: b,
                change: b - a,
                change_pct,
            }
        })
        .collect();
    rows.sort_by(|x, y| y.change.abs().cmp(&x.change.abs()).then(x.key.cmp(&y.key)));
    let movers_by_amount = rows
        .iter()
        .filter(|r| r.status != "same")
        .take(10)
        .map(|r| r.key.clone())
        .collect();
    let mut by_pct: Vec<&DiffRow> = rows
        .iter()
        .filter(|r| r.change_pct.is_some() && r.status != "same")
        .collect();
    by_pct.sort_by(|x, y| {
        let p = |r: &DiffRow| r.change_pct.as_deref().map(dec).unwrap_or_default().abs();
        p(y).cmp(&p(x))
    });
    let movers_by_pct = by_pct.into_iter().take(10).map(|r| r.key.clone()).collect();
    let scale = 10;
    let unit_price_changes = units
        .into_iter()
        .filter_map(|((resource, sku, currency), [(ba, qa), (bb, qb)])| {
            if qa.is_zero() || qb.is_zero() {
                return None;
            }
            let ua = ba
                .checked_div(qa)?
                .round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
            let ub = bb
                .checked_div(qb)?
                .round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
            (ua != ub).then(|| UnitPriceChange {
                resource,
                sku,
                currency,
                from_unit_price: ua.normalize().to_string(),
                to_unit_price: ub.normalize().to_string(),
            })
        })
        .collect();
    Ok(Diff {
        from: from.to_string(),
        to: to.to_string(),
        by: match by {
            DiffBy::Service => "service",
            DiffBy::Resource => "resource",
        },
        rows,
        movers_by_amount,
        movers_by_pct,
        unit_price_changes,
        corrections,
    })
}

/// The reviewer's name, a local setting.
pub fn reviewer(conn: &Connection) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT value FROM settings WHERE key = 'reviewer'",
            [],
            |r| r.get(0),
        )
        .optional()?)
}

pub fn set_reviewer(conn: &Connection, name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid("the reviewer's name must not be empty"));
    }
    conn.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES ('reviewer', ?1)",
        params![name.trim()],
    )?;
    Ok(())
}
