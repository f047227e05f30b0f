//! A file's bytes: opening and decoding them (gzip, refused archives and encodings), hashing
//! them, and keeping them LZ4-compressed in chunks so that any line's original row can be read
//! back.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorCode, Result};

use super::*;

/// A file opened once for its import: hashed, then read from the same handle. A file replaced
/// meanwhile (a download finishing, an editor saving through a new file) is therefore read as
/// it was hashed; one written to in place is caught when its end is read, where the bytes read
/// are hashed again ([`Counting`]): the SHA-256 recorded is always that of the bytes imported.
pub struct Opened {
    file: File,
    /// The SHA-256 of the file's bytes, hex.
    pub sha256: String,
    pub size: u64,
}

impl Opened {
    /// Opens and hashes the file.
    pub fn hash(path: &Path) -> Result<Opened> {
        let mut file = File::open(path).map_err(|e| read_error(path, e))?;
        let mut h = Sha256::new();
        // 64 KiB: the kernel copies each read into a buffer the hash then reads back, both in the
        // L2 cache (1 MiB reads cost four times as much kernel time, perf: `_copy_to_iter`).
        let mut buf = vec![0u8; 64 << 10];
        let mut size = 0u64;
        loop {
            let n = file.read(&mut buf).map_err(|e| read_error(path, e))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            h.update(&buf[..n]);
        }
        Ok(Opened {
            file,
            sha256: hex(&h.finalize()),
            size,
        })
    }

    /// The file's text from its first byte (through gzip when it starts with gzip's magic
    /// bytes), counting the bytes read into `counter`; reading its end fails if they were not
    /// the bytes hashed. One reader at a time: readers share the handle's position.
    pub(super) fn reader(
        &self,
        path: &Path,
        counter: Arc<AtomicU64>,
    ) -> Result<Box<dyn Read + Send>> {
        let mut file = self.file.try_clone().map_err(|e| read_error(path, e))?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| read_error(path, e))?;
        let mut magic = [0u8; 4];
        let n = file.read(&mut magic).map_err(|e| read_error(path, e))?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| read_error(path, e))?;
        let counted = Counting {
            inner: file,
            read: counter,
            hash: Some(Sha256::new()),
            total: 0,
            hashed: self.sha256.clone(),
            hashed_len: self.size,
        };
        decoded(&display_name(path), &magic[..n], counted)
    }
}

pub(super) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(super) fn read_error(path: &Path, e: std::io::Error) -> Error {
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

/// Counts the bytes read, for the progress indicator, and hashes them: at the end of the file
/// they must be the bytes hashed before the import, else the file was written to meanwhile (a
/// download still in progress, say) and the import fails, nothing written.
pub(super) struct Counting {
    inner: File,
    read: Arc<AtomicU64>,
    /// Until the end is reached and checked.
    hash: Option<Sha256>,
    total: u64,
    hashed: String,
    hashed_len: u64,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        self.total += n as u64;
        if let Some(h) = &mut self.hash {
            h.update(&buf[..n]);
            if n == 0 && !buf.is_empty() {
                let read = hex(&self.hash.take().expect("checked above").finalize());
                if read != self.hashed {
                    return Err(std::io::Error::other(format!(
                        "it changed while Billfold read it: {} bytes when it was hashed, {} \
                         bytes read{}; import it again once nothing writes to it",
                        self.hashed_len,
                        self.total,
                        if self.total == self.hashed_len {
                            ", not the same"
                        } else {
                            ""
                        }
                    )));
                }
            }
        }
        Ok(n)
    }
}

/// Keeps a copy of the bytes the CSV reader reads, so that the records' own bytes can be stored
/// beside the lines made from them ([`Chunker`]) and their line numbers told ([`record_line`]).
pub struct Tee<R> {
    pub(super) inner: R,
    pub(super) kept: Vec<u8>,
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
pub(super) struct Chunker {
    pub(super) start: u64,
    /// The physical line of the chunk's first record, once it is read.
    first_line: Option<u64>,
}

impl Chunker {
    /// Starts at the reader's position (the first record after the header).
    pub(super) fn begin<R: Read>(rdr: &mut csv::Reader<Tee<R>>) -> Self {
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
    pub(super) fn line_of<R: Read>(
        &mut self,
        rdr: &csv::Reader<Tee<R>>,
        pos: &csv::Position,
    ) -> u64 {
        let line = record_line(pos, &rdr.get_ref().kept, self.start);
        self.first_line.get_or_insert(line);
        line
    }

    /// Drops the bytes read since the last cut (nothing is built from them).
    pub(super) fn skip<R: Read>(&mut self, rdr: &mut csv::Reader<Tee<R>>) {
        let pos = rdr.position().clone();
        let tee = rdr.get_mut();
        let len = ((pos.byte() - self.start) as usize).min(tee.kept.len());
        tee.kept.drain(..len);
        self.start = pos.byte();
        self.first_line = None;
    }

    /// The records read since the last cut, compressed into `buffer` (reused, for its capacity);
    /// `last_line` is where the last starts.
    pub(super) fn cut<R: Read>(
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
pub(super) fn compress_prepend_size(input: &[u8], mut out: Vec<u8>) -> Vec<u8> {
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

/// The reader of a file's CSV text, judged by its first bytes: gzip is decompressed; a zip
/// archive is refused with a sentence saying what to do (Tencent and Huawei deliver bills to
/// object storage zipped, and an Excel workbook is a zip archive too).
pub(super) fn decoded<R: Read + Send + 'static>(
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

/// The CSV reader of every import (and of the benchmark's passes over a file).
pub fn csv_reader<R: Read>(reader: R) -> csv::Reader<R> {
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
/// offset `kept_from` on (to tell the physical line, see [`record_line`]); `header` names the
/// columns, once it is known (empty before).
pub(super) fn csv_problem(
    e: &csv::Error,
    kept: &[u8],
    kept_from: u64,
    header: &[String],
) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { pos, err } => {
            let line = pos.as_ref().map_or(0, |p| record_line(p, kept, kept_from));
            let value = pos.as_ref().and_then(|p| {
                let from = p.byte().saturating_sub(kept_from) as usize;
                raw_field(kept.get(from..)?, err.field())
            });
            let at = match (header.get(err.field()), value) {
                (Some(column), Some(value)) => {
                    format!("line {line}, column {column}: '{value}' is not UTF-8 text")
                }
                _ => format!("line {line}: the text is not UTF-8"),
            };
            format!(
                "{at}: expected a UTF-8 CSV file (re-export it as UTF-8, or convert it, e.g. \
                 from GBK)"
            )
        }
        csv::ErrorKind::Io(io) => format!("the file cannot be read ({io})"),
        _ => format!("the file is not valid CSV ({e})"),
    }
}

/// Field `field` of the record that starts `bytes`, its bytes that are not UTF-8 written
/// `\xNN`.
fn raw_field(bytes: &[u8], field: usize) -> Option<String> {
    let mut record = csv::ByteRecord::new();
    csv_reader(bytes).read_byte_record(&mut record).ok()?;
    let mut shown = String::new();
    for chunk in record.get(field)?.utf8_chunks() {
        shown.push_str(chunk.valid());
        for b in chunk.invalid() {
            shown.push_str(&format!("\\x{b:02X}"));
        }
    }
    Some(shown)
}
