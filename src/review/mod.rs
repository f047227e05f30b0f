//! Bill review (issue 5): explore cost lines, compare months, annotate, reconcile, sign off,
//! convert with the user's rates, and export. Everything reads the same `cost_lines` the
//! overview and the importers use; sums are exact, in Rust.

pub mod annotations;
mod diff;
pub mod export;
pub mod fx;
mod group;
pub(crate) mod query;
pub mod reconcile;

use std::collections::BTreeMap;

use chrono::DateTime;
use rusqlite::{params, Connection, Row};
use rust_decimal::Decimal;
use serde::Serialize;

pub use diff::{diff, Diff, DiffBy, DiffRow, UnitPriceChange};
pub use group::groups;

use crate::costs::{stored_amount, RollupSums};
use crate::error::{Error, Result};
use crate::money::to_text;
use crate::store::labels::Labels;
use query::{Resolved, COLUMNS, C_BILLED, C_EFFECTIVE, C_LIST};

/// Lines per page of the explorer.
pub const PAGE_SIZE: usize = 100;

/// Which lines the explorer covers. Every field narrows; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct LineFilter {
    pub account: Option<String>,
    /// Only lines of the accounts of this organization (the admin's and the members').
    pub org: Option<String>,
    /// Only lines in this currency (of the accounts billing in it).
    pub currency: Option<String>,
    /// The billing account's provider (a marketplace line naming its seller still belongs to
    /// its billing account's provider).
    pub provider: Option<String>,
    pub sub_account: Option<String>,
    pub service: Option<String>,
    pub region: Option<String>,
    /// Any casing.
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
    /// File order: account, month, then as the lines were written.
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

/// Builds a [`LineOut`] from a row of [`query::COLUMNS`].
pub(crate) fn line_from_row(
    conn: &Connection,
    labels: &mut Labels,
    r: &Row<'_>,
) -> Result<LineOut> {
    use query::*;
    let mut text = |i: usize| -> Result<Option<String>> {
        Ok(labels.opt(conn, r.get(i)?)?.map(|t| t.to_string()))
    };
    let amount = |i: usize| -> Result<Option<String>> { Ok(stored_amount(r, i)?.map(to_text)) };
    let time = |i: usize| -> Result<Option<String>> {
        Ok(r.get::<_, Option<i64>>(i)?
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .map(crate::time::to_db))
    };
    Ok(LineOut {
        id: r.get(C_ID)?,
        source_file: text(C_SOURCE)?.unwrap_or_default(),
        source_line: r.get(C_LINE)?,
        provider: text(C_PROVIDER)?.unwrap_or_default(),
        account: r.get(C_ACCOUNT)?,
        sub_account: text(C_SUB)?,
        month: r.get(C_MONTH)?,
        charge_start: time(C_START)?,
        charge_end: time(C_END)?,
        category: text(C_CATEGORY)?.unwrap_or_default(),
        charge_class: text(C_CLASS)?,
        service: text(C_SERVICE)?.unwrap_or_default(),
        resource_id: text(C_RESOURCE)?,
        resource_name: text(C_RESOURCE_NAME)?,
        region: text(C_REGION)?,
        sku_id: text(C_SKU)?,
        pricing_quantity: amount(C_QUANTITY)?,
        currency: r.get(C_CURRENCY)?,
        billed_cost: amount(C_BILLED)?.unwrap_or_default(),
        effective_cost: amount(C_EFFECTIVE)?.unwrap_or_default(),
        list_cost: amount(C_LIST)?,
        invoice_id: text(C_INVOICE)?,
        tags: text(C_TAGS)?,
        description: text(C_DESCRIPTION)?,
        coupon_paid: amount(C_COUPON)?,
        review: None,
    })
}

/// One line by id.
pub fn line(conn: &Connection, id: i64) -> Result<LineOut> {
    lines_by_id(conn, &[id])?.pop().ok_or_else(|| {
        Error::not_found(format!("there is no cost line {id}: see `billfold lines`"))
    })
}

/// The lines of `ids`, in that order (ids without a line are left out).
fn lines_by_id(conn: &Connection, ids: &[i64]) -> Result<Vec<LineOut>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM cost_lines WHERE id = ?1"))?;
    let mut labels = Labels::default();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let mut rows = stmt.query(params![id])?;
        if let Some(r) = rows.next()? {
            out.push(line_from_row(conn, &mut labels, r)?);
        }
    }
    Ok(out)
}

/// Visits every line matching `filter`, in file order (account, month, then as written).
pub fn for_each_line(
    conn: &Connection,
    filter: &LineFilter,
    mut visit: impl FnMut(LineOut) -> Result<()>,
) -> Result<()> {
    let Some(r) = query::resolve(conn, filter)? else {
        return Ok(());
    };
    let mut labels = Labels::default();
    query::scan(conn, &r, |_, row| {
        visit(line_from_row(conn, &mut labels, row)?)?;
        Ok(true)
    })
}

/// Every line matching `filter`, in file order. For small selections: large ones are better
/// visited with [`for_each_line`].
pub fn matching_lines(conn: &Connection, filter: &LineFilter) -> Result<Vec<LineOut>> {
    let mut out = Vec::new();
    for_each_line(conn, filter, |l| {
        out.push(l);
        Ok(())
    })?;
    Ok(out)
}

/// A page of the explorer: matching lines sorted by a money column (largest first) or in file
/// order, with the exact totals of all of them and their current review marks.
pub fn lines(
    conn: &Connection,
    filter: &LineFilter,
    sort: SortBy,
    page: usize,
) -> Result<LinePage> {
    let page = page.max(1);
    let mut out = LinePage {
        page,
        page_size: PAGE_SIZE,
        total_lines: 0,
        totals: Vec::new(),
        lines: Vec::new(),
    };
    let Some(r) = query::resolve(conn, filter)? else {
        return Ok(out);
    };
    let skip = (page - 1) * PAGE_SIZE;
    let ids = match sort {
        // A resource's lines are few (its index finds them): ranked by a scan of them.
        SortBy::Billed if r.resource.is_some() => {
            query::largest_by_scan(conn, &r, C_BILLED, skip, PAGE_SIZE)?
        }
        SortBy::Billed => match query::largest_billed(conn, &r, skip, PAGE_SIZE)? {
            Some(ids) => ids,
            None => query::largest_by_scan(conn, &r, C_BILLED, skip, PAGE_SIZE)?,
        },
        SortBy::Effective => query::largest_by_scan(conn, &r, C_EFFECTIVE, skip, PAGE_SIZE)?,
        SortBy::List => query::largest_by_scan(conn, &r, C_LIST, skip, PAGE_SIZE)?,
        SortBy::Source => {
            let mut ids = Vec::with_capacity(PAGE_SIZE);
            let mut seen = 0;
            query::scan(conn, &r, |_, row| {
                if seen >= skip {
                    ids.push(row.get(query::C_ID)?);
                }
                seen += 1;
                Ok(ids.len() < PAGE_SIZE)
            })?;
            ids
        }
    };
    out.lines = lines_by_id(conn, &ids)?;
    for l in &mut out.lines {
        l.review = annotations::current_for_line(conn, l)?.map(|a| a.status);
    }
    let totals = totals(conn, &r)?;
    out.total_lines = totals.iter().map(|t| t.lines).sum();
    out.totals = totals;
    Ok(out)
}

/// Exact billed totals and line counts per currency of the lines under `r`: from the rollups
/// when they answer it, else from the facts.
fn totals(conn: &Connection, r: &Resolved) -> Result<Vec<CurrencyTotal>> {
    let mut acc: BTreeMap<String, (Decimal, usize)> = BTreeMap::new();
    if r.rollup_exact() {
        for (_, row) in rollup_rows(conn, r, false)? {
            let t = acc.entry(row.currency).or_default();
            t.0 = crate::money::add(t.0, row.sums.billed)?;
            t.1 += row.sums.lines as usize;
        }
    } else {
        for f in query::facts(conn, r)? {
            let t = acc.entry(f.currency).or_default();
            t.0 = crate::money::add(t.0, f.sums.sums.billed)?;
            t.1 += f.sums.sums.lines as usize;
        }
    }
    Ok(acc
        .into_iter()
        .map(|(currency, (billed_cost, lines))| CurrencyTotal {
            currency,
            billed_cost,
            lines,
        })
        .collect())
}

/// One row of `cost_rollups` under a filter.
pub(crate) struct RollupRow {
    pub month: String,
    pub service: String,
    pub sub_account: String,
    pub currency: String,
    pub sums: RollupSums,
}

/// The rollup rows of the accounts, months, service and member of `r`, with their account's
/// index in `r.accounts`; `by_member` when the caller needs the member (else the rows without
/// it are read, `sub_account` empty, far fewer for an organization of many members).
pub(crate) fn rollup_rows(
    conn: &Connection,
    r: &Resolved,
    by_member: bool,
) -> Result<Vec<(usize, RollupRow)>> {
    let mut stmt = if by_member || r.sub_account.is_some() {
        conn.prepare_cached(
            "SELECT month, service, sub_account_id, currency, billed_cost, effective_cost,
                    list_cost, net_cost, lines
             FROM cost_rollups
             WHERE account_id = ?1 AND (?2 IS NULL OR month >= ?2) AND (?3 IS NULL OR month <= ?3)
               AND (?4 IS NULL OR service = ?4) AND (?5 IS NULL OR sub_account_id = ?5)",
        )?
    } else {
        conn.prepare_cached(
            "SELECT month, service, '', currency, billed_cost, effective_cost, list_cost,
                    net_cost, lines
             FROM cost_rollups_by_service
             WHERE account_id = ?1 AND (?2 IS NULL OR month >= ?2) AND (?3 IS NULL OR month <= ?3)
               AND (?4 IS NULL OR service = ?4) AND ?5 IS NULL",
        )?
    };
    let mut out = Vec::new();
    for (i, a) in r.accounts.iter().enumerate() {
        let rows = stmt.query_map(
            params![
                a.id,
                r.from,
                r.to,
                r.service.as_ref().map(|s| &s.0),
                r.sub_account.as_ref().map(|s| &s.0)
            ],
            |row| {
                let d = |i: usize| -> rusqlite::Result<Decimal> {
                    Ok(crate::costs::stored_decimal(row.get_ref(i)?.as_str()?).unwrap_or_default())
                };
                Ok(RollupRow {
                    month: row.get(0)?,
                    service: row.get(1)?,
                    sub_account: row.get(2)?,
                    currency: row.get(3)?,
                    sums: RollupSums {
                        billed: d(4)?,
                        effective: d(5)?,
                        list: d(6)?,
                        net: d(7)?,
                        lines: row.get(8)?,
                    },
                })
            },
        )?;
        for row in rows {
            out.push((i, row?));
        }
    }
    Ok(out)
}

/// The original row of a line, exactly as its file had it: the header's names with the
/// record's values (read back from the file's compressed bytes kept in the ledger).
pub fn original_row(conn: &Connection, line_id: i64) -> Result<serde_json::Value> {
    let l = line(conn, line_id)?;
    let import: Option<(i64, String)> = conn.query_row(
        "SELECT l.import_id, i.header FROM cost_lines l LEFT JOIN imports i ON i.id = l.import_id
         WHERE l.id = ?1",
        params![line_id],
        |r| {
            Ok(r.get::<_, Option<i64>>(0)?
                .zip(r.get::<_, Option<String>>(1)?))
        },
    )?;
    let Some((import_id, header)) = import else {
        return Ok(serde_json::json!({
            "source_file": l.source_file,
            "source_line": l.source_line,
            "row": null,
            "note": "recorded in Billfold, not imported: it has no original row",
        }));
    };
    let names: Vec<String> = serde_json::from_str(&header).unwrap_or_default();
    let values = crate::import::original_record(conn, import_id, l.source_line as u64)?;
    let fields: Vec<serde_json::Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::json!({
                "column": names.get(i).cloned().unwrap_or_else(|| format!("#{}", i + 1)),
                "value": v,
            })
        })
        .collect();
    let map: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .cloned()
        .zip(values.iter().map(|v| serde_json::Value::String(v.clone())))
        .collect();
    Ok(serde_json::json!({
        "source_file": l.source_file,
        "source_line": l.source_line,
        "row": map,
        "fields": fields,
    }))
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
