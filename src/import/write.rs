//! The writing thread: one transaction per file that inserts the batches, replaces the slices a
//! newer export supersedes, keeps rollups, facts and index runs, and settles when asked.

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;

use crate::accounts::{self, PaymentMode};
use crate::costs::facts::{FactSums, ImportFacts};
use crate::costs::{RollupDelta, RollupSums};
use crate::error::{Error, ErrorCode, Result};
use crate::money::Currency;
use crate::store::labels::Interner;

use super::*;

/// `OR FAIL`, not SQLite's default `OR ABORT`: an aborting multi-row INSERT must be undone on
/// its own, so SQLite keeps a statement journal of every page it touches (measured: 2.1 GB,
/// 519,000 pages, written to a temporary file for a million lines; 14 % of the import's time).
/// A failed insert fails the whole import's transaction anyway, which rolls everything back.
pub(super) const INSERT_HEAD: &str =
    "INSERT OR FAIL INTO cost_lines (import_id, source, source_line,
    account_id, month, currency, service, sub_account, provider, category, charge_class,
    resource, region,
    sku, tags, description, resource_name, sub_account_name, service_category, pricing_unit,
    invoice, billed_cost, effective_cost, list_cost, coupon_paid, pricing_quantity,
    contracted_cost, paid_voucher, paid_complimentary, paid_cash, paid_card, paid_credit,
    paid_arrears, paid_revenue, charge_start, charge_end) VALUES ";
/// Parameters per row: import_id, source, source_line, the texts, the labels, the amounts, two
/// times.
pub(super) const PARAMS: usize = 3 + NTEXTS + NLABELS + NAMOUNTS + 2;
/// Rows per multi-row INSERT (fewer statement executions per line).
pub(super) const ROWS_PER_INSERT: usize = 16;

pub(super) fn insert_sql(rows: usize) -> String {
    use std::fmt::Write as _;
    let mut s = String::from(INSERT_HEAD);
    for r in 0..rows {
        s.push_str(if r == 0 { "(" } else { ", (" });
        for k in 1..=PARAMS {
            let _ = write!(s, "{}?{}", if k == 1 { "" } else { "," }, r * PARAMS + k);
        }
        s.push(')');
    }
    s
}

/// Prepares the insert of `rows` lines at once, the per-file constants bound once.
pub(super) fn prepare_insert<'c>(
    tx: &'c rusqlite::Transaction<'_>,
    rows: usize,
    source: i64,
    import_id: i64,
) -> Result<rusqlite::Statement<'c>> {
    let mut stmt = tx.prepare(&insert_sql(rows))?;
    for r in 0..rows {
        stmt.raw_bind_parameter(r * PARAMS + 1, import_id)?;
        stmt.raw_bind_parameter(r * PARAMS + 2, source)?;
    }
    Ok(stmt)
}

/// Binds row `i` of `batch` as the `slot`-th row of `stmt` (`ids`: label ids by the batch's
/// label numbers), and gathers its hand-kept index entries (its id is `id`).
#[allow(clippy::too_many_arguments)]
pub(super) fn bind_row(
    stmt: &mut rusqlite::Statement<'_>,
    slot: usize,
    batch: &Batch,
    i: usize,
    ids: &[i64],
    runs: &mut crate::costs::IndexRuns,
    facts: &mut ImportFacts,
    tx: &rusqlite::Transaction<'_>,
    id: i64,
) -> Result<()> {
    let base = slot * PARAMS;
    stmt.raw_bind_parameter(base + 3, batch.lines[i] as i64)?;
    let mut texts = [""; NTEXTS];
    for (k, t) in batch.texts(i).enumerate() {
        texts[k] = t.unwrap_or_default();
        stmt.raw_bind_parameter(base + 4 + k, t)?;
    }
    let labels = batch.labels(i);
    let label = |k: usize| (labels[k] != NO_LABEL).then(|| ids[labels[k] as usize]);
    for k in 0..NLABELS {
        stmt.raw_bind_parameter(base + 4 + NTEXTS + k, label(k))?;
    }
    let at = base + 4 + NTEXTS + NLABELS;
    let mut billed: &[u8] = &[];
    // billed, effective, list, cash coupons, quantity
    let mut sums: [Option<Decimal>; 5] = [None; 5];
    for (k, a) in batch.amounts(i).enumerate() {
        if k == 0 {
            billed = a.unwrap_or_default();
        }
        if k < 5 {
            sums[k] = a.and_then(crate::store::amount_key::decode);
        }
        stmt.raw_bind_parameter(at + k, a)?;
    }
    // Fact labels: service, member, resource, region, category, charge class, SKU, tags,
    // description, resource name (costs::facts::FACT_LABELS).
    let fact_label = |k: usize| label(k).unwrap_or(0);
    let fact = FactSums::of_line(
        sums[0].unwrap_or_default(),
        sums[1].unwrap_or_default(),
        sums[2],
        sums[3],
        sums[4],
    );
    // A line whose amounts or quantity, added to those of the lines before it with the same
    // labels, exceed what a Decimal holds: a bad file, told at that line.
    let at_line = |e: Error| {
        Error::new(
            ErrorCode::Import,
            format!("line {}: {}", batch.lines[i], e.message),
        )
    };
    facts
        .add(
            tx,
            texts[0],
            texts[1],
            texts[2],
            [
                fact_label(0),
                fact_label(1),
                fact_label(5),
                fact_label(6),
                fact_label(3),
                fact_label(4),
                fact_label(7),
                fact_label(8),
                fact_label(9),
                fact_label(10),
            ],
            fact,
        )
        .map_err(at_line)?;
    let (start, end) = batch.times(i);
    stmt.raw_bind_parameter(at + NAMOUNTS, start)?;
    stmt.raw_bind_parameter(at + NAMOUNTS + 1, end)?;
    // Label columns: 0 service, 1 sub account, 5 resource.
    runs.add(
        tx,
        texts[0],
        texts[1],
        label(0).unwrap_or_default(),
        label(1),
        billed,
        label(5),
        id,
    )
}

pub(super) fn import_stream(
    conn: &mut Connection,
    reader: Box<dyn Read + Send>,
    name: &str,
    sha: &str,
    opts: &Options,
    progress: Option<ProgressSink<'_>>,
    bulk: bool,
) -> Result<FileReport> {
    let mut rdr = csv_reader(Tee::new(reader));
    let said = opts.currency.as_ref().map(Currency::code);
    let sniffed = sniff(&mut rdr, opts.format, said).map_err(|r| r.of_file(name))?;
    let Sniffed { mapper, header } = sniffed;
    // Foreign keys are checked by construction during an import (each account is created
    // before its lines, the import row before its lines); the per-row checks are switched off for
    // the transaction and back on after it, whatever happens.
    let fk: bool = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", false)?;
    // Bulk mode: a large file is written through SQLite's rollback journal instead of the WAL,
    // which writes each page once instead of twice (WAL, then checkpoint). Still one atomic
    // transaction. Only when this is the only connection to the ledger (SQLite refuses the
    // switch otherwise, and the import then simply runs in WAL mode); WAL is restored after.
    let bulk = bulk && switch_journal(conn, "wal", "DELETE");
    // A larger page cache for the import's own transaction (the lines, their index and the
    // hand-kept index runs touch many pages): measured 30 % faster than SQLite's 2 MB default
    // on a million lines, for about 14 MB more memory.
    let cache: i64 = conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
    conn.pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)?;
    let result = write_import(conn, rdr, mapper, header, name, sha, opts, progress)
        .map_err(|e| of_file(e, name));
    conn.pragma_update(None, "cache_size", cache)?;
    if bulk {
        switch_journal(conn, "delete", "WAL");
    }
    conn.pragma_update(None, "foreign_keys", fk)?;
    result
}

/// An error met while writing a file, named as the file's: whatever stopped the import (a
/// total too large, the disk full), nothing of the file was written.
fn of_file(e: Error, name: &str) -> Error {
    if e.message.starts_with(&format!("{name}: ")) {
        return e;
    }
    Error::new(
        e.code,
        format!("{name}: not imported, nothing was written: {}", e.message),
    )
}

/// Switches the journal mode from `from` to `to`; false when the ledger is not in `from` mode
/// or SQLite refuses (another connection is open).
pub(super) fn switch_journal(conn: &Connection, from: &str, to: &str) -> bool {
    let current: String = match conn.pragma_query_value(None, "journal_mode", |r| r.get(0)) {
        Ok(m) => m,
        Err(_) => return false,
    };
    if !current.eq_ignore_ascii_case(from) {
        return false;
    }
    // Ask once, without waiting: another connection means "not now", not "wait 5 s".
    let timeout: i64 = conn
        .pragma_query_value(None, "busy_timeout", |r| r.get(0))
        .unwrap_or(5000);
    let _ = conn.busy_timeout(Duration::ZERO);
    let switched = conn
        .pragma_update_and_check(None, "journal_mode", to, |r| r.get::<_, String>(0))
        .is_ok_and(|m| m.eq_ignore_ascii_case(to));
    let _ = conn.busy_timeout(Duration::from_millis(timeout.max(0) as u64));
    switched
}

#[allow(clippy::too_many_arguments)]
pub(super) fn write_import(
    conn: &mut Connection,
    mut rdr: csv::Reader<Tee<Box<dyn Read + Send>>>,
    mut mapper: Box<dyn Mapper>,
    header: Vec<String>,
    name: &str,
    sha: &str,
    opts: &Options,
    progress: Option<ProgressSink<'_>>,
) -> Result<FileReport> {
    let format = mapper.format();
    let native = mapper.native();
    let account_column = header
        .get(mapper.account_column())
        .cloned()
        .unwrap_or_default();
    let header_json = serde_json::to_string(&header).unwrap_or_else(|_| "[]".into());
    let tx = conn.transaction()?;
    let mut delta = RollupDelta::default();
    let known: Option<i64> = tx
        .query_row(
            "SELECT id FROM imports WHERE sha256 = ?1",
            params![sha],
            |r| r.get(0),
        )
        .optional()?;
    let import_id = match known {
        // The same bytes were imported before, and a later file has since replaced some of
        // their slices: importing them again makes this file current again. Its remaining lines
        // are taken out first (they are all put back below).
        Some(id) => {
            delta.remove_lines(&tx, "import_id = ?1", params![id])?;
            // Whole imports or whole (account, month) slices only: each deleted line takes its
            // resource list along (migration 0006), siblings and all.
            tx.execute("DELETE FROM cost_lines WHERE import_id = ?1", params![id])?;
            tx.execute(
                "DELETE FROM import_chunks WHERE import_id = ?1",
                params![id],
            )?;
            tx.execute(
                "UPDATE imports SET file_name = ?2, imported_at = ?3 WHERE id = ?1",
                params![id, name, crate::time::to_db(opts.at)],
            )?;
            id
        }
        None => {
            tx.execute(
                "INSERT INTO imports (sha256, file_name, format, header, rows, imported_at)
                 VALUES (?1, ?2, ?3, ?4, 0, ?5)",
                params![sha, name, format, header_json, crate::time::to_db(opts.at)],
            )?;
            tx.last_insert_rowid()
        }
    };
    let abort = AtomicBool::new(false);
    let (send, recv) = mpsc::sync_channel::<Batch>(4);
    let (recycle_send, recycle_recv) = mpsc::channel::<Batch>();
    let mut db_errors: Vec<RowError> = Vec::new();
    let mut facts = ImportFacts::default();
    let mut created = Vec::new();
    let mut written = 0u64;

    // The lines of this import get the ids after the largest so far, in one run.
    let first_id: i64 =
        tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM cost_lines", [], |r| {
            r.get(0)
        })?;
    let parsed = std::thread::scope(|scope| -> Result<Parsed> {
        let header_ref = &header;
        let abort_ref = &abort;
        let parser = scope.spawn(move || {
            let parsed = parse_records(
                &mut rdr,
                mapper.as_mut(),
                header_ref,
                Some((&send, &recycle_recv)),
                abort_ref,
                opts.currency.as_ref().map(Currency::code),
            );
            drop(send);
            parsed
        });
        let result = (|| -> Result<()> {
            let mut labels = Interner::with_capacity(4096);
            let source = labels.id(&tx, name)?;
            // Label ids by the parser's numbers of this file's texts.
            let mut ids: Vec<i64> = Vec::new();
            let mut runs = crate::costs::IndexRuns::new(import_id);
            let mut multi = prepare_insert(&tx, ROWS_PER_INSERT, source, import_id)?;
            let mut single = prepare_insert(&tx, 1, source, import_id)?;
            let mut chunk_insert = tx.prepare(
                "INSERT INTO import_chunks (import_id, first_line, last_line, bytes, data)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut last_progress = Instant::now();
            for batch in recv.iter() {
                if !db_errors.is_empty() {
                    continue; // drain: nothing more is written
                }
                for a in &batch.new_accounts {
                    match ensure_account(&tx, a, native, opts.at) {
                        Ok(true) => created.push(a.account.clone()),
                        Ok(false) => {}
                        Err((column, problem)) => db_errors.push(RowError {
                            line: a.line,
                            column,
                            problem,
                        }),
                    }
                }
                if !db_errors.is_empty() {
                    abort.store(true, Ordering::Relaxed);
                    continue;
                }
                if batch.labels_reset {
                    ids.clear();
                }
                for &(n, span) in &batch.new_labels {
                    debug_assert_eq!(n as usize, ids.len());
                    ids.push(labels.id(&tx, batch.text_at(span))?);
                }
                let full = batch.len() / ROWS_PER_INSERT * ROWS_PER_INSERT;
                let next_id = first_id + written as i64;
                for start in (0..full).step_by(ROWS_PER_INSERT) {
                    for slot in 0..ROWS_PER_INSERT {
                        let i = start + slot;
                        let id = next_id + i as i64;
                        bind_row(
                            &mut multi, slot, &batch, i, &ids, &mut runs, &mut facts, &tx, id,
                        )?;
                    }
                    multi.raw_execute()?;
                }
                for i in full..batch.len() {
                    let id = next_id + i as i64;
                    bind_row(
                        &mut single,
                        0,
                        &batch,
                        i,
                        &ids,
                        &mut runs,
                        &mut facts,
                        &tx,
                        id,
                    )?;
                    single.raw_execute()?;
                }
                if let Some(c) = &batch.chunk {
                    chunk_insert.execute(params![
                        import_id,
                        c.first_line as i64,
                        c.last_line as i64,
                        c.bytes as i64,
                        c.data
                    ])?;
                }
                written += batch.len() as u64;
                let mut b = batch;
                b.clear();
                let _ = recycle_send.send(b);
                if let Some(sink) = &progress {
                    if last_progress.elapsed() >= Duration::from_millis(250) {
                        last_progress = Instant::now();
                        sink.report(name, written, false);
                    }
                }
            }
            runs.flush(&tx)?;
            // The ids given to the index entries are the ones SQLite gave the lines.
            let last: i64 =
                tx.query_row("SELECT COALESCE(MAX(id), 0) FROM cost_lines", [], |r| {
                    r.get(0)
                })?;
            if last != first_id + written as i64 - 1 {
                return Err(Error::new(
                    ErrorCode::Storage,
                    "the ledger gave the imported lines unexpected ids; nothing was written",
                ));
            }
            Ok(())
        })();
        if result.is_err() {
            abort.store(true, Ordering::Relaxed);
            // Let the parser finish: it stops at its next batch.
            for _ in recv.iter() {}
        }
        let parsed = parser.join().map_err(|_| {
            Error::new(
                ErrorCode::Import,
                format!("{name}: the parser stopped unexpectedly"),
            )
        })?;
        result?;
        Ok(parsed)
    });
    // The last report: 100 % once every line is written (the reports above come at most every
    // 250 ms, so the last of them is usually short of it); a refused file's stops where it was.
    if let Some(sink) = &progress {
        match &parsed {
            Ok(p) if p.file_error.is_none() && p.errors.is_empty() && db_errors.is_empty() => {
                sink.report(name, written, true)
            }
            _ => sink.stopped(name, written),
        }
    }
    let mut parsed = parsed?;
    let mut errors = std::mem::take(&mut parsed.errors);
    errors.extend(db_errors);
    if let Some(p) = parsed.file_error.take() {
        return Err(import_error(
            name,
            with_rows_before(p, parsed.unreadable, errors, parsed.more_errors),
        ));
    }
    if !errors.is_empty() {
        return Err(rows_error(name, errors, parsed.more_errors));
    }
    debug_assert_eq!(written, parsed.rows);

    // An account this file created, made of a first line whose invoice issuer was null, is the
    // first issuer's its lines name (so that the rows' order does not decide).
    for (account, seen) in &parsed.accounts {
        if let Some(issuer) = &seen.issuer {
            if created.contains(account) && seen.providers.first() != Some(issuer) {
                tx.execute(
                    "UPDATE accounts SET provider = ?1 WHERE id = ?2",
                    params![issuer, account],
                )?;
            }
        }
    }
    // Each account belongs to one provider: the ledger's, which this file's lines must name (as
    // a line's provider or as the account's).
    let mut provider_of: HashMap<String, String> = HashMap::new();
    let mut clashes = Vec::new();
    for (account, seen) in &parsed.accounts {
        let (providers, currency, line) = (&seen.providers, &seen.currency, &seen.line);
        let existing = accounts::get_account(&tx, account)?;
        if !providers.contains(&existing.provider) {
            clashes.push(RowError {
                line: *line,
                column: account_column.clone(),
                problem: format!(
                    "account {} belongs to {} in this ledger, but this file's lines name {}: \
                     expected the same provider",
                    row::quote(account),
                    existing.provider,
                    providers.join(" and ")
                ),
            });
        } else if existing.currency.code() != currency {
            clashes.push(RowError {
                line: *line,
                column: seen.currency_column.clone(),
                problem: format!(
                    "{} differs from the currency of account {} in this ledger ({}): expected \
                     the account's billing currency",
                    seen.currency_from.describe(currency),
                    row::quote(account),
                    existing.currency
                ),
            });
        }
        provider_of.insert(account.clone(), existing.provider);
    }
    if !clashes.is_empty() {
        return Err(rows_error(name, clashes, false));
    }

    // The totals of the slices' signed-off months before this file, to tell which it changes.
    let totals_before = parsed
        .slices
        .iter()
        .map(|s| crate::review::reconcile::signed_off_totals(&tx, &s.account, &s.month))
        .collect::<Result<Vec<_>>>()?;
    // Slices: replace earlier exports, mark provisional or final.
    let mut slices = Vec::new();
    let mut replaced_imports = Vec::new();
    for s in &mut parsed.slices {
        if let Some(p) = provider_of.get(&s.account) {
            s.provider.clone_from(p);
        }
        let old: Option<i64> = tx
            .query_row(
                "SELECT import_id FROM import_slices WHERE provider = ?1 AND account_id = ?2 AND month = ?3",
                params![s.provider, s.account, s.month],
                |r| r.get(0),
            )
            .optional()?;
        let mut replaced = 0u64;
        if let Some(o) = old.filter(|&o| o != import_id) {
            if s.corrections_only {
                refuse_delta(&tx, name, s, o)?;
            }
            replaced_imports.push(o);
            let has_ledger_lines: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM cost_lines
                 WHERE account_id = ?1 AND month = ?2 AND import_id IS NULL)",
                params![s.account, s.month],
                |r| r.get(0),
            )?;
            if has_ledger_lines {
                delta.remove_lines(
                    &tx,
                    "account_id = ?1 AND month = ?2 AND import_id IS NOT NULL AND import_id <> ?3",
                    params![s.account, s.month, import_id],
                )?;
            } else {
                delta.remove_stored(&tx, &s.account, &s.month)?;
            }
            // A whole slice of each earlier import (see the resource lists, migration 0006).
            replaced = tx.execute(
                "DELETE FROM cost_lines
                 WHERE account_id = ?1 AND month = ?2 AND import_id IS NOT NULL AND import_id <> ?3",
                params![s.account, s.month, import_id],
            )? as u64;
        }
        let status = slice_status(s, native, opts.at);
        tx.execute(
            "INSERT INTO import_slices (provider, account_id, month, import_id, status, lines, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (provider, account_id, month) DO UPDATE SET
                import_id = excluded.import_id, status = excluded.status,
                lines = excluded.lines, updated_at = excluded.updated_at",
            params![
                s.provider,
                s.account,
                s.month,
                import_id,
                status,
                s.lines as i64,
                crate::time::to_db(opts.at)
            ],
        )?;
        slices.push(SliceReport {
            provider: s.provider.clone(),
            account: s.account.clone(),
            month: s.month.clone(),
            status: status.to_string(),
            lines: s.lines,
            replaced_lines: replaced,
        });
    }
    for (k, s) in parsed.sums {
        delta.add_sums(
            RollupKeyBytes::read(&k),
            &RollupSums {
                billed: s.billed,
                effective: s.effective,
                list: s.list,
                net: s.net,
                lines: s.lines,
            },
        )?;
    }
    delta.apply(&tx)?;
    facts.apply(&tx)?;
    crate::costs::check_totals(&tx)?;
    // The kept bytes of a file none of whose slices is current any more serve no line.
    for old in replaced_imports {
        tx.execute(
            "DELETE FROM import_chunks WHERE import_id = ?1
             AND NOT EXISTS (SELECT 1 FROM import_slices WHERE import_id = ?1)",
            params![old],
        )?;
    }
    record_renewals(&tx, &parsed.renewals, opts.at)?;
    let settlement = if opts.settle {
        let last = first_id + written as i64 - 1;
        Some(
            crate::ledger::bills::settle_lines(&tx, first_id, last, opts.at)
                .map_err(|e| import_error(name, format!("it cannot be settled: {}", e.message)))?,
        )
    } else {
        None
    };
    let mut signoffs_changed = Vec::new();
    for (s, before) in slices.iter().zip(&totals_before) {
        let Some(before) = before else { continue };
        signoffs_changed.extend(crate::review::reconcile::changed_signoffs(
            &tx, &s.account, &s.month, before,
        )?);
    }
    tx.execute(
        "UPDATE imports SET rows = ?2 WHERE id = ?1",
        params![import_id, parsed.rows as i64],
    )?;
    tx.commit()?;
    created.sort();
    Ok(FileReport {
        file: name.to_string(),
        format,
        sha256: sha.to_string(),
        status: if known.is_some() {
            "reimported"
        } else {
            "imported"
        }
        .into(),
        import_id,
        rows: parsed.rows,
        slices,
        accounts_created: created,
        settlement,
        signoffs_changed,
    })
}

/// Refuses a file whose lines of a month are all corrections when that month already has
/// lines: Billfold replaces a month with its newer export, and a file of corrections alone (a
/// "delta", as some of the FOCUS specification's correction samples are) is not one: the
/// month's bill, or an earlier delta's corrections, would be lost.
pub(super) fn refuse_delta(tx: &Connection, name: &str, s: &SliceAcc, old: i64) -> Result<()> {
    let (earlier, old_name): (i64, String) = tx.query_row(
        "SELECT (SELECT COUNT(*) FROM cost_lines l
                 WHERE l.import_id = i.id AND l.account_id = ?2 AND l.month = ?3),
                i.file_name
         FROM imports i WHERE i.id = ?1",
        params![old, s.account, s.month],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if earlier == 0 {
        return Ok(());
    }
    Err(import_error(
        name,
        format!(
            "its lines for '{}' {} ({}) are all corrections (ChargeClass Correction) and would \
             replace the {} that month has from {old_name}: expected the month's whole bill, \
             corrections included (a newer export replaces a month whole; a file of \
             corrections alone is a delta)",
            s.account,
            s.month,
            s.lines,
            if earlier == 1 {
                "1 line".to_string()
            } else {
                format!("{earlier} lines")
            }
        ),
    ))
}

/// Records each subscription's expiry in `resources` (the overview's renewals): a new resource
/// is `running` until it expires; a known one only ever gets a later expiry (an older file does
/// not shorten it), and an expired one that was renewed runs again. Frozen resources and the
/// auto-renew setting are left alone.
pub(super) fn record_renewals(
    tx: &rusqlite::Transaction<'_>,
    renewals: &Renewals,
    at: DateTime<Utc>,
) -> Result<()> {
    let mut stmt = tx.prepare(
        "INSERT INTO resources (id, account_id, product, region, expires_at, auto_renew, status)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)
         ON CONFLICT (account_id, id) DO UPDATE SET
            expires_at = excluded.expires_at, product = excluded.product,
            region = COALESCE(excluded.region, resources.region),
            status = CASE WHEN resources.status = 'frozen' THEN 'frozen' ELSE excluded.status END
         WHERE excluded.expires_at > resources.expires_at",
    )?;
    for ((account, resource), (end, product, region)) in renewals {
        let status = if *end > at { "running" } else { "expired" };
        stmt.execute(params![
            resource,
            account,
            product,
            region,
            crate::time::to_db(*end),
            status
        ])?;
    }
    Ok(())
}

/// Seconds east of UTC of the days a provider's bills are counted in: China Standard Time for
/// the native Tencent and Huawei exports, UTC for FOCUS (its timestamps are UTC).
pub fn provider_day_offset_secs(provider: &str) -> i64 {
    if provider == tencent::PROVIDER || provider == huawei::PROVIDER {
        i64::from(values::CST_OFFSET_SECS)
    } else {
        0
    }
}

/// The provisional/final rule (docs/IMPORT.md): FOCUS — final when the billing period has ended
/// by the import and, where the file has an InvoiceId column, every line of the slice is
/// invoiced; native exports — final from three days after the month ended (CST).
pub(super) fn slice_status(s: &SliceAcc, native: bool, at: DateTime<Utc>) -> &'static str {
    let is_final = if native {
        values::month_end(&s.month, values::CST_OFFSET_SECS)
            .is_some_and(|end| at >= end + chrono::Duration::days(NATIVE_FINAL_AFTER_DAYS))
    } else {
        let end = s.period_end.or_else(|| values::month_end(&s.month, 0));
        end.is_some_and(|e| e <= at) && s.invoiced_all
    };
    if is_final {
        "final"
    } else {
        "provisional"
    }
}

/// Creates the billing account the first time it is seen. `Ok(true)` when created; an error
/// names the column and the problem.
pub(super) fn ensure_account(
    conn: &Connection,
    a: &NewAccountSeen,
    native: bool,
    at: DateTime<Utc>,
) -> std::result::Result<bool, (String, String)> {
    let db = |e: Error| (a.account_column.clone(), e.message);
    let currency =
        Currency::parse(&a.currency).map_err(|e| (a.currency_column.clone(), e.message))?;
    match accounts::get_account(conn, &a.account) {
        // An existing account is checked once the whole file is read (provider, currency).
        Ok(_) => Ok(false),
        Err(e) if e.code == ErrorCode::NotFound => {
            // Native exports show deductions from the account's purses (cash, vouchers...): a
            // balance that pays as it goes, i.e. prepaid. FOCUS providers invoice after the
            // billing period: postpaid.
            let mode = if native {
                PaymentMode::Prepaid
            } else {
                PaymentMode::Postpaid
            };
            accounts::ensure_account(conn, &a.account, &a.provider, &currency, mode, at).map_err(
                |e| {
                    // The value named once, quoted (and shortened) as in every row error.
                    let value = row::quote(&a.account);
                    let message = e.message.replacen(&format!("'{}'", a.account), &value, 1);
                    let message = if message.contains(&value) {
                        message
                    } else {
                        format!("{value}: {message}")
                    };
                    (a.account_column.clone(), message)
                },
            )?;
            Ok(true)
        }
        Err(e) => Err(db(e)),
    }
}
