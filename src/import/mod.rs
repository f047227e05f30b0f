//! Importing exported bills (SPEC §6, issue 3): FOCUS 1.0–1.4, Tencent Cloud bill details (L3)
//! and Huawei Cloud expenditure details, plain or gzip, into `cost_lines`.
//!
//! - **Streaming.** One thread reads, parses and checks the file (csv + flate2, never the whole
//!   file in memory) and hands batches of bound texts to the calling thread, which inserts them
//!   with one prepared statement, in one transaction per file.
//! - **All or nothing.** Every bad value is collected (up to [`ERROR_CAP`]) with its line and
//!   column; a file with any bad value writes nothing.
//! - **Idempotent.** A file is known by the SHA-256 of its bytes: importing it again adds
//!   nothing. A newer export of the same provider + billing account + month replaces that slice's
//!   lines (and their rollups) atomically, and the month is marked provisional or final.
//! - **Exact.** Amounts are `Decimal`s parsed from text, stored as canonical text, summed in
//!   Rust into `cost_rollups` once per file.
//!
//! The rules are written down in `docs/IMPORT.md`. The pipeline, in the order a file meets it:
//! `source` (open, decode, hash, keep the bytes for the original rows), `header` (which format,
//! which column), the format's mapper (`focus`, `tencent`, `huawei`, onto `row` through
//! `values`), `parse` (the parsing thread), `write` (the writing thread's one transaction).

pub mod focus;
mod header;
pub mod huawei;
mod parse;
pub(crate) mod renumber;
pub mod row;
mod source;
pub mod tencent;
pub mod values;
mod write;

pub use header::*;
pub use parse::*;
pub use source::*;
pub use write::provider_day_offset_secs;
use write::*;

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorCode, Result};
use crate::money::Currency;

use row::{
    Batch, Chunk, CurrencyFrom, Fields, LocalLabels, NewAccountSeen, Row, RowError, NAMOUNTS,
    NLABELS, NO_LABEL, NTEXTS,
};

/// At most this many bad values are reported for one file.
pub const ERROR_CAP: usize = 20;
/// The service of a line whose file names none (e.g. a FOCUS tax line with a null ServiceName).
pub const NO_SERVICE: &str = "(none)";
/// Rows per batch handed from the parsing thread to the writing thread.
const BATCH_ROWS: usize = 2048;
/// Header rows are looked for in the first lines (some native exports put a title above).
const HEADER_SEARCH_LINES: usize = 20;
/// Files larger than this show a progress indicator on a terminal.
const PROGRESS_MIN_BYTES: u64 = 8 << 20;
/// Files at least this large are imported in bulk mode (rollback journal instead of WAL).
const BULK_MIN_BYTES: u64 = 64 << 20;
/// SQLite's page cache during an import, in KiB.
pub(crate) const IMPORT_CACHE_KIB: i64 = 16 << 10;
/// A native export's month is final this long after the month ended (CST).
const NATIVE_FINAL_AFTER_DAYS: i64 = 3;

/// A bill format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Auto,
    Focus,
    Tencent,
    Huawei,
}

impl FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Format::Auto),
            "focus" => Ok(Format::Focus),
            "tencent" => Ok(Format::Tencent),
            "huawei" => Ok(Format::Huawei),
            _ => Err(Error::invalid(format!(
                "'{s}' is not a bill format: expected auto, focus, tencent or huawei"
            ))),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Auto => "auto",
            Format::Focus => "focus",
            Format::Tencent => "tencent",
            Format::Huawei => "huawei",
        })
    }
}

/// How to import.
#[derive(Debug, Clone)]
pub struct Options {
    pub format: Format,
    /// The time of the import (the core never reads the clock).
    pub at: DateTime<Utc>,
    /// Show a progress indicator on stderr for large files.
    pub progress: bool,
    /// Settle the charges of prepaid accounts against their purses (`ledger::bills`).
    pub settle: bool,
    /// The currency the user says the files' amounts are in (`--currency`): read where a file
    /// does not state its currency, and a file that states another is refused.
    pub currency: Option<Currency>,
    /// The SHA-256 the file's bytes must have: the desktop imports again a file it refused
    /// for want of a currency only if it still holds the bytes refused.
    pub expect_sha256: Option<String>,
}

/// What importing one file did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileReport {
    pub file: String,
    pub format: String,
    pub sha256: String,
    /// `imported`; `already_imported` when the same bytes were imported before and are still
    /// current (nothing added); `reimported` when they were imported before but a later file had
    /// replaced some of their slices, which they now replace again.
    pub status: String,
    pub import_id: i64,
    pub rows: u64,
    pub slices: Vec<SliceReport>,
    pub accounts_created: Vec<String>,
    /// What `--settle` deducted (none without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlement: Option<crate::ledger::bills::SettleReport>,
    /// Signed-off months this file changed, with the difference (docs/REVIEW.md, sign-offs).
    pub signoffs_changed: Vec<crate::review::reconcile::SignoffCheck>,
}

impl FileReport {
    /// What else a person should read about this import, a sentence each: signed-off months it
    /// changed, what `--settle` deducted or gave back, what it left unsettled, and the lines whose
    /// stated split departs from the deduction order. The CLI prints them under the file's line,
    /// the desktop under the file's result.
    pub fn notes(&self) -> Vec<String> {
        use crate::money::to_text;
        let mut out = Vec::new();
        for s in &self.signoffs_changed {
            out.push(format!(
                "signed-off month changed: '{}' {} was signed off at {} with {} {} billed \
                 ({} lines); it is now {} {} ({} lines), a difference of {} {}",
                s.account,
                s.month,
                s.signed_at,
                to_text(s.signed_billed),
                s.currency,
                s.signed_lines,
                to_text(s.current_billed),
                s.currency,
                s.current_lines,
                to_text(s.difference),
                s.currency
            ));
        }
        let Some(st) = &self.settlement else {
            return out;
        };
        for g in &st.settled {
            // A part the file's payment columns do not account for is never called the
            // provider's: settled in the deduction order, or (beyond it) given back to cash.
            let how = match g.by {
                "provider_split" if g.unstated.is_zero() => "as the provider split it".into(),
                "provider_split" if g.unstated > Decimal::ZERO => format!(
                    "as the provider split it, and {} {} its split does not cover in the \
                     deduction order",
                    to_text(g.unstated),
                    g.currency
                ),
                "provider_split" => format!(
                    "as the provider split it, and {} {} beyond its split given back",
                    to_text(-g.unstated),
                    g.currency
                ),
                _ => "in the deduction order".to_string(),
            };
            let paid = g
                .steps
                .iter()
                .map(|s| format!("{} {}", s.purse, to_text(s.amount)))
                .collect::<Vec<_>>()
                .join(", ");
            let paid = if paid.is_empty() {
                String::new()
            } else {
                format!(" ({paid})")
            };
            let what = format!("'{}' {} {}", g.account, g.month, g.service);
            let cur = &g.currency;
            out.push(match g.replaced {
                // A newer export of a month settled before: that settlement was reversed.
                Some(before) if (before + g.amount).is_zero() => format!(
                    "gave back the {} {cur} settled before for {what}: the month's newer \
                     bill has nothing to settle for it",
                    to_text(before)
                ),
                Some(before) => format!(
                    "settled {} {cur} of {what} {how}{paid}, replacing the {} {cur} settled \
                     before (reversed)",
                    to_text(before + g.amount),
                    to_text(before)
                ),
                None if g.amount < Decimal::ZERO => format!(
                    "gave back {} {cur} of {what} {how}{paid}",
                    to_text(-g.amount)
                ),
                None => format!("settled {} {cur} of {what} {how}{paid}", to_text(g.amount)),
            });
        }
        for n in &st.not_settled {
            out.push(format!("not settled: {n}"));
        }
        for d in &st.departures {
            out.push(format!(
                "line {} ({} {}): {}",
                d.line, d.account, d.service, d.message
            ));
        }
        if st.departures_total > st.departures.len() as u64 {
            out.push(format!(
                "… {} more lines depart from the deduction order",
                st.departures_total - st.departures.len() as u64
            ));
        }
        out
    }
}

/// One provider + billing account + month of a file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SliceReport {
    pub provider: String,
    pub account: String,
    pub month: String,
    /// `provisional` or `final`.
    pub status: String,
    pub lines: u64,
    /// Lines of an earlier export of this slice that this file replaced.
    pub replaced_lines: u64,
}

/// What every format's mapper does: one record to one cost line.
pub trait Mapper: Send {
    /// `focus-1.2`, `tencent`, `huawei`.
    fn format(&self) -> String;
    /// A provider-native export (Tencent, Huawei) rather than FOCUS.
    fn native(&self) -> bool;
    /// Maps a record, or records its bad values in `f.errors` and returns `None`.
    fn map<'r>(&mut self, f: &mut Fields<'r>) -> Option<Row<'r>>;
    fn has_invoice_column(&self) -> bool;
    fn account_column(&self) -> usize;
    /// The column of the billed amount (named when the file's total overflows).
    fn billed_column(&self) -> usize;
}

fn import_error(file: &str, problem: impl fmt::Display) -> Error {
    Error::new(
        ErrorCode::Import,
        format!("{file}: not imported, nothing was written: {problem}"),
    )
}

fn rows_error(file: &str, errors: Vec<RowError>, more: bool) -> Error {
    import_error(file, rows_problem(errors, more))
}

/// The bad values of a file (at most [`ERROR_CAP`], by line), as a refusal's sentence says them.
fn rows_problem(mut errors: Vec<RowError>, more: bool) -> String {
    errors.sort_by_key(|e| e.line);
    errors.truncate(ERROR_CAP);
    let n = errors.len();
    let mut msg = if more || n == ERROR_CAP {
        format!("the first {n} bad values (there may be more)")
    } else if n == 1 {
        "1 bad value".to_string()
    } else {
        format!("{n} bad values")
    };
    for e in &errors {
        msg.push_str("\n  ");
        msg.push_str(&e.to_string());
    }
    msg
}

/// A file that could not be read to its end (`problem`), and the bad values of the rows read
/// before it, if any: both are told, the values after the place that stopped the reading.
/// Not when the bytes could not be read (`unreadable`: an I/O error, or the file changed while
/// it was read): the rows read were of bytes that are no longer the file's.
fn with_rows_before(
    problem: String,
    unreadable: bool,
    before: Vec<RowError>,
    more: bool,
) -> String {
    if unreadable || before.is_empty() {
        return problem;
    }
    format!("{problem}; and before that, {}", rows_problem(before, more))
}

/// How far an import has got (for a progress bar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Bytes of the file read so far (compressed bytes for gzip) and the file's size.
    pub bytes_read: u64,
    pub file_bytes: u64,
    /// Lines written so far (not committed until the file is done).
    pub lines: u64,
}

/// Where progress goes: stderr (a terminal) and/or a callback, a few times a second.
struct ProgressSink<'a> {
    counter: Arc<AtomicU64>,
    size: u64,
    stderr: bool,
    callback: Option<&'a dyn Fn(Progress)>,
}

impl ProgressSink<'_> {
    /// Reports `lines` written, with the bytes read so far: `last` once every line is written
    /// (the whole file read: 100 %), which ends the indicator's line.
    fn report(&self, name: &str, lines: u64, last: bool) {
        let mut p = self.now(lines);
        if last {
            p.bytes_read = self.size;
        }
        if self.stderr {
            let text = indicator(name, &p);
            if last {
                eprintln!("\r{text}");
            } else {
                eprint!("\r{text}");
            }
        }
        if let Some(f) = self.callback {
            f(p);
        }
    }

    /// Ends a refused file's indicator where it stopped (its callback gets nothing more).
    fn stopped(&self, name: &str, lines: u64) {
        if self.stderr {
            eprintln!("\r{}", indicator(name, &self.now(lines)));
        }
    }

    fn now(&self, lines: u64) -> Progress {
        Progress {
            bytes_read: self.counter.load(Ordering::Relaxed).min(self.size),
            file_bytes: self.size,
            lines,
        }
    }
}

/// The terminal's progress indicator: `importing bill.csv:  42% (420000 lines)`.
fn indicator(name: &str, p: &Progress) -> String {
    let percent = p.bytes_read.min(p.file_bytes) * 100 / p.file_bytes.max(1);
    format!("importing {name}: {percent:>3}% ({} lines)", p.lines)
}

/// Whether the desktop's imports settle (`--settle`): a choice kept in the ledger, off until
/// the user turns it on, so that a file dropped on the window is imported the same way as one
/// picked in the dialog.
pub fn settles_imports(conn: &Connection) -> Result<bool> {
    let v: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = 'import_settle'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(v.as_deref() == Some("on"))
}

/// Keeps the choice read by [`settles_imports`].
pub fn set_settles_imports(conn: &Connection, on: bool) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES ('import_settle', ?1)",
        params![if on { "on" } else { "off" }],
    )?;
    Ok(())
}

/// Imports one file in one transaction.
pub fn import_file(conn: &mut Connection, path: &Path, opts: &Options) -> Result<FileReport> {
    import_file_inner(conn, path, opts, None).map_err(Error::from)
}

/// What [`import_file_with_progress`] refused: the error, and the SHA-256 of the bytes refused
/// (none when the file could not be read), which a later import of the same bytes can require
/// ([`Options::expect_sha256`]), e.g. once the user has named the currency they lacked.
#[derive(Debug)]
pub struct ImportFailure {
    pub error: Error,
    pub sha256: Option<String>,
}

impl From<ImportFailure> for Error {
    fn from(r: ImportFailure) -> Error {
        r.error
    }
}

impl std::fmt::Display for ImportFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for ImportFailure {}

/// [`import_file`], calling `on_progress` a few times a second while it writes (on the calling
/// thread), e.g. for the desktop's progress bar.
pub fn import_file_with_progress(
    conn: &mut Connection,
    path: &Path,
    opts: &Options,
    on_progress: &dyn Fn(Progress),
) -> std::result::Result<FileReport, ImportFailure> {
    import_file_inner(conn, path, opts, Some(on_progress))
}

fn import_file_inner(
    conn: &mut Connection,
    path: &Path,
    opts: &Options,
    callback: Option<&dyn Fn(Progress)>,
) -> std::result::Result<FileReport, ImportFailure> {
    let name = display_name(path);
    let opened = Opened::hash(path).map_err(|error| ImportFailure {
        error,
        sha256: None,
    })?;
    let failed = |error| ImportFailure {
        error,
        sha256: Some(opened.sha256.clone()),
    };
    let sha = &opened.sha256;
    expect_bytes(&name, sha, opts).map_err(failed)?;
    if let Some(report) = already_imported(conn, &name, sha, opts).map_err(failed)? {
        return settled_if_asked(conn, report, opts).map_err(failed);
    }
    let counter = Arc::new(AtomicU64::new(0));
    let reader = opened.reader(path, counter.clone()).map_err(failed)?;
    let stderr = opts.progress && opened.size >= PROGRESS_MIN_BYTES;
    let sink = (stderr || callback.is_some()).then_some(ProgressSink {
        counter,
        size: opened.size,
        stderr,
        callback,
    });
    import_stream(
        conn,
        reader,
        &name,
        sha,
        opts,
        sink,
        opened.size >= BULK_MIN_BYTES,
    )
    .map_err(|e| with_bad_rows(e, &name, opts, || opened.reader(path, Arc::default())))
    .map_err(failed)
}

/// Imports bytes already in memory (tests, fuzzing, the desktop's drag and drop).
pub fn import_bytes(
    conn: &mut Connection,
    name: &str,
    bytes: &[u8],
    opts: &Options,
) -> Result<FileReport> {
    let sha = hex(&Sha256::digest(bytes));
    expect_bytes(name, &sha, opts)?;
    if let Some(report) = already_imported(conn, name, &sha, opts)? {
        return settled_if_asked(conn, report, opts);
    }
    let reader = decoded(name, bytes, std::io::Cursor::new(bytes.to_vec()))?;
    import_stream(conn, reader, name, &sha, opts, None, false).map_err(|e| {
        with_bad_rows(e, name, opts, || {
            decoded(name, bytes, std::io::Cursor::new(bytes.to_vec()))
        })
    })
}

/// A file refused because its header does not say its amounts' currency has its rows checked
/// too (read in the placeholder currency XXX, nothing written): when some are bad, one message
/// names both, with code `import`, since naming a currency would not be enough. When the file
/// can no longer be read to its end (it changed since it was hashed, say), that alone is the
/// error: the refusal was of bytes that are gone, and naming a currency would not import them.
pub(super) fn with_bad_rows(
    refused: Error,
    name: &str,
    opts: &Options,
    reopen: impl FnOnce() -> Result<Box<dyn std::io::Read + Send>>,
) -> Error {
    if refused.code != ErrorCode::CurrencyUnstated {
        return refused;
    }
    let Ok(reader) = reopen() else {
        return refused;
    };
    match check_rows(reader, opts.format, Some("XXX")) {
        Err(unreadable) if unreadable.unreadable => unreadable.of_file(name),
        Err(bad) => Error::new(
            ErrorCode::Import,
            format!("{}; and {}", refused.message, bad.problem),
        ),
        Ok(_) => refused,
    }
}

/// Refuses a file whose bytes are not the ones `opts.expect_sha256` names.
fn expect_bytes(name: &str, sha: &str, opts: &Options) -> Result<()> {
    match &opts.expect_sha256 {
        Some(expected) if expected != sha => Err(Error::new(
            ErrorCode::Conflict,
            format!(
                "{name} changed since it was refused: not imported, nothing was written; \
                 import it again to see what it holds now"
            ),
        )),
        _ => Ok(()),
    }
}

/// The report of a file whose bytes were imported before and whose slices are all still
/// current (`None` when it must be imported: new bytes, or a later file replaced a slice of it).
/// Refused when the user names a currency (`--currency`) other than the one they were read in.
fn already_imported(
    conn: &Connection,
    name: &str,
    sha: &str,
    opts: &Options,
) -> Result<Option<FileReport>> {
    let row = conn
        .query_row(
            "SELECT i.id, i.format, i.rows FROM imports i
             WHERE i.sha256 = ?1 AND i.rows =
                (SELECT COALESCE(SUM(s.lines), 0) FROM import_slices s WHERE s.import_id = i.id)",
            params![sha],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )
        .optional()?;
    if let (Some((id, _, _)), Some(said)) = (&row, &opts.currency) {
        let other: Option<(String, String)> = conn
            .query_row(
                "SELECT a.id, a.currency FROM import_slices s JOIN accounts a ON a.id = s.account_id
                 WHERE s.import_id = ?1 AND a.currency <> ?2 ORDER BY a.id LIMIT 1",
                params![id, said.code()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((account, read_in)) = other {
            return Err(import_error(
                name,
                format!(
                    "its bytes were imported before, with the amounts of account '{account}' in \
                     {read_in}, but --currency says {}: expected the currency they were read \
                     in (name {read_in}, or leave --currency out)",
                    said.code()
                ),
            ));
        }
    }
    Ok(row.map(|(id, format, _rows)| FileReport {
        file: name.to_string(),
        format,
        sha256: sha.to_string(),
        status: "already_imported".into(),
        import_id: id,
        rows: 0,
        slices: Vec::new(),
        accounts_created: Vec::new(),
        settlement: None,
        signoffs_changed: Vec::new(),
    }))
}

/// Bytes imported before without `--settle`, imported again with it: their lines are settled
/// now (in one transaction), as they would have been the first time. Lines settled already
/// are left as they are: settling compares each (account, month, service) with what was
/// settled for it, so a second `--settle` adds nothing.
fn settled_if_asked(
    conn: &mut Connection,
    mut report: FileReport,
    opts: &Options,
) -> Result<FileReport> {
    if !opts.settle {
        return Ok(report);
    }
    let tx = conn.transaction()?;
    // Its lines' ids, found through its slices (all current: see `already_imported`) and the
    // lines' (account, month) index; an import's lines have consecutive ids.
    let (first, last): (Option<i64>, Option<i64>) = tx.query_row(
        "SELECT MIN(l.id), MAX(l.id) FROM import_slices s
         JOIN cost_lines l ON l.account_id = s.account_id AND l.month = s.month
         WHERE s.import_id = ?1 AND l.import_id = ?1",
        params![report.import_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if let (Some(first), Some(last)) = (first, last) {
        let settled =
            crate::ledger::bills::settle_lines(&tx, first, last, opts.at).map_err(|e| {
                Error::new(
                    ErrorCode::Import,
                    format!(
                        "{}: imported before (import #{}); not settled, nothing was written: {}",
                        report.file, report.import_id, e.message
                    ),
                )
            })?;
        report.settlement = Some(settled);
    }
    tx.commit()?;
    Ok(report)
}

/// Imports several files, each all or nothing: the reports of the files imported, and the
/// errors of the others.
pub fn import_files<'p>(
    conn: &mut Connection,
    paths: &[&'p Path],
    opts: &Options,
) -> (Vec<FileReport>, Vec<(&'p Path, Error)>) {
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for &p in paths {
        match import_file(conn, p, opts) {
            Ok(r) => ok.push(r),
            Err(e) => failed.push((p, e)),
        }
    }
    (ok, failed)
}

#[cfg(test)]
mod tests;
