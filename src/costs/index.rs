//! The two indexes of cost lines kept by hand (see `migrations/0002_imports.sql` and
//! `0006_resource_lists.sql`): the largest lines of each account, month, service and member
//! (`cost_lines_rank`, one entry per line) and each resource's lines
//! (`cost_lines_resource_lists`, one list of ids per resource, month, account, import and run).
//! The import writes them in sorted runs ([`IndexRuns`]), the ledger's own lines one at a time
//! ([`index_lines`]), and a trigger removes a deleted line's entry and list.

use std::fmt::Write as _;

use rusqlite::{params, Statement, Transaction};

use super::AccountMonths;
use crate::error::Result;

/// Writes the hand-kept index entries of the lines with ids `first..=last` (Billfold's own
/// lines): each line with a resource gets a list of its own, which the trigger can take back
/// alone.
pub fn index_lines(tx: &Transaction<'_>, first: i64, last: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO cost_lines_rank (account_id, month, service, sub_account, billed_cost, id)
         SELECT account_id, month, service, COALESCE(sub_account, 0), billed_cost, id
         FROM cost_lines WHERE id BETWEEN ?1 AND ?2
         ORDER BY account_id, month, service, COALESCE(sub_account, 0), billed_cost, id",
    )?
    .execute(params![first, last])?;
    tx.prepare_cached(
        "INSERT INTO cost_lines_resource_lists (resource, month, account_id, import_id, ids)
         SELECT resource, month, account_id, import_id, jsonb_array(id)
         FROM cost_lines WHERE id BETWEEN ?1 AND ?2 AND resource IS NOT NULL",
    )?
    .execute(params![first, last])?;
    Ok(())
}

/// The hand-kept index entries of the lines an import writes, gathered in memory and written
/// in sorted runs (so that they go into the B-trees in key order, like CREATE INDEX), never
/// more than [`RUN_ENTRIES`] at a time.
pub struct IndexRuns {
    import_id: i64,
    pairs: AccountMonths,
    rank: Vec<RankEntry>,
    resource: Vec<(i64, u32, i64)>,
}

/// Entries of one run at most: about 20 MB.
pub const RUN_ENTRIES: usize = 1 << 18;
/// Entries per INSERT statement when a run is written.
const RUN_ROWS: usize = 32;

/// Inserts `rows` into `into` (`table (columns)`), [`RUN_ROWS`] rows per statement (fewer
/// statement runs per entry); `bind` binds one row's `cols` values from parameter `base + 1`.
fn insert_rows<T>(
    tx: &Transaction<'_>,
    into: &str,
    cols: usize,
    rows: &[T],
    bind: impl Fn(&mut Statement<'_>, usize, &T) -> rusqlite::Result<()>,
) -> Result<()> {
    // OR FAIL: no statement journal (see `import::INSERT_HEAD`); the caller's transaction is
    // rolled back on any error.
    let sql = |n: usize| {
        format!(
            "INSERT OR FAIL INTO {into} VALUES {}",
            placeholders(n, cols)
        )
    };
    let mut many = tx.prepare_cached(&sql(RUN_ROWS))?;
    let mut one = tx.prepare_cached(&sql(1))?;
    let full = rows.len() / RUN_ROWS * RUN_ROWS;
    for chunk in rows[..full].chunks(RUN_ROWS) {
        for (r, row) in chunk.iter().enumerate() {
            bind(&mut many, r * cols, row)?;
        }
        many.raw_execute()?;
    }
    for row in &rows[full..] {
        bind(&mut one, 0, row)?;
        one.raw_execute()?;
    }
    Ok(())
}

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
    /// The runs of the lines of import `import_id`.
    pub fn new(import_id: i64) -> Self {
        IndexRuns {
            import_id,
            pairs: AccountMonths::default(),
            rank: Vec::new(),
            resource: Vec::new(),
        }
    }

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
        let (pair, _) = self.pairs.number(account, month);
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
        by_account.sort_by(|&a, &b| self.pairs.get(a).cmp(self.pairs.get(b)));
        let mut by_month = by_account.clone();
        by_month.sort_by(|&a, &b| {
            let (pa, pb) = (self.pairs.get(a), self.pairs.get(b));
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
        let pairs = &self.pairs;
        insert_rows(
            tx,
            "cost_lines_rank (account_id, month, service, sub_account, billed_cost, id)",
            6,
            &self.rank,
            |stmt, b, e| {
                let (account, month) = pairs.get(e.pair);
                stmt.raw_bind_parameter(b + 1, account)?;
                stmt.raw_bind_parameter(b + 2, month)?;
                stmt.raw_bind_parameter(b + 3, e.service)?;
                stmt.raw_bind_parameter(b + 4, e.sub)?;
                stmt.raw_bind_parameter(b + 5, key(e))?;
                stmt.raw_bind_parameter(b + 6, e.id)
            },
        )?;
        // One list per (resource, month, account) of the run: its ids as a JSON array.
        let mut lists: Vec<(i64, u32, String)> = Vec::new();
        for &(res, p, id) in &self.resource {
            match lists.last_mut() {
                Some((r, q, ids)) if *r == res && *q == p => {
                    let _ = write!(ids, ",{id}");
                }
                _ => lists.push((res, p, format!("[{id}"))),
            }
        }
        let mut list = tx.prepare_cached(
            "INSERT OR FAIL INTO cost_lines_resource_lists
                (resource, month, account_id, import_id, ids)
             VALUES (?1, ?2, ?3, ?4, jsonb(?5 || ']'))",
        )?;
        for (res, p, ids) in &lists {
            let (account, month) = pairs.get(*p);
            list.execute(params![res, month, account, self.import_id, ids])?;
        }
        self.rank.clear();
        self.resource.clear();
        Ok(())
    }
}
