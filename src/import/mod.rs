//! Importing exported bills (SPEC §6, issue 3): FOCUS 1.0–1.3, Tencent Cloud bill details (L3)
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
//! The rules are written down in `docs/IMPORT.md`.

pub mod focus;
pub mod huawei;
pub(crate) mod renumber;
pub mod row;
pub mod tencent;
pub mod values;

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::accounts::{self, PaymentMode};
use crate::costs::facts::{FactSums, ImportFacts};
use crate::costs::{RollupDelta, RollupKey, RollupSums};
use crate::error::{Error, ErrorCode, Result};
use crate::money::Currency;

use crate::store::labels::Interner;
use row::{
    Batch, Chunk, Fields, LocalLabels, NewAccountSeen, Row, RowError, NAMOUNTS, NLABELS, NO_LABEL,
    NTEXTS,
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

/// The currency marks native exports put after the names of amount columns, and the currency
/// each means (full-width forms too, and the full-width yen sign ￥).
const CURRENCY_MARKS: &[(&str, &str)] = &[
    ("(元)", "CNY"),
    ("（元）", "CNY"),
    ("(¥)", "CNY"),
    ("（¥）", "CNY"),
    ("(￥)", "CNY"),
    ("（￥）", "CNY"),
    ("(CNY)", "CNY"),
    ("($)", "USD"),
    ("（$）", "USD"),
    ("(US$)", "USD"),
    ("(USD)", "USD"),
];

/// A header name without its currency mark, and the mark's currency, if it has one.
pub fn currency_mark(header: &str) -> Option<(&str, &'static str)> {
    let h = header.trim_end();
    CURRENCY_MARKS.iter().find_map(|(mark, currency)| {
        h.strip_suffix(mark)
            .map(|rest| (rest.trim_end(), *currency))
    })
}

/// Why a header cannot be read as the format asked for.
pub enum HeaderError {
    /// The required columns it lacks, as the message names them.
    Missing(Vec<&'static str>),
    /// Something else, as a sentence.
    Problem(String),
}

/// A header name as mappers look it up: lower case, without a BOM, without spaces (Tencent's
/// partner bills write `TransactionTime` where its English site writes `Transaction Time`) and
/// without the currency suffix of native exports (`(元)`, `(¥)`, `($)`).
pub fn normalize_header(h: &str) -> String {
    let mut t = h.trim().trim_start_matches('\u{feff}').trim();
    if let Some((rest, _)) = currency_mark(t) {
        t = rest;
    }
    t.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The first of `names` present in the header.
pub fn find(cols: &HashMap<String, usize>, names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| cols.get(*n).copied())
}

fn import_error(file: &str, problem: impl fmt::Display) -> Error {
    Error::new(
        ErrorCode::Import,
        format!("{file}: not imported, nothing was written: {problem}"),
    )
}

fn rows_error(file: &str, mut errors: Vec<RowError>, more: bool) -> Error {
    errors.sort_by_key(|e| e.line);
    errors.truncate(ERROR_CAP);
    let n = errors.len();
    let head = if more || n == ERROR_CAP {
        format!("the first {n} bad values (there may be more)")
    } else if n == 1 {
        "1 bad value".to_string()
    } else {
        format!("{n} bad values")
    };
    let mut msg = head;
    for e in &errors {
        msg.push_str("\n  ");
        msg.push_str(&e.to_string());
    }
    import_error(file, msg)
}

/// The SHA-256 of a file's bytes, and its size.
pub fn hash_file(path: &Path) -> Result<(String, u64)> {
    let mut f = File::open(path).map_err(|e| read_error(path, e))?;
    let mut h = Sha256::new();
    // 64 KiB: the kernel copies each read into a buffer the hash then reads back, both in the
    // L2 cache (1 MiB reads cost four times as much kernel time, perf: `_copy_to_iter`).
    let mut buf = vec![0u8; 64 << 10];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| read_error(path, e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex(&h.finalize()), size))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn read_error(path: &Path, e: std::io::Error) -> Error {
    import_error(
        &display_name(path),
        format!("the file cannot be read ({e})"),
    )
}

pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Counts the bytes read, for the progress indicator.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Keeps a copy of the bytes the CSV reader reads, so that the records' own bytes can be stored
/// beside the lines made from them ([`Chunker`]) and their line numbers told ([`record_line`]).
pub struct Tee<R> {
    inner: R,
    kept: Vec<u8>,
}

impl<R> Tee<R> {
    pub fn new(inner: R) -> Self {
        Tee {
            inner,
            kept: Vec::new(),
        }
    }
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.kept.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// The physical line (1-based) a record starts on: the line the CSV reader reports for it
/// (`pos`), plus the line ends it skipped before the record's first byte. The reader reports
/// where it began reading, which is before the `\n` of the previous record's `\r\n` (it stops
/// after the `\r`: BurntSushi/rust-csv#395) and before any blank lines. `kept` are the bytes
/// read, from offset `kept_from` of the input on.
pub(crate) fn record_line(pos: &csv::Position, kept: &[u8], kept_from: u64) -> u64 {
    let from = pos.byte().saturating_sub(kept_from) as usize;
    let skipped = kept
        .get(from..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .filter(|&&b| b == b'\n')
        .count();
    pos.line() + skipped as u64
}

/// Cuts the bytes a [`Tee`] kept into chunks of whole records, one per batch: `kept[0]` is
/// always the byte at `start`, where the next chunk begins.
struct Chunker {
    start: u64,
    /// The physical line of the chunk's first record, once it is read.
    first_line: Option<u64>,
}

impl Chunker {
    /// Starts at the reader's position (the first record after the header).
    fn begin<R: Read>(rdr: &mut csv::Reader<Tee<R>>) -> Self {
        let pos = rdr.position().clone();
        let tee = rdr.get_mut();
        let drop = (pos.byte() as usize).min(tee.kept.len());
        tee.kept.drain(..drop);
        Chunker {
            start: pos.byte(),
            first_line: None,
        }
    }

    /// The physical line of a record just read (see [`record_line`]).
    fn line_of<R: Read>(&mut self, rdr: &csv::Reader<Tee<R>>, pos: &csv::Position) -> u64 {
        let line = record_line(pos, &rdr.get_ref().kept, self.start);
        self.first_line.get_or_insert(line);
        line
    }

    /// Drops the bytes read since the last cut (nothing is built from them).
    fn skip<R: Read>(&mut self, rdr: &mut csv::Reader<Tee<R>>) {
        let pos = rdr.position().clone();
        let tee = rdr.get_mut();
        let len = ((pos.byte() - self.start) as usize).min(tee.kept.len());
        tee.kept.drain(..len);
        self.start = pos.byte();
        self.first_line = None;
    }

    /// The records read since the last cut, compressed into `buffer` (reused, for its capacity);
    /// `last_line` is where the last starts.
    fn cut<R: Read>(
        &mut self,
        rdr: &mut csv::Reader<Tee<R>>,
        last_line: u64,
        buffer: Vec<u8>,
    ) -> Chunk {
        let pos = rdr.position().clone();
        let tee = rdr.get_mut();
        let len = ((pos.byte() - self.start) as usize).min(tee.kept.len());
        let chunk = Chunk {
            first_line: self.first_line.unwrap_or(last_line),
            last_line,
            bytes: len as u64,
            data: compress_prepend_size(&tee.kept[..len], buffer),
        };
        tee.kept.drain(..len);
        self.start = pos.byte();
        self.first_line = None;
        chunk
    }
}

/// `lz4_flex::compress_prepend_size` into a reused buffer: the same bytes (the size as a
/// little-endian u32, then the LZ4 block), which `decompress_size_prepended` reads back.
fn compress_prepend_size(input: &[u8], mut out: Vec<u8>) -> Vec<u8> {
    let max = lz4_flex::block::get_maximum_output_size(input.len());
    out.clear();
    out.extend_from_slice(&(input.len() as u32).to_le_bytes());
    out.resize(4 + max, 0);
    let n = lz4_flex::block::compress_into(input, &mut out[4..])
        .expect("the output has the maximum size LZ4 can need");
    out.truncate(4 + n);
    out
}

/// The fields of the record that starts on physical line `line` of an imported file, read back
/// from the file's own bytes kept in `import_chunks`.
pub fn original_record(conn: &Connection, import_id: i64, line: u64) -> Result<Vec<String>> {
    let damaged = |what: &str| {
        Error::new(
            ErrorCode::Storage,
            format!("the original row of line {line} cannot be read back ({what}): the ledger file was changed outside Billfold"),
        )
    };
    let (first_line, data): (i64, Vec<u8>) = conn
        .query_row(
            "SELECT first_line, data FROM import_chunks
             WHERE import_id = ?1 AND first_line <= ?2 ORDER BY first_line DESC LIMIT 1",
            params![import_id, line as i64],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| damaged("no chunk holds it"))?;
    let bytes = lz4_flex::decompress_size_prepended(&data)
        .map_err(|_| damaged("a chunk does not decompress"))?;
    let mut rdr = csv_reader(bytes.as_slice());
    let mut rec = csv::StringRecord::new();
    // Lines counted from the chunk's first record, which is on `first_line`.
    let mut first_in_chunk = None;
    while rdr
        .read_record(&mut rec)
        .map_err(|_| damaged("a chunk is not CSV"))?
    {
        let in_chunk = rec.position().map_or(0, |p| record_line(p, &bytes, 0));
        let first = *first_in_chunk.get_or_insert(in_chunk);
        let at = first_line as u64 + in_chunk - first;
        if at == line {
            return Ok(rec.iter().map(str::to_string).collect());
        }
        if at > line {
            break;
        }
    }
    Err(damaged("no record starts on that line"))
}

/// Opens a file for reading, through gzip when it starts with gzip's magic bytes.
fn open_reader(path: &Path, counter: Arc<AtomicU64>) -> Result<Box<dyn Read + Send>> {
    let mut f = File::open(path).map_err(|e| read_error(path, e))?;
    let mut magic = [0u8; 4];
    let n = f.read(&mut magic).map_err(|e| read_error(path, e))?;
    drop(f);
    let f = File::open(path).map_err(|e| read_error(path, e))?;
    let counted = Counting {
        inner: f,
        read: counter,
    };
    decoded(&display_name(path), &magic[..n], counted)
}

/// The reader of a file's CSV text, judged by its first bytes: gzip is decompressed; a zip
/// archive is refused with a sentence saying what to do (Tencent and Huawei deliver bills to
/// object storage zipped, and an Excel workbook is a zip archive too).
fn decoded<R: Read + Send + 'static>(
    name: &str,
    magic: &[u8],
    inner: R,
) -> Result<Box<dyn Read + Send>> {
    if magic.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(
            BufReader::with_capacity(256 << 10, inner),
        )))
    } else if [&b"PK\x03\x04"[..], b"PK\x05\x06", b"PK\x07\x08"]
        .iter()
        .any(|m| magic.starts_with(m))
    {
        Err(import_error(
            name,
            "it is a zip archive (an Excel workbook is one too): expected a CSV file, plain or \
             gzip (unzip it and import the CSV inside, or save the sheet as CSV UTF-8)",
        ))
    } else if magic.starts_with(&[0xd0, 0xcf, 0x11, 0xe0]) {
        Err(import_error(
            name,
            "it is an Excel 97-2003 workbook: expected a CSV file, plain or gzip (save the \
             sheet as CSV UTF-8)",
        ))
    } else {
        Ok(Box::new(inner))
    }
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
    import_file_inner(conn, path, opts, None)
}

/// [`import_file`], calling `on_progress` a few times a second while it writes (on the calling
/// thread), e.g. for the desktop's progress bar.
pub fn import_file_with_progress(
    conn: &mut Connection,
    path: &Path,
    opts: &Options,
    on_progress: &dyn Fn(Progress),
) -> Result<FileReport> {
    import_file_inner(conn, path, opts, Some(on_progress))
}

fn import_file_inner(
    conn: &mut Connection,
    path: &Path,
    opts: &Options,
    callback: Option<&dyn Fn(Progress)>,
) -> Result<FileReport> {
    let name = display_name(path);
    let (sha, size) = hash_file(path)?;
    if let Some(report) = already_imported(conn, &name, &sha)? {
        return Ok(report);
    }
    let counter = Arc::new(AtomicU64::new(0));
    let reader = open_reader(path, counter.clone())?;
    let stderr = opts.progress && size >= PROGRESS_MIN_BYTES;
    let sink = (stderr || callback.is_some()).then_some(ProgressSink {
        counter,
        size,
        stderr,
        callback,
    });
    import_stream(
        conn,
        reader,
        &name,
        &sha,
        opts,
        sink,
        size >= BULK_MIN_BYTES,
    )
}

/// Imports bytes already in memory (tests, fuzzing, the desktop's drag and drop).
pub fn import_bytes(
    conn: &mut Connection,
    name: &str,
    bytes: &[u8],
    opts: &Options,
) -> Result<FileReport> {
    let sha = hex(&Sha256::digest(bytes));
    if let Some(report) = already_imported(conn, name, &sha)? {
        return Ok(report);
    }
    let reader = decoded(name, bytes, std::io::Cursor::new(bytes.to_vec()))?;
    import_stream(conn, reader, name, &sha, opts, None, false)
}

/// The report of a file whose bytes were imported before and whose slices are all still
/// current (`None` when it must be imported: new bytes, or a later file replaced a slice of it).
fn already_imported(conn: &Connection, name: &str, sha: &str) -> Result<Option<FileReport>> {
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

/// The header found in a file and the mapper for it.
pub struct Sniffed {
    pub mapper: Box<dyn Mapper>,
    pub header: Vec<String>,
}

fn csv_reader<R: Read>(reader: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        // The kernel copies each read into this buffer, the Tee copies it again and the parser
        // reads it: at 64 KiB all three stay in the L2 cache (256 KiB: 0.3 s more kernel time
        // per 700 MB, six interleaved runs).
        .buffer_capacity(64 << 10)
        .from_reader(reader)
}

/// What is wrong with the file, from the CSV reader's error; `kept` are the bytes kept from
/// offset `kept_from` on (to tell the physical line, see [`record_line`]).
fn csv_problem(e: &csv::Error, kept: &[u8], kept_from: u64) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { pos, .. } => format!(
            "line {}: the text is not UTF-8: expected a UTF-8 CSV file (re-export it as UTF-8, or \
             convert it, e.g. from GBK)",
            pos.as_ref().map_or(0, |p| record_line(p, kept, kept_from))
        ),
        csv::ErrorKind::Io(io) => format!("the file cannot be read ({io})"),
        _ => format!("the file is not valid CSV ({e})"),
    }
}

/// Finds the header (in the first lines) and builds the mapper for it.
pub fn sniff<R: Read>(
    rdr: &mut csv::Reader<Tee<R>>,
    format: Format,
) -> std::result::Result<Sniffed, String> {
    let mut rec = csv::StringRecord::new();
    let mut first: Option<(Vec<String>, HashMap<String, usize>)> = None;
    for _ in 0..HEADER_SEARCH_LINES {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            // Nothing of the file was dropped yet: the kept bytes start at its first byte.
            Err(e) => return Err(csv_problem(&e, &rdr.get_ref().kept, 0)),
        }
        let header: Vec<String> = rec
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = if i == 0 {
                    h.trim_start_matches('\u{feff}')
                } else {
                    h
                };
                h.trim().to_string()
            })
            .collect();
        let mut cols: HashMap<String, usize> = HashMap::new();
        let mut dup: Option<(usize, usize)> = None;
        for (i, h) in header.iter().enumerate() {
            let n = normalize_header(h);
            if n.is_empty() {
                continue;
            }
            // Tag and extension columns are read by their own names (tag keys are
            // case-sensitive): two that differ only by case or spaces are two columns.
            let own_name = tencent::is_tag_column(h) || n.starts_with("x_");
            match cols.entry(n) {
                Entry::Occupied(e) if dup.is_none() && (!own_name || header[*e.get()] == *h) => {
                    dup = Some((*e.get(), i))
                }
                Entry::Occupied(_) => {}
                Entry::Vacant(e) => {
                    e.insert(i);
                }
            }
        }
        let matches = match format {
            Format::Auto => focus::sniff(&cols) || tencent::sniff(&cols) || huawei::sniff(&cols),
            Format::Focus => focus::sniff(&cols),
            Format::Tencent => tencent::sniff(&cols),
            Format::Huawei => huawei::sniff(&cols),
        };
        if first.is_none() {
            first = Some((header.clone(), cols.clone()));
        }
        if !matches {
            continue;
        }
        if let Some((a, b)) = dup {
            let (a, b) = (&header[a], &header[b]);
            return Err(if a == b {
                format!("the header names the column '{a}' twice: expected each column once")
            } else {
                format!(
                    "the header's columns '{a}' and '{b}' are one column (names are compared \
                     without case and spaces): expected each column once"
                )
            });
        }
        // Lines ending in a carriage return alone (old Mac files): the reader splits records
        // there but counts lines by `\n`, so every record would be "line 1".
        let at = rdr.position().byte() as usize;
        let kept = &rdr.get_ref().kept;
        let after_returns = kept
            .get(at..)
            .unwrap_or_default()
            .iter()
            .find(|&&b| b != b'\r');
        if at > 0 && kept.get(at - 1) == Some(&b'\r') && after_returns.is_some_and(|&b| b != b'\n')
        {
            return Err(
                "its lines end with a carriage return alone (an old Mac format): \
                 expected lines ending in a line feed, or a carriage return and a line feed \
                 (save it again as CSV)"
                    .into(),
            );
        }
        return build(format, header, &cols);
    }
    match (format, first) {
        (_, None) => Err("the file is empty: expected a header line and bill lines".into()),
        // FOCUS's own column: judged as FOCUS, so the message names the columns it lacks.
        (Format::Auto, Some((header, cols))) if cols.contains_key("billedcost") => {
            build(Format::Focus, header, &cols)
        }
        (Format::Auto, Some(_)) => Err(
            "the header is not one of a bill Billfold knows: expected FOCUS (BilledCost, \
             BillingAccountId, BillingCurrency...), Tencent Cloud bill details (支付者UIN, \
             优惠后总价...) or Huawei Cloud expenditure details (账期, 应付金额(¥)...)"
                .into(),
        ),
        (f, Some((header, cols))) => build(f, header, &cols),
    }
}

fn build(
    format: Format,
    header: Vec<String>,
    cols: &HashMap<String, usize>,
) -> std::result::Result<Sniffed, String> {
    let format = match format {
        Format::Auto if focus::sniff(cols) => Format::Focus,
        Format::Auto if tencent::sniff(cols) => Format::Tencent,
        Format::Auto => Format::Huawei,
        f => f,
    };
    let mapper: std::result::Result<Box<dyn Mapper>, HeaderError> = match format {
        Format::Focus => focus::Focus::new(cols).map(|m| Box::new(m) as Box<dyn Mapper>),
        Format::Tencent => tencent::Tencent::new(cols, &header).map(|m| Box::new(m) as _),
        _ => huawei::Huawei::new(cols, &header).map(|m| Box::new(m) as _),
    };
    match mapper {
        Ok(mapper) => Ok(Sniffed { mapper, header }),
        Err(HeaderError::Problem(problem)) => Err(problem),
        Err(HeaderError::Missing(missing)) => {
            let mut problem = format!(
                "the header has no {} column: expected a {} export with {}",
                missing.join(", no "),
                match format {
                    Format::Focus => "FOCUS",
                    Format::Tencent => "Tencent Cloud bill details",
                    _ => "Huawei Cloud expenditure details",
                },
                if missing.len() == 1 {
                    "that column"
                } else {
                    "those columns"
                }
            );
            if format == Format::Focus {
                for name in &missing {
                    let name = name.split(" (").next().unwrap_or(name);
                    if let Some(near) = near_miss(name, &header) {
                        problem.push_str(&format!(
                            " (the header's {near} is not a FOCUS column: is it {name} misspelt?)"
                        ));
                    }
                }
            }
            Err(problem)
        }
    }
}

/// The header's column whose name is nearest to `name` (letters compared without case),
/// if it is a few edits away: a misspelt column (e.g. `BilledCurrency` for `BillingCurrency`,
/// seen in samples of the FOCUS specification itself).
fn near_miss<'h>(name: &str, header: &'h [String]) -> Option<&'h str> {
    let want = normalize_header(name);
    let limit = (want.chars().count() / 5).max(2);
    header
        .iter()
        .map(|h| (edit_distance(&normalize_header(h), &want), h))
        .filter(|&(d, _)| d > 0 && d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, h)| h.as_str())
}

/// Levenshtein distance between two strings, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// Sums of one rollup key, gathered while parsing.
#[derive(Default, Clone)]
struct Sums {
    billed: Decimal,
    effective: Decimal,
    list: Decimal,
    net: Decimal,
    lines: i64,
}

/// What the parse knows about one slice of the file.
#[derive(Clone)]
struct SliceAcc {
    provider: String,
    account: String,
    month: String,
    lines: u64,
    invoiced_all: bool,
    period_end: Option<DateTime<Utc>>,
    /// Every line is a correction (`ChargeClass` Correction): a delta, not a month's bill.
    corrections_only: bool,
}

/// The result of parsing a whole file.
#[derive(Default)]
struct Parsed {
    rows: u64,
    errors: Vec<RowError>,
    more_errors: bool,
    file_error: Option<String>,
    sums: HashMap<String, Sums>,
    slices: Vec<SliceAcc>,
    /// Subscriptions seen: (account, resource) → (latest end, product, region).
    renewals: Renewals,
    /// Per account: the providers its lines name, its currency, its first line and the
    /// currency's column.
    providers: HashMap<String, (Vec<String>, String, u64, String)>,
}

/// Subscriptions of a file: (account, resource) → (latest usage end, product, region).
type Renewals = HashMap<(String, String), (DateTime<Utc>, String, Option<String>)>;

const SEP: char = '\u{1f}';

/// Parses every record after the header, checks it, and sends batches (when `send` is given).
fn parse_records<R: Read>(
    rdr: &mut csv::Reader<Tee<R>>,
    mapper: &mut dyn Mapper,
    header: &[String],
    send: Option<(&mpsc::SyncSender<Batch>, &mpsc::Receiver<Batch>)>,
    abort: &AtomicBool,
) -> Parsed {
    let mut out = Parsed::default();
    let mut rec = csv::StringRecord::new();
    let mut batch = Batch::default();
    let mut dict = LocalLabels::default();
    let mut key = String::new();
    let mut slice_index: HashMap<(String, [u8; 7]), usize> = HashMap::new();
    let mut last_slice: Option<(String, [u8; 7], usize)> = None;
    // account → (currency, providers seen, first line, currency column)
    let mut accounts: HashMap<String, (String, Vec<String>, u64, usize)> = HashMap::new();
    let width = header.len();
    let acct_col = mapper.account_column();
    let has_invoice = mapper.has_invoice_column();
    let mut chunker = Chunker::begin(rdr);
    let mut last_line = 0;
    let mut unkept = 0;
    loop {
        if out.errors.len() >= ERROR_CAP {
            out.more_errors = true;
            break;
        }
        // The bytes read are kept for the batches' chunks; while no batch is built (only
        // checking, or after a bad row) they are dropped as they go, so memory stays bounded.
        if send.is_none() || !out.errors.is_empty() {
            unkept += 1;
            if unkept >= BATCH_ROWS {
                chunker.skip(rdr);
                unkept = 0;
            }
        }
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                out.file_error = Some(csv_problem(&e, &rdr.get_ref().kept, chunker.start));
                break;
            }
        }
        let line = rec.position().map_or(0, |p| chunker.line_of(rdr, p));
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim().is_empty()) {
            continue; // a blank line
        }
        if rec.len() != width
            && !(rec.len() > width && rec.iter().skip(width).all(|f| f.trim().is_empty()))
        {
            out.errors.push(RowError {
                line,
                column: "(the whole row)".into(),
                problem: format!(
                    "the row has {} fields but the header has {width}: expected one field per \
                     column (a quote may be missing)",
                    rec.len()
                ),
            });
            continue;
        }
        let mut f = Fields::new(&rec, header, line);
        let row = mapper.map(&mut f);
        let Some(row) = row.filter(|_| f.errors.is_empty()) else {
            out.errors.append(&mut f.errors);
            continue;
        };
        // The account: one billing currency per billing account. Its lines may name several
        // providers (FOCUS 1.3 marketplace lines name the seller as ServiceProviderName): the
        // account belongs to the provider of its first line, each line keeps its own.
        match accounts.get_mut(row.account) {
            Some((currency, providers, _, _)) => {
                if *currency != row.currency {
                    f.fail(
                        row.currency_column,
                        format!(
                            "{} differs from the {} of the account's earlier lines: expected one \
                             billing currency per billing account",
                            row::quote(&row.currency),
                            currency
                        ),
                    );
                } else if !providers.iter().any(|p| *p == row.provider) {
                    providers.push(row.provider.to_string());
                }
            }
            None => {
                if Currency::parse(&row.currency).is_err() {
                    f.bad(row.currency_column, &row.currency, focus::EXPECTED_CURRENCY);
                } else {
                    accounts.insert(
                        row.account.to_string(),
                        (
                            row.currency.to_string(),
                            vec![row.provider.to_string()],
                            line,
                            row.currency_column,
                        ),
                    );
                    batch.new_accounts.push(NewAccountSeen {
                        account: row.account.to_string(),
                        provider: row.provider.to_string(),
                        currency: row.currency.to_string(),
                        line,
                        account_column: header.get(acct_col).cloned().unwrap_or_default(),
                        currency_column: header
                            .get(row.currency_column)
                            .cloned()
                            .unwrap_or_default(),
                    });
                }
            }
        }
        // The rollup.
        key.clear();
        key.push_str(row.account);
        key.push(SEP);
        key.push_str(row.sub_id.unwrap_or(""));
        key.push(SEP);
        key.push_str(std::str::from_utf8(&row.month).unwrap_or_default());
        key.push(SEP);
        key.push_str(row.service);
        key.push(SEP);
        key.push_str(&row.currency);
        let sums = match out.sums.get_mut(key.as_str()) {
            Some(s) => s,
            None => out.sums.entry(key.clone()).or_default(),
        };
        let billed = row.billed_cost.value;
        let coupon = row.paid[row::PAID_COUPON]
            .as_ref()
            .map(|a| a.value)
            .unwrap_or_default();
        let added = (|| {
            Some(Sums {
                billed: sums.billed.checked_add(billed)?,
                effective: sums.effective.checked_add(row.effective_cost.value)?,
                list: sums
                    .list
                    .checked_add(row.list_cost.as_ref().map(|a| a.value).unwrap_or(billed))?,
                net: sums.net.checked_add(billed.checked_sub(coupon)?)?,
                lines: sums.lines + 1,
            })
        })();
        match added {
            Some(s) => *sums = s,
            None => f.fail(
                mapper.billed_column(),
                "the total of the file's amounts exceeds 28 significant digits: expected amounts \
                 Billfold can add up exactly"
                    .into(),
            ),
        }
        if !f.errors.is_empty() {
            out.errors.append(&mut f.errors);
            continue;
        }
        // The slice.
        let idx = match &last_slice {
            Some((a, m, i)) if a == row.account && *m == row.month => *i,
            _ => {
                let k = (row.account.to_string(), row.month);
                let i = match slice_index.get(&k) {
                    Some(&i) => i,
                    None => {
                        out.slices.push(SliceAcc {
                            provider: row.provider.to_string(),
                            account: row.account.to_string(),
                            month: String::from_utf8_lossy(&row.month).into_owned(),
                            lines: 0,
                            invoiced_all: true,
                            period_end: None,
                            corrections_only: true,
                        });
                        slice_index.insert(k, out.slices.len() - 1);
                        out.slices.len() - 1
                    }
                };
                last_slice = Some((row.account.to_string(), row.month, i));
                i
            }
        };
        let s = &mut out.slices[idx];
        s.lines += 1;
        s.corrections_only &= row.charge_class == Some("Correction");
        if has_invoice && row.invoice_id.is_none() {
            s.invoiced_all = false;
        }
        if let Some(pe) = row.period_end {
            s.period_end = Some(s.period_end.map_or(pe, |e| e.max(pe)));
        }
        out.rows += 1;
        // A subscription line's usage end is its resource's expiry (SPEC §5 renewals).
        if let (true, Some(res), Some(end)) =
            (row.category == "Purchase", row.resource_id, row.charge_end)
        {
            let e = out
                .renewals
                .entry((row.account.to_string(), res.to_string()))
                .or_insert_with(|| (end, row.service.to_string(), row.region.map(str::to_string)));
            if end > e.0 {
                *e = (end, row.service.to_string(), row.region.map(str::to_string));
            }
        }
        if !out.errors.is_empty() {
            continue; // nothing will be written: stop building batches
        }
        if let Some((tx, _)) = send {
            batch.push(line, &row, &mut dict);
            last_line = line;
            if batch.len() >= BATCH_ROWS {
                batch.chunk =
                    Some(chunker.cut(rdr, last_line, std::mem::take(&mut batch.chunk_buffer)));
                let next = send
                    .and_then(|(_, r)| r.try_recv().ok())
                    .unwrap_or_default();
                let full = std::mem::replace(&mut batch, next);
                if tx.send(full).is_err() || abort.load(Ordering::Relaxed) {
                    break;
                }
            }
        }
    }
    if let Some((tx, _)) = send {
        if out.errors.is_empty() && out.file_error.is_none() && !batch.is_empty() {
            batch.chunk =
                Some(chunker.cut(rdr, last_line, std::mem::take(&mut batch.chunk_buffer)));
        }
        if !batch.is_empty() || !batch.new_accounts.is_empty() {
            let _ = tx.send(batch);
        }
    }
    out.providers = accounts
        .into_iter()
        .map(|(a, (currency, providers, line, col))| {
            let column = header.get(col).cloned().unwrap_or_default();
            (a, (providers, currency, line, column))
        })
        .collect();
    out
}

/// Reads a bill from `reader` without writing anything: the number of good lines, or the same
/// error an import would give. (The fuzz target's entry point.)
pub fn check_reader<R: Read>(reader: R, name: &str, format: Format) -> Result<u64> {
    let mut rdr = csv_reader(Tee::new(reader));
    let mut sniffed = sniff(&mut rdr, format).map_err(|p| import_error(name, p))?;
    let abort = AtomicBool::new(false);
    let parsed = parse_records(
        &mut rdr,
        sniffed.mapper.as_mut(),
        &sniffed.header,
        None,
        &abort,
    );
    if let Some(p) = parsed.file_error {
        return Err(import_error(name, p));
    }
    if !parsed.errors.is_empty() {
        return Err(rows_error(name, parsed.errors, parsed.more_errors));
    }
    Ok(parsed.rows)
}

/// `OR FAIL`, not SQLite's default `OR ABORT`: an aborting multi-row INSERT must be undone on
/// its own, so SQLite keeps a statement journal of every page it touches (measured: 2.1 GB,
/// 519,000 pages, written to a temporary file for a million lines; 14 % of the import's time).
/// A failed insert fails the whole import's transaction anyway, which rolls everything back.
const INSERT_HEAD: &str = "INSERT OR FAIL INTO cost_lines (import_id, source, source_line,
    account_id, month, currency, service, sub_account, provider, category, charge_class,
    resource, region,
    sku, tags, description, resource_name, sub_account_name, service_category, pricing_unit,
    invoice, billed_cost, effective_cost, list_cost, coupon_paid, pricing_quantity,
    contracted_cost, paid_voucher, paid_complimentary, paid_cash, paid_card, paid_credit,
    paid_arrears, paid_revenue, charge_start, charge_end) VALUES ";
/// Parameters per row: import_id, source, source_line, the texts, the labels, the amounts, two
/// times.
const PARAMS: usize = 3 + NTEXTS + NLABELS + NAMOUNTS + 2;
/// Rows per multi-row INSERT (fewer statement executions per line).
const ROWS_PER_INSERT: usize = 16;

fn insert_sql(rows: usize) -> String {
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
fn prepare_insert<'c>(
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
fn bind_row(
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
    facts.add(
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
    )?;
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

fn import_stream(
    conn: &mut Connection,
    reader: Box<dyn Read + Send>,
    name: &str,
    sha: &str,
    opts: &Options,
    progress: Option<ProgressSink<'_>>,
    bulk: bool,
) -> Result<FileReport> {
    let mut rdr = csv_reader(Tee::new(reader));
    let sniffed = sniff(&mut rdr, opts.format).map_err(|p| import_error(name, p))?;
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
    let result = write_import(conn, rdr, mapper, header, name, sha, opts, progress);
    conn.pragma_update(None, "cache_size", cache)?;
    if bulk {
        switch_journal(conn, "delete", "WAL");
    }
    conn.pragma_update(None, "foreign_keys", fk)?;
    result
}

/// Switches the journal mode from `from` to `to`; false when the ledger is not in `from` mode
/// or SQLite refuses (another connection is open).
fn switch_journal(conn: &Connection, from: &str, to: &str) -> bool {
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
fn write_import(
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
                        let p = Progress {
                            bytes_read: sink.counter.load(Ordering::Relaxed).min(sink.size),
                            file_bytes: sink.size,
                            lines: written,
                        };
                        if sink.stderr {
                            eprint!(
                                "\rimporting {name}: {:>3}% ({written} lines)",
                                p.bytes_read * 100 / p.file_bytes.max(1)
                            );
                        }
                        if let Some(f) = sink.callback {
                            f(p);
                        }
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
    if progress.as_ref().is_some_and(|p| p.stderr) {
        eprintln!();
    }
    let mut parsed = parsed?;
    if let Some(p) = parsed.file_error {
        return Err(import_error(name, p));
    }
    if !parsed.errors.is_empty() || !db_errors.is_empty() {
        let mut all = parsed.errors;
        all.extend(db_errors);
        return Err(rows_error(name, all, parsed.more_errors));
    }
    debug_assert_eq!(written, parsed.rows);

    // Each account belongs to one provider: the ledger's, which this file's lines must name.
    let mut provider_of: HashMap<String, String> = HashMap::new();
    let mut clashes = Vec::new();
    for (account, (providers, currency, line, currency_column)) in &parsed.providers {
        let existing = accounts::get_account(&tx, account)?;
        if !providers.contains(&existing.provider) {
            clashes.push(RowError {
                line: *line,
                column: account_column.clone(),
                problem: format!(
                    "account {} belongs to {} in this ledger, but this file's lines are from \
                     {}: expected the same provider",
                    row::quote(account),
                    existing.provider,
                    providers.join(" and ")
                ),
            });
        } else if existing.currency.code() != currency {
            clashes.push(RowError {
                line: *line,
                column: currency_column.clone(),
                problem: format!(
                    "{} differs from the currency of account {} in this ledger ({}): expected \
                     the account's billing currency",
                    row::quote(currency),
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
        let mut parts = k.split(SEP);
        let mut next = || parts.next().unwrap_or_default().to_string();
        let key = RollupKey {
            account_id: next(),
            sub_account_id: next(),
            month: next(),
            service: next(),
            currency: next(),
        };
        delta.add_sums(
            key,
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
fn refuse_delta(tx: &Connection, name: &str, s: &SliceAcc, old: i64) -> Result<()> {
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
fn record_renewals(
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
fn slice_status(s: &SliceAcc, native: bool, at: DateTime<Utc>) -> &'static str {
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
fn ensure_account(
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
                    (
                        a.account_column.clone(),
                        format!("{}: {}", row::quote(&a.account), e.message),
                    )
                },
            )?;
            Ok(true)
        }
        Err(e) => Err(db(e)),
    }
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
