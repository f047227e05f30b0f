//! How bill review reads cost lines: a [`LineFilter`] resolved against the ledger (texts to
//! label ids, an organization or a provider to its accounts), then either the rollups, a scan
//! of the matching lines in file order, or, for "largest first", a merge of index ranges.
//!
//! Speed comes from the storage (`migrations/0002_imports.sql`): lines are integer label ids
//! and short amount keys, so a scan reads few bytes a line and groups by integers;
//! `cost_lines_rank` serves the largest lines of each (account, month, service, member)
//! without reading the others, and `cost_lines_resource_lists` a resource's lines.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, Row};
use rustc_hash::FxHashMap;

use super::LineFilter;
use crate::error::Result;
use crate::store::labels;

/// The columns every line query selects, in this order (see the `C_` indexes).
pub(crate) const COLUMNS: &str = "id, import_id, source, source_line, account_id, month, service,
    sub_account, currency, billed_cost, effective_cost, list_cost, coupon_paid, pricing_quantity,
    provider, category, charge_class, resource, region, sku, tags, description, resource_name,
    invoice, charge_start, charge_end";
pub(crate) const C_ID: usize = 0;
pub(crate) const C_SOURCE: usize = 2;
pub(crate) const C_LINE: usize = 3;
pub(crate) const C_ACCOUNT: usize = 4;
pub(crate) const C_MONTH: usize = 5;
pub(crate) const C_SERVICE: usize = 6;
pub(crate) const C_SUB: usize = 7;
pub(crate) const C_CURRENCY: usize = 8;
pub(crate) const C_BILLED: usize = 9;
pub(crate) const C_EFFECTIVE: usize = 10;
pub(crate) const C_LIST: usize = 11;
pub(crate) const C_COUPON: usize = 12;
pub(crate) const C_QUANTITY: usize = 13;
pub(crate) const C_PROVIDER: usize = 14;
pub(crate) const C_CATEGORY: usize = 15;
pub(crate) const C_CLASS: usize = 16;
pub(crate) const C_RESOURCE: usize = 17;
pub(crate) const C_REGION: usize = 18;
pub(crate) const C_SKU: usize = 19;
pub(crate) const C_TAGS: usize = 20;
pub(crate) const C_DESCRIPTION: usize = 21;
pub(crate) const C_RESOURCE_NAME: usize = 22;
pub(crate) const C_INVOICE: usize = 23;
pub(crate) const C_START: usize = 24;
pub(crate) const C_END: usize = 25;

/// Index ranges merged at most for "largest first"; past that a scan is cheaper.
const MAX_CURSORS: usize = 4096;

/// One account a query visits, with its provider.
#[derive(Debug, Clone)]
pub(crate) struct ScopeAccount {
    pub id: String,
    pub provider: String,
}

/// A tag filter: `KEY` (the line has the tag) or `KEY=VALUE`.
#[derive(Debug, Clone)]
pub(crate) struct TagFilter {
    pub key: String,
    pub value: Option<String>,
}

impl TagFilter {
    pub fn parse(t: &str) -> Self {
        match t.split_once('=') {
            Some((k, v)) => TagFilter {
                key: k.to_string(),
                value: Some(v.to_string()),
            },
            None => TagFilter {
                key: t.to_string(),
                value: None,
            },
        }
    }

    pub fn matches(&self, tags_json: &str) -> bool {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str(tags_json) else {
            return false;
        };
        match (&self.value, map.get(&self.key)) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(want), Some(v)) => tag_value_text(v) == *want,
        }
    }
}

/// A tag's value as text (a string as it is, anything else as JSON).
pub(crate) fn tag_value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A filter resolved against the ledger.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// The accounts visited, in id order.
    pub accounts: Vec<ScopeAccount>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Texts and label ids of the dimensions the rollups also know.
    pub service: Option<(String, i64)>,
    pub sub_account: Option<(String, i64)>,
    /// Dimensions only the lines know, narrowed in SQL.
    pub region: Option<i64>,
    pub categories: Option<Vec<i64>>,
    pub resource: Option<i64>,
    /// Narrowed in Rust: the label ids of tags that match, of texts that contain the search.
    pub tags: Option<HashSet<i64>>,
    pub text: Option<HashSet<i64>>,
}

impl Resolved {
    /// Whether the rollups answer this filter exactly (no dimension only lines know).
    pub fn rollup_exact(&self) -> bool {
        self.region.is_none()
            && self.categories.is_none()
            && self.resource.is_none()
            && self.tags.is_none()
            && self.text.is_none()
    }

    /// SQL conditions after `account_id = ?1`, with their values from `?2` on.
    /// The resource, when there is one, is always `?2`.
    pub fn conditions(&self) -> (String, Vec<Value>) {
        let mut sql = String::new();
        let mut args: Vec<Value> = Vec::new();
        if let Some(id) = self.resource {
            args.push(Value::Integer(id));
            sql.push_str(" AND resource = ?2");
        }
        let mut push = |cond: &str, v: Value, sql: &mut String| {
            args.push(v);
            sql.push_str(&format!(" AND {cond} ?{}", args.len() + 1));
        };
        if let Some(f) = &self.from {
            push("month >=", Value::Text(f.clone()), &mut sql);
        }
        if let Some(t) = &self.to {
            push("month <=", Value::Text(t.clone()), &mut sql);
        }
        if let Some((_, id)) = self.service {
            push("service =", Value::Integer(id), &mut sql);
        }
        if let Some((_, id)) = self.sub_account {
            push("sub_account =", Value::Integer(id), &mut sql);
        }
        if let Some(id) = self.region {
            push("region =", Value::Integer(id), &mut sql);
        }
        if let Some(ids) = &self.categories {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            sql.push_str(&format!(" AND category IN ({})", list.join(",")));
        }
        if self.tags.is_some() {
            sql.push_str(" AND tags IS NOT NULL");
        }
        (sql, args)
    }

    /// The narrowing done in Rust (tags, text search) on a row of [`COLUMNS`] (or of any query
    /// with the same indexes for those columns).
    pub fn keeps(&self, r: &Row<'_>) -> rusqlite::Result<bool> {
        if let Some(ok) = &self.tags {
            match r.get::<_, Option<i64>>(C_TAGS)? {
                Some(t) if ok.contains(&t) => {}
                _ => return Ok(false),
            }
        }
        if let Some(ok) = &self.text {
            let hit = [C_DESCRIPTION, C_RESOURCE, C_RESOURCE_NAME]
                .into_iter()
                .map(|c| r.get::<_, Option<i64>>(c))
                .collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .flatten()
                .any(|id| ok.contains(&id));
            if !hit {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Resolves `f`; `None` when nothing can match (an unknown service, an empty organization...).
pub(crate) fn resolve(conn: &Connection, f: &LineFilter) -> Result<Option<Resolved>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, provider FROM accounts
         WHERE (?1 IS NULL OR id = ?1)
           AND (?2 IS NULL OR org_id = ?2)
           AND (?3 IS NULL OR provider = ?3)
           AND (?4 IS NULL OR currency = upper(?4))
         ORDER BY id",
    )?;
    let accounts: Vec<ScopeAccount> = stmt
        .query_map(
            rusqlite::params![f.account, f.org, f.provider, f.currency],
            |r| {
                Ok(ScopeAccount {
                    id: r.get(0)?,
                    provider: r.get(1)?,
                })
            },
        )?
        .collect::<rusqlite::Result<_>>()?;
    if accounts.is_empty() {
        return Ok(None);
    }
    let label = |t: &Option<String>| -> Result<Option<Option<(String, i64)>>> {
        Ok(match t {
            None => Some(None),
            Some(t) => labels::find(conn, t)?.map(|id| Some((t.clone(), id))),
        })
    };
    let Some(service) = label(&f.service)? else {
        return Ok(None);
    };
    let Some(sub_account) = label(&f.sub_account)? else {
        return Ok(None);
    };
    let Some(region) = label(&f.region)? else {
        return Ok(None);
    };
    let Some(resource) = label(&f.resource)? else {
        return Ok(None);
    };
    let categories = match &f.category {
        None => None,
        Some(c) => {
            let ids = label_ids(
                conn,
                "SELECT id FROM labels WHERE lower(text) = lower(?1)",
                c,
            )?;
            if ids.is_empty() {
                return Ok(None);
            }
            Some(ids)
        }
    };
    let tags = match &f.tag {
        None => None,
        Some(t) => {
            let want = TagFilter::parse(t);
            let pattern = format!("%{}%", serde_json::to_string(&want.key).unwrap_or_default());
            let mut stmt = conn.prepare("SELECT id, text FROM labels WHERE text LIKE ?1")?;
            let ok: HashSet<i64> = stmt
                .query_map([pattern], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })?
                .filter_map(|x| x.ok())
                .filter(|(_, text)| want.matches(text))
                .map(|(id, _)| id)
                .collect();
            if ok.is_empty() {
                return Ok(None);
            }
            Some(ok)
        }
    };
    let text = match f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => {
            let ids: HashSet<i64> = label_ids(
                conn,
                "SELECT id FROM labels WHERE instr(lower(text), lower(?1)) > 0",
                t,
            )?
            .into_iter()
            .collect();
            if ids.is_empty() {
                return Ok(None);
            }
            Some(ids)
        }
    };
    Ok(Some(Resolved {
        accounts,
        from: f.from.clone(),
        to: f.to.clone(),
        service,
        sub_account,
        region: region.map(|(_, id)| id),
        categories,
        resource: resource.map(|(_, id)| id),
        tags,
        text,
    }))
}

fn label_ids(conn: &Connection, sql: &str, arg: &str) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let ids = stmt
        .query_map([arg], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// Visits every matching line in file order (account, month, then as written), each as a row
/// of [`COLUMNS`] with its account's index in `r.accounts`; `visit` answers whether to go on.
pub(crate) fn scan(
    conn: &Connection,
    r: &Resolved,
    mut visit: impl FnMut(usize, &Row<'_>) -> Result<bool>,
) -> Result<()> {
    let (conds, args) = r.conditions();
    // A resource's lines come from its index (they are few); others from the account's months.
    let sql = if r.resource.is_some() {
        format!(
            "SELECT {COLUMNS} FROM cost_lines WHERE id IN (
                SELECT j.value FROM cost_lines_resource_lists x, json_each(x.ids) j
                WHERE x.resource = ?2 AND x.account_id = ?1)
             AND +account_id = ?1{conds} ORDER BY month, id"
        )
    } else {
        format!("SELECT {COLUMNS} FROM cost_lines WHERE account_id = ?1{conds} ORDER BY month, id")
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    for (i, account) in r.accounts.iter().enumerate() {
        let mut values = vec![Value::Text(account.id.clone())];
        values.extend(args.iter().cloned());
        let mut rows = stmt.query(params_from_iter(values))?;
        while let Some(row) = rows.next()? {
            if r.keeps(row)? && !visit(i, row)? {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// An (account, month, service label, member label or 0) range of `cost_lines_rank`.
type Range = (String, String, i64, i64);

/// The (account, month, service, member) ranges of `cost_lines_rank` that hold lines under
/// `r`: from the facts when `r` narrows by what only they and the lines know (so that no range
/// without a matching line is walked), else from the rollups.
fn rollup_ranges(conn: &Connection, r: &Resolved) -> Result<Vec<Range>> {
    if !r.rollup_exact() {
        let mut out: Vec<Range> = Vec::new();
        for f in facts(conn, r)? {
            let range = (
                r.accounts[f.account].id.clone(),
                f.month,
                f.labels[0],
                f.labels[1],
            );
            if out.last() != Some(&range) {
                out.push(range);
            }
        }
        out.dedup();
        return Ok(out);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT month, service, sub_account_id FROM cost_rollups
         WHERE account_id = ?1 AND (?2 IS NULL OR month >= ?2) AND (?3 IS NULL OR month <= ?3)
           AND (?4 IS NULL OR service = ?4) AND (?5 IS NULL OR sub_account_id = ?5)",
    )?;
    let mut out = Vec::new();
    let mut ids: FxHashMap<String, Option<i64>> = FxHashMap::default();
    let mut id_of = |t: &str| -> Result<Option<i64>> {
        if let Some(v) = ids.get(t) {
            return Ok(*v);
        }
        let v = labels::find(conn, t)?;
        ids.insert(t.to_string(), v);
        Ok(v)
    };
    for a in &r.accounts {
        let rows = stmt.query_map(
            rusqlite::params![
                a.id,
                r.from,
                r.to,
                r.service.as_ref().map(|s| &s.0),
                r.sub_account.as_ref().map(|s| &s.0)
            ],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            },
        )?;
        for row in rows {
            let (month, service, sub) = row?;
            let Some(service) = id_of(&service)? else {
                continue;
            };
            let sub = if sub.is_empty() {
                0
            } else {
                match id_of(&sub)? {
                    Some(id) => id,
                    None => continue,
                }
            };
            out.push((a.id.clone(), month, service, sub));
        }
    }
    Ok(out)
}

/// The ids of the matching lines ranked `skip..skip + take` by billed cost, largest first
/// (ties: the later line first), merging the index ranges of each rollup key. `None` when the
/// filter spans too many ranges for a merge to pay.
pub(crate) fn largest_billed(
    conn: &Connection,
    r: &Resolved,
    skip: usize,
    take: usize,
) -> Result<Option<Vec<i64>>> {
    let ranges = rollup_ranges(conn, r)?;
    if ranges.len() > MAX_CURSORS {
        return Ok(None);
    }
    // Narrowing only the lines know: join each entry to its line (`keeps` reads tags,
    // description, resource and resource name at the positions they have in COLUMNS).
    let mut residual = String::new();
    let mut residual_args: Vec<Value> = Vec::new();
    for (col, v) in [("l.region", r.region), ("l.resource", r.resource)] {
        if let Some(id) = v {
            residual_args.push(Value::Integer(id));
            residual.push_str(&format!(" AND {col} = ?{}", residual_args.len() + 4));
        }
    }
    if let Some(ids) = &r.categories {
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        residual.push_str(&format!(" AND l.category IN ({})", list.join(",")));
    }
    let sql = if r.rollup_exact() {
        "SELECT id, billed_cost FROM cost_lines_rank
         WHERE account_id = ?1 AND month = ?2 AND service = ?3 AND sub_account = ?4
         ORDER BY billed_cost DESC, id DESC"
            .to_string()
    } else {
        format!(
            "SELECT x.id, x.billed_cost, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, l.resource,
                    0, 0, l.tags, l.description, l.resource_name
             FROM cost_lines_rank x CROSS JOIN cost_lines l ON l.id = x.id
             WHERE x.account_id = ?1 AND x.month = ?2 AND x.service = ?3 AND x.sub_account = ?4{residual}
             ORDER BY x.billed_cost DESC, x.id DESC"
        )
    };
    let mut stmts = Vec::with_capacity(ranges.len());
    for _ in &ranges {
        stmts.push(conn.prepare(&sql)?);
    }
    let mut cursors = Vec::with_capacity(ranges.len());
    for (stmt, (account, month, service, sub)) in stmts.iter_mut().zip(&ranges) {
        let mut values = vec![
            Value::Text(account.clone()),
            Value::Text(month.clone()),
            Value::Integer(*service),
            Value::Integer(*sub),
        ];
        values.extend(residual_args.iter().cloned());
        cursors.push(stmt.query(params_from_iter(values))?);
    }
    let exact = r.rollup_exact();
    // Each cursor's head: (billed key, id); BLOB order is numeric order.
    let mut heap: BinaryHeap<(Vec<u8>, i64, usize)> = BinaryHeap::new();
    let advance =
        |i: usize, rows: &mut rusqlite::Rows<'_>| -> Result<Option<(Vec<u8>, i64, usize)>> {
            while let Some(row) = rows.next()? {
                if exact || r.keeps(row)? {
                    let key: Vec<u8> = row.get(1)?;
                    return Ok(Some((key, row.get(0)?, i)));
                }
            }
            Ok(None)
        };
    for (i, c) in cursors.iter_mut().enumerate() {
        if let Some(head) = advance(i, c)? {
            heap.push(head);
        }
    }
    let mut out = Vec::with_capacity(take);
    let mut rank = 0;
    while let Some((_, id, i)) = heap.pop() {
        if rank >= skip {
            out.push(id);
            if out.len() == take {
                break;
            }
        }
        rank += 1;
        if let Some(head) = advance(i, &mut cursors[i])? {
            heap.push(head);
        }
    }
    Ok(Some(out))
}

/// The ids of the matching lines ranked `skip..skip + take` by the amount in column `col`
/// (largest first, ties: the later line first; no amount ranks last), by a scan.
pub(crate) fn largest_by_scan(
    conn: &Connection,
    r: &Resolved,
    col: usize,
    skip: usize,
    take: usize,
) -> Result<Vec<i64>> {
    let k = skip + take;
    // A min-heap of the k largest so far.
    let mut heap: BinaryHeap<Reverse<(Option<Vec<u8>>, i64)>> = BinaryHeap::with_capacity(k + 1);
    scan(conn, r, |_, row| {
        let key: Option<Vec<u8>> = row.get(col)?;
        let item = Reverse((key, row.get(C_ID)?));
        if heap.len() < k {
            heap.push(item);
        } else if heap.peek().is_some_and(|min| item < *min) {
            heap.pop();
            heap.push(item);
        }
        Ok(true)
    })?;
    let mut ranked: Vec<(Option<Vec<u8>>, i64)> = heap.into_iter().map(|Reverse(x)| x).collect();
    ranked.sort_by(|a, b| b.cmp(a));
    Ok(ranked.into_iter().skip(skip).map(|(_, id)| id).collect())
}

/// One row of `cost_facts` under a filter.
pub(crate) struct Fact {
    /// Index in `Resolved::accounts`.
    pub account: usize,
    pub month: String,
    /// By `costs::facts::FACT_LABELS` (0 for none).
    pub labels: crate::costs::facts::FactLabels,
    pub currency: String,
    pub sums: crate::costs::facts::FactSums,
}

/// The facts under `r`, in key order per account. They answer every filter exactly: each
/// narrowing of a [`LineFilter`] is a dimension of theirs (the text search too: descriptions,
/// resource ids and resource names are).
pub(crate) fn facts(conn: &Connection, r: &Resolved) -> Result<Vec<Fact>> {
    use crate::costs::facts::{read_fact, FACT_LABELS};
    let mut conds = String::new();
    let mut args: Vec<Value> = Vec::new();
    let mut push = |cond: String, v: Value, conds: &mut String| {
        args.push(v);
        conds.push_str(&format!(" AND {cond} ?{}", args.len() + 1));
    };
    if let Some(f) = &r.from {
        push("month >=".into(), Value::Text(f.clone()), &mut conds);
    }
    if let Some(t) = &r.to {
        push("month <=".into(), Value::Text(t.clone()), &mut conds);
    }
    for (col, v) in [
        ("service", r.service.as_ref().map(|s| s.1)),
        ("sub_account", r.sub_account.as_ref().map(|s| s.1)),
        ("region", r.region),
        ("resource", r.resource),
    ] {
        if let Some(id) = v {
            push(format!("{col} ="), Value::Integer(id), &mut conds);
        }
    }
    if let Some(ids) = &r.categories {
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        conds.push_str(&format!(" AND category IN ({})", list.join(",")));
    }
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT month, {}, currency, billed_cost, effective_cost, list_cost, net_cost, quantity,
                quantity_billed, lines
         FROM cost_facts WHERE account_id = ?1{conds}",
        FACT_LABELS.join(", ")
    ))?;
    let mut out = Vec::new();
    for (i, a) in r.accounts.iter().enumerate() {
        let mut values = vec![Value::Text(a.id.clone())];
        values.extend(args.iter().cloned());
        let mut rows = stmt.query(params_from_iter(values))?;
        while let Some(row) = rows.next()? {
            let (labels, currency, sums) = read_fact(row, 1)?;
            if let Some(ok) = &r.tags {
                if !ok.contains(&labels[7]) {
                    continue;
                }
            }
            if let Some(ok) = &r.text {
                // description, resource, resource name
                if ![labels[8], labels[2], labels[9]]
                    .iter()
                    .any(|l| ok.contains(l))
                {
                    continue;
                }
            }
            out.push(Fact {
                account: i,
                month: row.get(0)?,
                labels,
                currency,
                sums,
            });
        }
    }
    Ok(out)
}
