//! Line numbers of imported records, on generated files of every shape real exports take: a
//! BOM, a title line above the header, `\n`, `\r\n` or mixed line ends, `\r\r\n`, blank lines,
//! whitespace-only lines, quoted values spanning lines, with or without a final line end, one
//! chunk or several. Each line must keep the physical line its record starts on and find its
//! original row there — in a new import, and in a ledger of schema 6 (numbered the way the CSV
//! reader reported lines) once schema 7 has renumbered it.

use billfold::import::{self, Format, Options};
use billfold::{store, time};
use rusqlite::Connection;

/// A small deterministic generator (xorshift).
struct Gen(u64);

impl Gen {
    fn pick(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const HEADER: &str = "BillingAccountId,BillingCurrency,BillingPeriodStart,ChargeCategory,BilledCost,EffectiveCost,ProviderName,ChargeDescription";

#[derive(Clone, Copy, Debug)]
struct Shape {
    bom: bool,
    title: bool,
    /// Out of 4 line ends, how many are `\r\n` (the others `\n`).
    crlf_in_4: u64,
    crcrlf: bool,
    blanks: bool,
    whitespace: bool,
    multiline: bool,
    final_newline: bool,
}

fn shapes() -> Vec<Shape> {
    (0..256u32)
        .map(|bits| {
            let b = |k: u32| bits & (1 << k) != 0;
            Shape {
                bom: b(0),
                title: b(1),
                crlf_in_4: if b(2) {
                    4
                } else if b(3) {
                    2
                } else {
                    0
                },
                crcrlf: b(4) && b(5),
                blanks: b(4),
                whitespace: b(5),
                multiline: b(6),
                final_newline: b(7),
            }
        })
        .collect()
}

/// A record of a generated file: its physical line, billed cost and description.
struct Row {
    line: u64,
    billed: String,
    description: String,
}

/// A generated file, its rows, and the physical lines of its whitespace-only lines (records
/// that make no line).
fn generate(seed: u64, rows: usize, s: Shape) -> (Vec<u8>, Vec<Row>, Vec<u64>) {
    let mut g = Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out: Vec<u8> = Vec::new();
    let mut expected = Vec::new();
    let mut spaces = Vec::new();
    let end = |g: &mut Gen| -> &'static [u8] {
        if s.crcrlf && g.pick(20) == 0 {
            b"\r\r\n"
        } else if g.pick(4) < s.crlf_in_4 {
            b"\r\n"
        } else {
            b"\n"
        }
    };
    if s.bom {
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    if s.title {
        out.extend_from_slice(b"Bill details, exported 2025-02-01");
        out.extend_from_slice(end(&mut g));
    }
    out.extend_from_slice(HEADER.as_bytes());
    out.extend_from_slice(end(&mut g));
    for i in 0..rows {
        if s.blanks && g.pick(7) == 0 {
            for _ in 0..=g.pick(3) {
                out.extend_from_slice(end(&mut g));
            }
        }
        if s.whitespace && g.pick(11) == 0 {
            spaces.push(out.iter().filter(|&&b| b == b'\n').count() as u64 + 1);
            out.extend_from_slice(b"   ");
            out.extend_from_slice(end(&mut g));
        }
        let (written, description) = match if s.multiline { g.pick(5) } else { 0 } {
            1 => ("\"two\r\nlines\"".to_string(), "two\r\nlines".to_string()),
            2 => ("\"two\nlines\"".to_string(), "two\nlines".to_string()),
            3 => ("\"\n\r\n\"".to_string(), "\n\r\n".to_string()),
            4 => (String::new(), String::new()),
            _ => (format!("row {i}"), format!("row {i}")),
        };
        let line = out.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let billed = (i + 1).to_string();
        out.extend_from_slice(
            format!("a1,USD,2025-01-01T00:00:00Z,Usage,{billed},{billed},P,{written}").as_bytes(),
        );
        expected.push(Row {
            line,
            billed,
            description,
        });
        if i + 1 < rows || s.final_newline {
            out.extend_from_slice(end(&mut g));
        }
    }
    (out, expected, spaces)
}

fn opts() -> Options {
    Options {
        format: Format::Auto,
        at: time::parse("2025-03-01T00:00:00Z").unwrap(),
        progress: false,
        settle: false,
        currency: None,
        expect_sha256: None,
    }
}

fn column(conn: &Connection, sql: &str) -> Vec<i64> {
    let mut stmt = conn.prepare(sql).unwrap();
    let rows = stmt.query_map([], |r| r.get(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

fn check(conn: &Connection, rows: &[Row], what: &str) {
    let got = column(conn, "SELECT source_line FROM cost_lines ORDER BY id");
    let want: Vec<i64> = rows.iter().map(|r| r.line as i64).collect();
    if let Some(i) = got.iter().zip(&want).position(|(a, b)| a != b) {
        panic!(
            "{what}: row {i} is numbered {} instead of {}",
            got[i], want[i]
        );
    }
    assert_eq!(got.len(), want.len(), "{what}");
    // Every row of a small file; of a large one, the first and last few of each chunk (2,048
    // lines) and a sample between (reading a row back parses its chunk up to it).
    let sampled = rows.iter().enumerate().filter(|(k, _)| {
        rows.len() <= 100
            || k % 2048 < 3
            || k % 2048 > 2044
            || k == &(rows.len() - 1)
            || k % 211 == 0
    });
    for (_, r) in sampled {
        let rec = import::original_record(conn, 1, r.line)
            .unwrap_or_else(|e| panic!("{what}: line {}: {}", r.line, e.message));
        assert_eq!(
            (&rec[4], &rec[7]),
            (&r.billed, &r.description),
            "{what}: line {}",
            r.line
        );
    }
}

#[test]
fn every_shape_of_file_keeps_the_physical_lines() {
    for (n, s) in shapes().into_iter().enumerate() {
        let (bytes, rows, _) = generate(n as u64 + 1, 40, s);
        let mut conn = store::open_in_memory().unwrap();
        import::import_bytes(&mut conn, "g.csv", &bytes, &opts())
            .unwrap_or_else(|e| panic!("shape {n} {s:?}: {}", e.message));
        check(&conn, &rows, &format!("shape {n} {s:?}"));
    }
}

#[test]
fn files_of_several_chunks_keep_the_physical_lines() {
    for (n, s) in shapes().into_iter().enumerate().step_by(61) {
        let (bytes, rows, _) = generate(n as u64 + 1000, 2100, s);
        let mut conn = store::open_in_memory().unwrap();
        import::import_bytes(&mut conn, "g.csv", &bytes, &opts())
            .unwrap_or_else(|e| panic!("shape {n} {s:?}: {}", e.message));
        let chunks = column(&conn, "SELECT first_line FROM import_chunks");
        assert!(chunks.len() >= 2, "{chunks:?}");
        check(&conn, &rows, &format!("shape {n} {s:?}"));
    }
}

/// Rewrites a ledger's line numbers the way schema 6 wrote them — each record's line as the CSV
/// reader reported it, each chunk's first line where its first byte is (the reported line of
/// its first record) — and marks it schema 6.
fn number_like_schema_6(conn: &Connection, bytes: &[u8], rows: &[Row], spaces: &[u64]) {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rec = csv::StringRecord::new();
    let mut reported = Vec::new();
    let mut header_seen = false;
    while rdr.read_record(&mut rec).unwrap() {
        if !header_seen {
            header_seen = rec.get(0).unwrap().ends_with("BillingAccountId");
            continue;
        }
        reported.push(rec.position().unwrap().line() as i64);
    }
    // The records in file order: the rows and the whitespace-only lines.
    let mut records: Vec<(u64, bool)> = rows.iter().map(|r| (r.line, true)).collect();
    records.extend(spaces.iter().map(|&l| (l, false)));
    records.sort();
    assert_eq!(reported.len(), records.len());
    let old = |physical: i64| {
        let k = records.iter().position(|r| r.0 as i64 == physical).unwrap();
        reported[k]
    };
    let reported_rows: Vec<i64> = records
        .iter()
        .zip(&reported)
        .filter(|(r, _)| r.1)
        .map(|(_, &l)| l)
        .collect();
    let ids = column(conn, "SELECT id FROM cost_lines ORDER BY id");
    let chunks = column(conn, "SELECT id FROM import_chunks ORDER BY first_line");
    let tx = conn.unchecked_transaction().unwrap();
    for (id, line) in ids.iter().zip(&reported_rows) {
        tx.execute(
            "UPDATE cost_lines SET source_line = ?2 WHERE id = ?1",
            [id, line],
        )
        .unwrap();
    }
    for id in chunks {
        let (first, last): (i64, i64) = tx
            .query_row(
                "SELECT first_line, last_line FROM import_chunks WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        tx.execute(
            "UPDATE import_chunks SET first_line = ?2, last_line = ?3 WHERE id = ?1",
            [id, old(first), old(last)],
        )
        .unwrap();
    }
    // What schema 8 added, which a schema-6 ledger has not.
    tx.execute_batch("ALTER TABLE bill_settlements DROP COLUMN named")
        .unwrap();
    tx.pragma_update(None, "user_version", 6).unwrap();
    tx.commit().unwrap();
}

#[test]
fn a_schema_6_ledger_is_renumbered_to_the_physical_lines() {
    let dir = tempfile::tempdir().unwrap();
    let shapes: Vec<(usize, Shape)> = shapes().into_iter().enumerate().step_by(9).collect();
    for (k, (n, s)) in shapes.into_iter().enumerate() {
        let rows_in_file = if k % 6 == 0 { 2100 } else { 60 };
        let (bytes, rows, spaces) = generate(n as u64 + 7, rows_in_file, s);
        let path = dir.path().join(format!("l{n}.sqlite"));
        {
            let mut conn = store::open(&path).unwrap();
            import::import_bytes(&mut conn, "g.csv", &bytes, &opts()).unwrap();
            number_like_schema_6(&conn, &bytes, &rows, &spaces);
        }
        let conn = store::open(&path).unwrap();
        check(&conn, &rows, &format!("shape {n} {s:?}"));
    }
}

/// An `\n` line above a record that ends in `\r\n`: reading that record consumes no `\n`, so
/// schema 6 gave it the same number as the record after it (2 and 2: checked with the schema-6
/// binary). Matched by id, each gets its own line.
#[test]
fn records_that_shared_an_old_number_are_told_apart() {
    let bytes = format!("{HEADER}\na1,USD,2025-01-01T00:00:00Z,Usage,1,1,P,first\r\na1,USD,2025-01-01T00:00:00Z,Usage,2,2,P,second\r\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    {
        let mut conn = store::open(&path).unwrap();
        import::import_bytes(&mut conn, "g.csv", bytes.as_bytes(), &opts()).unwrap();
        conn.execute_batch(
            "UPDATE cost_lines SET source_line = 2;
             UPDATE import_chunks SET first_line = 2, last_line = 2;
             ALTER TABLE bill_settlements DROP COLUMN named; -- schema 8's
             PRAGMA user_version = 6;",
        )
        .unwrap();
    }
    let conn = store::open(&path).unwrap();
    let rows = [("1", "first", 2), ("2", "second", 3)].map(|(billed, d, line)| Row {
        line,
        billed: billed.into(),
        description: d.into(),
    });
    check(&conn, &rows, "shared number");
}
