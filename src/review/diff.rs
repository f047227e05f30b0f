//! Month over month: what is new, gone or changed between two months, the biggest movers,
//! unit-price changes and the lines that correct an earlier period. From the facts of each
//! month (resource-months, grouped by integer label ids); texts are looked up once per row of
//! the result, and only the correction lines are read.

use rust_decimal::{Decimal, RoundingStrategy};
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::query;
use super::{line_from_row, LineFilter, LineOut};
use crate::error::{Error, Result};
use crate::store::labels::Labels;
use rusqlite::Connection;

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
    /// Lines of either month that correct an earlier period (the first 100), and how many
    /// there are.
    pub corrections: Vec<LineOut>,
    pub corrections_total: u64,
}

/// Corrections kept at most in a diff.
const MAX_CORRECTIONS: usize = 100;
const NONE: i64 = -1;

/// Label ids whose text is `word` in any casing.
fn ids_of(conn: &Connection, word: &str) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM labels WHERE lower(text) = lower(?1)")?;
    let ids = stmt
        .query_map([word], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// The lines behind a fact (at most `limit`), through the ranks of its account, month, service
/// and member.
fn lines_of_fact(
    conn: &Connection,
    account: &str,
    fact: &query::Fact,
    limit: usize,
    labels: &mut Labels,
) -> Result<Vec<LineOut>> {
    let cols: Vec<String> = query::COLUMNS
        .split(',')
        .map(|c| format!("l.{}", c.trim()))
        .collect();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {} FROM cost_lines_rank x CROSS JOIN cost_lines l ON l.id = x.id
         WHERE x.account_id = ?1 AND x.month = ?2 AND x.service = ?3 AND x.sub_account = ?4
           AND COALESCE(l.resource, 0) = ?5 AND COALESCE(l.region, 0) = ?6 AND l.category = ?7
           AND COALESCE(l.charge_class, 0) = ?8 AND COALESCE(l.sku, 0) = ?9
           AND COALESCE(l.tags, 0) = ?10 AND COALESCE(l.description, 0) = ?11
           AND COALESCE(l.resource_name, 0) = ?12 AND l.currency = ?13
         ORDER BY x.id LIMIT ?14",
        cols.join(", ")
    ))?;
    let l = &fact.labels;
    let mut rows = stmt.query(rusqlite::params![
        account,
        fact.month,
        l[0],
        l[1],
        l[2],
        l[3],
        l[4],
        l[5],
        l[6],
        l[7],
        l[8],
        l[9],
        fact.currency,
        limit as i64
    ])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(line_from_row(conn, labels, row)?);
    }
    Ok(out)
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
        let ok = m.len() == 7 && crate::time::parse(&format!("{m}-01")).is_ok();
        if !ok {
            return Err(Error::invalid(format!(
                "'{m}' is not a month: expected YYYY-MM"
            )));
        }
    }
    let corrections_class = ids_of(conn, "correction")?;
    let adjustments = ids_of(conn, "adjustment")?;
    let is_correction = |class: Option<i64>, category: i64| {
        class.is_some_and(|c| corrections_class.contains(&c)) || adjustments.contains(&category)
    };
    // (key label or NONE, service label, currency) → [from, to]
    let mut sums: FxHashMap<(i64, i64, String), [Decimal; 2]> = FxHashMap::default();
    // (resource, sku or NONE, currency) → per month (billed, quantity)
    let mut units: FxHashMap<(i64, i64, String), [(Decimal, Decimal); 2]> = FxHashMap::default();
    let mut corrections = Vec::new();
    let mut corrections_total = 0u64;
    let mut labels = Labels::default();
    for (i, month) in [from, to].into_iter().enumerate() {
        let f = LineFilter {
            from: Some(month.to_string()),
            to: Some(month.to_string()),
            ..base.clone()
        };
        let Some(r) = query::resolve(conn, &f)? else {
            continue;
        };
        // From the facts: a resource-month's sums, its quantity and what that quantity
        // cost; the correction lines are read from the facts that hold some.
        for fact in query::facts(conn, &r)? {
            let l = &fact.labels;
            let (service, resource, sku) = (l[0], l[2], l[6]);
            let key = match by {
                DiffBy::Service => (service, service),
                DiffBy::Resource => (if resource == 0 { NONE } else { resource }, service),
            };
            let billed = fact.sums.sums.billed;
            let sum = &mut sums
                .entry((key.0, key.1, fact.currency.clone()))
                .or_default()[i];
            *sum = crate::money::add(*sum, billed)?;
            let class = (l[5] != 0).then_some(l[5]);
            let correction = is_correction(class, l[4]);
            if resource != 0 && !fact.sums.quantity.is_zero() && !correction {
                let sku = if sku == 0 { NONE } else { sku };
                let u = &mut units
                    .entry((resource, sku, fact.currency.clone()))
                    .or_default()[i];
                u.0 += fact.sums.quantity_billed;
                u.1 += fact.sums.quantity;
            }
            if correction {
                corrections_total += fact.sums.sums.lines as u64;
            }
            if correction && corrections.len() < MAX_CORRECTIONS {
                let account = &r.accounts[fact.account].id;
                let left = MAX_CORRECTIONS - corrections.len();
                corrections.extend(lines_of_fact(conn, account, &fact, left, &mut labels)?);
            }
        }
    }
    let hundred = Decimal::from(100);
    let mut rows: Vec<DiffRow> = Vec::with_capacity(sums.len());
    for ((key, service, currency), [a, b]) in sums {
        let service = labels.text(conn, service)?.to_string();
        let key = match by {
            DiffBy::Service => service.clone(),
            DiffBy::Resource if key == NONE => format!("({service})"),
            DiffBy::Resource => labels.text(conn, key)?.to_string(),
        };
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
        rows.push(DiffRow {
            key,
            service,
            currency,
            status,
            from_amount: a,
            to_amount: b,
            change: b - a,
            change_pct,
        });
    }
    rows.sort_by(|x, y| {
        y.change
            .abs()
            .cmp(&x.change.abs())
            .then(x.key.cmp(&y.key))
            .then(x.currency.cmp(&y.currency))
    });
    let movers_by_amount = rows
        .iter()
        .filter(|r| r.status != "same")
        .take(10)
        .map(|r| r.key.clone())
        .collect();
    let pct = |r: &DiffRow| -> Decimal {
        r.change_pct
            .as_deref()
            .and_then(|p| p.parse::<Decimal>().ok())
            .unwrap_or_default()
            .abs()
    };
    let mut by_pct: Vec<&DiffRow> = rows
        .iter()
        .filter(|r| r.change_pct.is_some() && r.status != "same")
        .collect();
    by_pct.sort_by(|x, y| pct(y).cmp(&pct(x)).then(x.key.cmp(&y.key)));
    let movers_by_pct = by_pct.into_iter().take(10).map(|r| r.key.clone()).collect();
    let scale = 10;
    let mut unit_price_changes = Vec::new();
    for ((resource, sku, currency), [(ba, qa), (bb, qb)]) in units {
        if qa.is_zero() || qb.is_zero() {
            continue;
        }
        let unit = |b: Decimal, q: Decimal| {
            b.checked_div(q)
                .map(|u| u.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero))
        };
        let (Some(ua), Some(ub)) = (unit(ba, qa), unit(bb, qb)) else {
            continue;
        };
        if ua != ub {
            unit_price_changes.push(UnitPriceChange {
                resource: labels.text(conn, resource)?.to_string(),
                sku: if sku == NONE {
                    None
                } else {
                    Some(labels.text(conn, sku)?.to_string())
                },
                currency,
                from_unit_price: ua.normalize().to_string(),
                to_unit_price: ub.normalize().to_string(),
            });
        }
    }
    unit_price_changes.sort_by(|x, y| {
        (&x.resource, &x.sku, &x.currency).cmp(&(&y.resource, &y.sku, &y.currency))
    });
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
        corrections_total,
    })
}
