//! Review marks on a line, a resource-month or a service-month.
//!
//! A mark is keyed on what identifies the charge, never on a line id: providers re-issue a
//! month's bill with new line ids, and the mark must survive the re-import. A mark whose charge
//! no longer appears in any line is shown as orphaned, never dropped.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::query::COLUMNS;
use super::{line_from_row, LineOut};
use crate::error::{Error, Result};
use crate::money::to_text;
use crate::store::labels::{self, Labels};
use crate::time::to_db;
use rust_decimal::Decimal;

use super::LineFilter;

/// What a mark is put on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Line(i64),
    Resource {
        resource: String,
        month: String,
        account: Option<String>,
    },
    Service {
        service: String,
        month: String,
        account: Option<String>,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Annotation {
    pub id: i64,
    pub target: String,
    pub key: String,
    pub provider: Option<String>,
    pub account: Option<String>,
    pub month: String,
    pub resource_id: Option<String>,
    pub sku_id: Option<String>,
    pub service: Option<String>,
    pub status: String,
    pub note: Option<String>,
    pub reviewer: Option<String>,
    pub at: String,
    /// Lines that carry the charge now; 0 means the mark is orphaned.
    pub lines: i64,
    pub orphaned: bool,
    /// What the marked lines billed when the mark was put, and what they bill now, in
    /// `currency` (none for marks of an older ledger, or when nothing carries the charge).
    #[serde(with = "crate::money::text_opt")]
    pub billed_when_marked: Option<Decimal>,
    #[serde(with = "crate::money::text_opt")]
    pub billed_now: Option<Decimal>,
    pub currency: Option<String>,
    /// The charge is still there but bills another amount than when it was marked: a mark
    /// put on 5.05 does not silently cover 7.00.
    pub amount_changed: bool,
}

fn line_key(l: &LineOut) -> String {
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    format!(
        "line|{}|{}|{}|{}|{}|{}|{}|{}",
        l.provider,
        l.account,
        l.month,
        o(&l.resource_id),
        o(&l.sku_id),
        o(&l.charge_start),
        o(&l.charge_end),
        l.service
    )
}

fn resource_key(account: &str, month: &str, resource: &str) -> String {
    format!("resource|{account}|{month}|{resource}")
}

fn service_key(account: &str, month: &str, service: &str) -> String {
    format!("service|{account}|{month}|{service}")
}

/// Puts a mark (reviewed, disputed, accepted) with a note. Marks are history: the newest wins.
pub fn mark(
    conn: &Connection,
    target: &Target,
    status: &str,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Annotation> {
    if !matches!(status, "reviewed" | "disputed" | "accepted") {
        return Err(Error::invalid(format!(
            "'{status}' is not a review status: expected reviewed, disputed or accepted"
        )));
    }
    let reviewer = super::reviewer(conn)?;
    let (kind, key, provider, account, month, resource, sku, service, start, end) = match target {
        Target::Line(id) => {
            let l = super::line(conn, *id)?;
            (
                "line",
                line_key(&l),
                Some(l.provider),
                Some(l.account),
                l.month,
                l.resource_id,
                l.sku_id,
                Some(l.service),
                l.charge_start,
                l.charge_end,
            )
        }
        Target::Resource {
            resource,
            month,
            account,
        } => {
            let account = the_account(conn, account.as_deref(), "resource_id", resource, month)?;
            (
                "resource",
                resource_key(&account, month, resource),
                None,
                Some(account),
                month.clone(),
                Some(resource.clone()),
                None,
                None,
                None,
                None,
            )
        }
        Target::Service {
            service,
            month,
            account,
        } => {
            let account = the_account(conn, account.as_deref(), "service", service, month)?;
            (
                "service",
                service_key(&account, month, service),
                None,
                Some(account),
                month.clone(),
                None,
                None,
                Some(service.clone()),
                None,
                None,
            )
        }
    };
    // What the marked lines bill now, kept with the mark (a later bill that moves it is flagged).
    let probe = Annotation {
        id: 0,
        target: kind.to_string(),
        key: key.clone(),
        provider: provider.clone(),
        account: account.clone(),
        month: month.clone(),
        resource_id: resource.clone(),
        sku_id: sku.clone(),
        service: service.clone(),
        status: status.to_string(),
        note: None,
        reviewer: None,
        at: String::new(),
        lines: 0,
        orphaned: false,
        billed_when_marked: None,
        billed_now: None,
        currency: None,
        amount_changed: false,
    };
    let (lines, now) = coverage(conn, &probe)?;
    let (billed, currency) = match &now {
        Some((b, c)) => (Some(to_text(*b)), Some(c.clone())),
        None => (None, None),
    };
    conn.execute(
        "INSERT INTO annotations (target, key, provider, account_id, month, resource_id, sku_id, service,
            charge_start, charge_end, status, note, reviewer, at, billed, currency)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![kind, key, provider, account, month, resource, sku, service, start, end, status, note, reviewer, to_db(at), billed, currency],
    )?;
    // The mark as `list` would show it, without re-checking every other mark.
    let id = conn.last_insert_rowid();
    let at_text: String = conn.query_row(
        "SELECT at FROM annotations WHERE id = ?1",
        params![id],
        |r| r.get(0),
    )?;
    Ok(Annotation {
        id,
        note: note.map(str::to_string),
        reviewer,
        at: at_text,
        lines,
        orphaned: lines == 0,
        billed_when_marked: now.as_ref().map(|(b, _)| *b),
        billed_now: now.as_ref().map(|(b, _)| *b),
        currency,
        ..probe
    })
}

/// The account a resource or service mark belongs to: given, or the only one with such lines.
fn the_account(
    conn: &Connection,
    given: Option<&str>,
    column: &str,
    value: &str,
    month: &str,
) -> Result<String> {
    if let Some(a) = given {
        return Ok(a.to_string());
    }
    let sql = match column {
        "resource_id" => {
            "SELECT DISTINCT account_id FROM cost_lines_resource_lists
             WHERE resource = (SELECT id FROM labels WHERE text = ?1) AND month = ?2
             ORDER BY account_id"
        }
        _ => {
            "SELECT DISTINCT account_id FROM cost_rollups_by_service WHERE service = ?1 AND month = ?2
             ORDER BY account_id"
        }
    };
    let mut stmt = conn.prepare(sql)?;
    let accounts: Vec<String> = stmt
        .query_map(params![value, month], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    match accounts.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::not_found(format!(
            "no line of {month} has '{value}'"
        ))),
        _ => Err(Error::invalid(format!(
            "'{value}' appears in {month} on several accounts ({}): say which with --account",
            accounts.join(", ")
        ))),
    }
}

/// How many current lines carry the charge a mark is keyed on, and what they bill (with their
/// currency; none when no line does, or when they bill in several currencies).
fn coverage(conn: &Connection, a: &Annotation) -> Result<(i64, Option<(Decimal, String)>)> {
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    let label = |t: &Option<String>| -> Result<Option<Option<i64>>> {
        Ok(match t {
            None => Some(None),
            Some(t) => labels::find(conn, t)?.map(Some),
        })
    };
    if a.target == "line" {
        // A text no line has means no line carries the charge any more.
        let (Some(resource), Some(sku)) = (label(&a.resource_id)?, label(&a.sku_id)?) else {
            return Ok((0, None));
        };
        // Through the resource's index when the charge has a resource.
        let sql = if resource.is_some() {
            format!(
                "SELECT {COLUMNS} FROM cost_lines WHERE id IN (
                    SELECT j.value FROM cost_lines_resource_lists x, json_each(x.ids) j
                    WHERE x.resource = ?3 AND x.month = ?2 AND x.account_id = ?1)
                 AND sku IS ?4"
            )
        } else {
            format!(
                "SELECT {COLUMNS} FROM cost_lines WHERE account_id = ?1 AND month = ?2
                 AND resource IS ?3 AND sku IS ?4"
            )
        };
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![o(&a.account), a.month, resource, sku])?;
        let mut labels = Labels::default();
        let mut n = 0;
        let mut sums: Vec<(Decimal, String)> = Vec::new();
        while let Some(r) = rows.next()? {
            let l = line_from_row(conn, &mut labels, r)?;
            if line_key(&l) == a.key {
                n += 1;
                let billed = crate::ledger::journal::parse_stored(&l.billed_cost)?;
                match sums.iter_mut().find(|(_, c)| *c == l.currency) {
                    Some((s, _)) => *s = crate::money::add(*s, billed)?,
                    None => sums.push((billed, l.currency)),
                }
            }
        }
        return Ok((n, one_currency(sums)));
    }
    // A resource or service mark always names its account (`the_account`); one without is
    // carried by no line, as before.
    if a.account.is_none() {
        return Ok((0, None));
    }
    let mut filter = LineFilter {
        account: a.account.clone(),
        from: Some(a.month.clone()),
        to: Some(a.month.clone()),
        ..Default::default()
    };
    if a.target == "resource" {
        if a.resource_id.is_none() {
            return Ok((0, None));
        }
        filter.resource = a.resource_id.clone();
    } else {
        filter.service = Some(o(&a.service));
    }
    let groups = super::groups(conn, &filter, &[])?;
    let n = groups.iter().map(|g| g.lines).sum();
    Ok((
        n,
        one_currency(
            groups
                .into_iter()
                .map(|g| (g.billed_cost, g.currency))
                .collect(),
        ),
    ))
}

fn one_currency(sums: Vec<(Decimal, String)>) -> Option<(Decimal, String)> {
    match <[_; 1]>::try_from(sums) {
        Ok([one]) => Some(one),
        Err(_) => None,
    }
}

/// The current mark of every key (newest first), optionally of one status, with orphans flagged.
pub fn list(conn: &Connection, status: Option<&str>) -> Result<Vec<Annotation>> {
    let mut stmt = conn.prepare(
        "SELECT id, target, key, provider, account_id, month, resource_id, sku_id, service, status,
                note, reviewer, at, billed, currency
         FROM annotations a WHERE id = (SELECT MAX(id) FROM annotations b WHERE b.key = a.key)
           AND (?1 IS NULL OR status = ?1)
         ORDER BY id DESC",
    )?;
    let rows = stmt.query_map(params![status], |r| {
        Ok(Annotation {
            id: r.get(0)?,
            target: r.get(1)?,
            key: r.get(2)?,
            provider: r.get(3)?,
            account: r.get(4)?,
            month: r.get(5)?,
            resource_id: r.get(6)?,
            sku_id: r.get(7)?,
            service: r.get(8)?,
            status: r.get(9)?,
            note: r.get(10)?,
            reviewer: r.get(11)?,
            at: r.get(12)?,
            lines: 0,
            orphaned: false,
            billed_when_marked: None,
            billed_now: None,
            currency: r.get(14)?,
            amount_changed: false,
        })
        .map(|a| (a, r.get::<_, Option<String>>(13)))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (mut a, billed) = row?;
        let billed = billed?;
        a.billed_when_marked = billed
            .as_deref()
            .map(crate::ledger::journal::parse_stored)
            .transpose()?;
        let (lines, now) = coverage(conn, &a)?;
        a.lines = lines;
        a.orphaned = lines == 0;
        if let Some((now, currency)) = now {
            a.amount_changed = a.billed_when_marked.is_some_and(|then| then != now)
                && a.currency.as_deref() == Some(currency.as_str());
            a.currency.get_or_insert(currency);
            a.billed_now = Some(now);
        }
        out.push(a);
    }
    Ok(out)
}

/// The mark that applies to a line: its own, else its resource-month's, else its service-month's.
pub fn current_for_line(conn: &Connection, l: &LineOut) -> Result<Option<Annotation>> {
    let mut keys = vec![line_key(l)];
    if let Some(r) = &l.resource_id {
        keys.push(resource_key(&l.account, &l.month, r));
    }
    keys.push(service_key(&l.account, &l.month, &l.service));
    let mut stmt = conn.prepare_cached(
        "SELECT id, target, status, note, reviewer, at FROM annotations WHERE key = ?1 ORDER BY id DESC LIMIT 1",
    )?;
    for key in keys {
        let found = stmt
            .query_row(params![key], |r| {
                Ok(Annotation {
                    id: r.get(0)?,
                    target: r.get(1)?,
                    key: key.clone(),
                    provider: Some(l.provider.clone()),
                    account: Some(l.account.clone()),
                    month: l.month.clone(),
                    resource_id: l.resource_id.clone(),
                    sku_id: l.sku_id.clone(),
                    service: Some(l.service.clone()),
                    status: r.get(2)?,
                    note: r.get(3)?,
                    reviewer: r.get(4)?,
                    at: r.get(5)?,
                    lines: 1,
                    orphaned: false,
                    billed_when_marked: None,
                    billed_now: None,
                    currency: None,
                    amount_changed: false,
                })
            })
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}
