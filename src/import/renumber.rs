//! Schema 7: renumbers the lines of files imported before it by their physical lines (see
//! `store/migrations/0007_physical_source_lines.sql` for why they were off).
//!
//! A line is matched to its record by id, not by its old number: two records could share an
//! old number (a `\n` line above a record ending in `\r\n`: reading that record consumed no
//! `\n`). An import writes its lines with consecutive ids in file order, one per record except
//! blank ones, so the k-th record of a file is the line with id `first + k`, even after a later
//! file replaced some of its slices (their lines are gone, the others keep their ids).

use rusqlite::{params, Transaction};

use super::{csv_reader, record_line};
use crate::error::Result;

/// One record of an imported file: the line the CSV reader reported, and its physical line.
struct Record {
    reported: i64,
    physical: i64,
}

/// Shifts every imported line's `source_line` from the line the CSV reader reported to its
/// physical line, and sets each chunk's first and last lines to its first and last records'
/// physical lines. An import whose lines cannot be matched to its records for certain (a chunk
/// that does not decompress, ids not in file order) is left as it was.
pub(crate) fn renumber_source_lines(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(
        "CREATE TEMP TABLE renumbered (id INTEGER PRIMARY KEY, line INTEGER NOT NULL)",
    )?;
    // Each import's lines lie between its smallest and largest id: one scan of the lines here,
    // then a range of ids per import.
    let ranges: Vec<(i64, i64, i64)> = {
        let mut stmt = tx.prepare(
            "SELECT import_id, MIN(id), MAX(id) FROM cost_lines
             WHERE import_id IS NOT NULL GROUP BY import_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut chunk_lines: Vec<(i64, i64, i64)> = Vec::new();
    for (import_id, min_id, max_id) in ranges {
        let Some((records, chunks)) = read_records(tx, import_id)? else {
            continue;
        };
        if records.iter().all(|r| r.reported == r.physical) {
            continue; // `\n` line ends and no blank lines: already right
        }
        let lines: Vec<(i64, i64)> = {
            let mut stmt = tx.prepare(
                "SELECT id, source_line FROM cost_lines
                 WHERE id BETWEEN ?1 AND ?2 AND import_id = ?3 ORDER BY id",
            )?;
            let rows = stmt.query_map(params![min_id, max_id, import_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let Some(first_id) = first_id(&records, &lines) else {
            continue;
        };
        let mut add = tx.prepare("INSERT INTO temp.renumbered (id, line) VALUES (?1, ?2)")?;
        for &(id, line) in &lines {
            let physical = records[(id - first_id) as usize].physical;
            if physical != line {
                add.execute(params![id, physical])?;
            }
        }
        chunk_lines.extend(chunks);
    }
    tx.execute(
        "UPDATE cost_lines SET source_line = r.line FROM temp.renumbered r
         WHERE cost_lines.id = r.id",
        [],
    )?;
    // Highest first: a chunk's new first line may be above its old one, never above the next
    // chunk's new one.
    chunk_lines.sort_by_key(|&(_, first, _)| std::cmp::Reverse(first));
    let mut set =
        tx.prepare("UPDATE import_chunks SET first_line = ?2, last_line = ?3 WHERE id = ?1")?;
    for (id, first, last) in chunk_lines {
        set.execute(params![id, first, last])?;
    }
    tx.execute_batch("DROP TABLE temp.renumbered")?;
    Ok(())
}

/// The non-blank records of an import's kept bytes in file order (the ones that became lines),
/// and each chunk's (id, first, last) physical lines; `None` when a chunk does not decompress.
#[allow(clippy::type_complexity)]
fn read_records(
    tx: &Transaction<'_>,
    import_id: i64,
) -> Result<Option<(Vec<Record>, Vec<(i64, i64, i64)>)>> {
    let mut stmt = tx.prepare(
        "SELECT id, first_line, data FROM import_chunks WHERE import_id = ?1 ORDER BY first_line",
    )?;
    let mut rows = stmt.query(params![import_id])?;
    let (mut records, mut chunks) = (Vec::new(), Vec::new());
    while let Some(r) = rows.next()? {
        let (id, first_byte_line): (i64, i64) = (r.get(0)?, r.get(1)?);
        let Ok(bytes) = lz4_flex::decompress_size_prepended(&r.get::<_, Vec<u8>>(2)?) else {
            return Ok(None);
        };
        // Before schema 7 a chunk's first line was where its first byte is: the reader's line 1.
        let mut rdr = csv_reader(bytes.as_slice());
        let mut rec = csv::StringRecord::new();
        // As an import writes them: the first line of the chunk's first record, blank or not
        // (`original_record` counts from it), and the last line that was written.
        let (mut first, mut last) = (None, None);
        while let Ok(true) = rdr.read_record(&mut rec) {
            let Some(p) = rec.position() else { continue };
            let in_chunk = record_line(p, &bytes, 0);
            let physical = first_byte_line + in_chunk as i64 - 1;
            first.get_or_insert(physical);
            // A blank record (only spaces) made no line: the same test as `parse_records`.
            if rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim().is_empty()) {
                continue;
            }
            records.push(Record {
                reported: first_byte_line + p.line() as i64 - 1,
                physical,
            });
            last = Some(physical);
        }
        if let (Some(first), Some(last)) = (first, last) {
            chunks.push((id, first, last));
        }
    }
    Ok(Some((records, chunks)))
}

/// The id of the line of the file's first record: found from a line whose old number only one
/// record carries (or, when there is none, from a file none of whose lines was deleted), then
/// checked against every line. `None` if the lines do not match.
fn first_id(records: &[Record], lines: &[(i64, i64)]) -> Option<i64> {
    // Old numbers never decrease in file order: the records carrying one are a run, found by
    // binary search (no map of a million numbers).
    let carriers = |line: i64| {
        let from = records.partition_point(|r| r.reported < line);
        let to = records.partition_point(|r| r.reported <= line);
        (from, to - from)
    };
    let first = lines
        .iter()
        .find_map(|&(id, line)| match carriers(line) {
            (k, 1) => Some(id - k as i64),
            _ => None,
        })
        // Every old number shared (a tiny file): if no line was deleted, the first is the first.
        .or_else(|| {
            (lines.len() == records.len())
                .then(|| lines.first().map(|l| l.0))
                .flatten()
        })?;
    let matches = lines.iter().all(|&(id, line)| {
        usize::try_from(id - first)
            .ok()
            .and_then(|k| records.get(k))
            .is_some_and(|r| r.reported == line)
    });
    matches.then_some(first)
}
