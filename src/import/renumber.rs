//! Schema 7: renumbers the lines of files imported before it by their physical lines (see
//! `store/migrations/0007_physical_source_lines.sql` for why they were off).

use rusqlite::{params, Transaction};

use super::{csv_reader, record_line};
use crate::error::Result;

/// Shifts every imported line's `source_line` from the line the CSV reader reported to its
/// physical line, and sets each chunk's first and last lines likewise, reading the chunks back.
/// Lines that were already right (files with `\n` line ends and no blank lines) are left alone.
pub(crate) fn renumber_source_lines(tx: &Transaction<'_>) -> Result<()> {
    // From each reported line `reported_from` on (until the next row), an import's lines
    // move down by `shift`.
    tx.execute_batch(
        "CREATE TEMP TABLE line_shifts (
             import_id     INTEGER NOT NULL,
             reported_from INTEGER NOT NULL,
             shift         INTEGER NOT NULL,
             PRIMARY KEY (import_id, reported_from)
         ) WITHOUT ROWID",
    )?;
    let mut chunk_lines: Vec<(i64, i64, i64)> = Vec::new();
    {
        let mut add_shift =
            tx.prepare("INSERT OR REPLACE INTO temp.line_shifts VALUES (?1, ?2, ?3)")?;
        let mut chunks = tx.prepare(
            "SELECT id, import_id, first_line, data FROM import_chunks ORDER BY import_id, first_line",
        )?;
        let mut rows = chunks.query([])?;
        let mut last: Option<(i64, i64)> = None; // the import and shift of the last row added
        while let Some(r) = rows.next()? {
            let (id, import_id, first_byte_line): (i64, i64, i64) =
                (r.get(0)?, r.get(1)?, r.get(2)?);
            let data: Vec<u8> = r.get(3)?;
            // A chunk that does not decompress is left as it is: reading its rows back
            // reports the damage, as before.
            let Ok(bytes) = lz4_flex::decompress_size_prepended(&data) else {
                continue;
            };
            let mut rdr = csv_reader(bytes.as_slice());
            let mut rec = csv::ByteRecord::new();
            let (mut first, mut last_line) = (None, 0);
            while let Ok(true) = rdr.read_byte_record(&mut rec) {
                let Some(p) = rec.position() else { continue };
                // The chunk's first byte is on `first_byte_line`, the reader's line 1.
                let reported = first_byte_line + p.line() as i64 - 1;
                let physical = first_byte_line
                    + record_line(p.line(), bytes.get(p.byte() as usize..).unwrap_or_default())
                        as i64
                    - 1;
                let shift = physical - reported;
                if last != Some((import_id, shift)) {
                    add_shift.execute(params![import_id, reported, shift])?;
                    last = Some((import_id, shift));
                }
                first.get_or_insert(physical);
                last_line = physical;
            }
            if let Some(first) = first {
                chunk_lines.push((id, first, last_line));
            }
        }
    }
    let mut set =
        tx.prepare("UPDATE import_chunks SET first_line = ?2, last_line = ?3 WHERE id = ?1")?;
    // Highest first: a chunk's new first line may be the old first line of the next one.
    for (id, first, last) in chunk_lines.into_iter().rev() {
        set.execute(params![id, first, last])?;
    }
    // One statement: each line is shifted once, by the row of its reported line.
    tx.execute(
        "UPDATE cost_lines SET source_line = source_line + COALESCE((
             SELECT s.shift FROM temp.line_shifts s
             WHERE s.import_id = cost_lines.import_id AND s.reported_from <= cost_lines.source_line
             ORDER BY s.reported_from DESC LIMIT 1), 0)
         WHERE import_id IN (SELECT import_id FROM temp.line_shifts WHERE shift <> 0)",
        [],
    )?;
    tx.execute_batch("DROP TABLE temp.line_shifts")?;
    Ok(())
}
