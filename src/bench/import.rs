//! The import benchmark (issue 3): a generated FOCUS 1.2 file with all 57 columns, imported
//! into a fresh ledger file in one run with `sqlite3 .import` of the same file for comparison.
//!
//! Run it with `billfold bench import --rows 1000000` (release build), or
//! `cargo test --release --test import_bench -- --ignored --nocapture`.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::Serialize;

use super::generate::generate_focus_12;
use super::{cpu_secs, machine, status_kib, TempDir};
use crate::costs::{group_costs, CostFilter, GroupBy};
use crate::error::{Error, Result};
use crate::import::focus::FOCUS_12_COLUMNS;
use crate::import::{check_reader, import_file, Format, Options};

/// The figures of one benchmark run.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub rows: u64,
    pub columns: usize,
    pub file_bytes: u64,
    pub machine: String,
    pub import_secs: f64,
    pub rows_per_sec: f64,
    /// CPU seconds (user + system, both threads) the import used: the figure that does not
    /// depend on what else the machine is doing.
    pub import_cpu_secs: f64,
    /// Reading, parsing and checking the file without writing (`import::check_reader`).
    pub parse_only_secs: f64,
    /// SQLite alone writing the imported lines again, one row per line, into a fresh ledger
    /// ([`store_floor`]): wall, CPU seconds. What storing a row per line costs at the least.
    pub store_floor_secs: (f64, f64),
    /// One pass over the file each, from the page cache, doing nothing else ([`passes`]).
    pub passes: Passes,
    /// Resident set size before the import, and the peak during it (KiB).
    pub rss_before_kib: u64,
    pub rss_peak_kib: u64,
    pub rss_growth_mib: f64,
    pub db_bytes: u64,
    /// `costs --group-by month,service` on the imported ledger (rollups), milliseconds.
    pub costs_month_service_ms: f64,
    /// `sqlite3 :memory:` `.import` of the same file into an untyped table: wall, CPU seconds.
    pub sqlite3_memory_secs: Option<(f64, f64)>,
    /// `sqlite3 FILE` `.import` of the same file into an untyped table of a fresh database.
    pub sqlite3_file_secs: Option<(f64, f64)>,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "machine: {}", self.machine)?;
        writeln!(
            f,
            "file: {} rows x {} columns, {:.1} MB (FOCUS 1.2)",
            self.rows,
            self.columns,
            self.file_bytes as f64 / 1e6
        )?;
        writeln!(
            f,
            "billfold import: {:.2} s, {:.0} rows/s; {:.2} CPU s, {:.0} rows per CPU second; peak RSS growth {:.1} MiB ({} -> {} KiB), ledger {:.1} MB",
            self.import_secs,
            self.rows_per_sec,
            self.import_cpu_secs,
            self.rows as f64 / self.import_cpu_secs,
            self.rss_growth_mib,
            self.rss_before_kib,
            self.rss_peak_kib,
            self.db_bytes as f64 / 1e6
        )?;
        writeln!(
            f,
            "parse and check only (no database): {:.2} s, {:.0} rows/s",
            self.parse_only_secs,
            self.rows as f64 / self.parse_only_secs
        )?;
        writeln!(
            f,
            "SQLite alone writing the lines again from memory (one row per line, nothing else): {:.2} s, {:.2} CPU s",
            self.store_floor_secs.0, self.store_floor_secs.1
        )?;
        writeln!(
            f,
            "one pass over the file each, nothing else: CSV records split {:.2} s, SHA-256 {:.2} s, LZ4 of its bytes {:.2} s",
            self.passes.csv_split_secs, self.passes.sha256_secs, self.passes.lz4_secs
        )?;
        writeln!(
            f,
            "costs --group-by month,service: {:.2} ms",
            self.costs_month_service_ms
        )?;
        for (what, s) in [
            ("sqlite3 :memory: .import", self.sqlite3_memory_secs),
            ("sqlite3 file .import", self.sqlite3_file_secs),
        ] {
            match s {
                Some((s, cpu)) => writeln!(
                    f,
                    "{what}: {s:.2} s, {:.0} rows/s; {cpu:.2} CPU s, {:.0} rows per CPU second",
                    self.rows as f64 / s,
                    self.rows as f64 / cpu
                )?,
                None => writeln!(f, "{what}: not run")?,
            }
        }
        Ok(())
    }
}

/// What the import's passes over the bytes cost alone, whatever is done with the values: the
/// least any import of the file pays on this machine before a value is checked or stored.
#[derive(Debug, Clone, Serialize)]
pub struct Passes {
    /// The CSV reader the import uses, splitting the records into fields (no UTF-8 check).
    pub csv_split_secs: f64,
    /// The SHA-256 an import takes of the file (`import::Opened::hash`).
    pub sha256_secs: f64,
    /// LZ4 of the file's bytes in 1 MiB blocks, as the original rows are kept.
    pub lz4_secs: f64,
}

/// Times [`Passes`] over `file`, each a read of the whole file (from the page cache).
fn passes(file: &Path) -> Result<Passes> {
    let start = Instant::now();
    let mut rdr = crate::import::csv_reader(std::fs::File::open(file)?);
    let mut rec = csv::ByteRecord::new();
    let mut fields = 0usize;
    while rdr
        .read_byte_record(&mut rec)
        .map_err(|e| Error::invalid(format!("the benchmark's file is not CSV: {e}")))?
    {
        fields += rec.len();
    }
    let csv_split_secs = start.elapsed().as_secs_f64();
    debug_assert!(fields > 0);
    let start = Instant::now();
    let opened = crate::import::Opened::hash(file)?;
    let sha256_secs = start.elapsed().as_secs_f64();
    debug_assert!(opened.size > 0);
    let start = Instant::now();
    let mut f = std::fs::File::open(file)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut compressed = 0usize;
    loop {
        let n = std::io::Read::read(&mut f, &mut buf)?;
        if n == 0 {
            break;
        }
        compressed += lz4_flex::block::compress(&buf[..n]).len();
    }
    let lz4_secs = start.elapsed().as_secs_f64();
    debug_assert!(compressed > 0);
    Ok(Passes {
        csv_split_secs,
        sha256_secs,
        lz4_secs,
    })
}

/// What storing one SQLite row per line costs at the least: the lines of the benchmark's
/// ledger (`from`), first loaded into an in-memory table, then written into the `cost_lines` of
/// a fresh ledger by SQLite alone, in one transaction set up as an import's is (rollback
/// journal, 16 MB page cache, no foreign-key checks); only that write is timed. No parsing, no
/// binding, no index entries or facts: only the rows and the table's own index. The `WHERE`
/// keeps SQLite from copying the records verbatim (its transfer optimization), so each row is
/// decoded from memory, encoded and inserted as an import's would be.
fn store_floor(from: &Path, dir: &Path) -> Result<(f64, f64)> {
    let path = dir.join("bench-floor.sqlite");
    let remove = || {
        for ext in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
    };
    remove();
    let conn = crate::store::open(&path)?;
    conn.pragma_update(None, "journal_mode", "DELETE")?;
    conn.pragma_update(None, "foreign_keys", false)?;
    conn.pragma_update(None, "cache_size", -crate::import::IMPORT_CACHE_KIB)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.execute("ATTACH DATABASE ?1 AS bench", [from.display().to_string()])?;
    conn.execute_batch(
        "CREATE TEMP TABLE lines AS SELECT * FROM bench.cost_lines ORDER BY id;
         DETACH DATABASE bench;",
    )?;
    let cpu0 = cpu_secs().0;
    let start = Instant::now();
    conn.execute_batch(
        "BEGIN; INSERT INTO main.cost_lines SELECT * FROM temp.lines WHERE id > 0; COMMIT;",
    )?;
    let secs = (start.elapsed().as_secs_f64(), cpu_secs().0 - cpu0);
    let (copied, loaded): (i64, i64) = conn.query_row(
        "SELECT (SELECT count(*) FROM main.cost_lines), (SELECT count(*) FROM temp.lines)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if copied != loaded {
        return Err(Error::invalid(format!(
            "the store floor wrote {copied} lines of {loaded}"
        )));
    }
    drop(conn);
    remove();
    Ok(secs)
}

fn sqlite3_import(db: &str, file: &Path) -> Option<(f64, f64)> {
    let cpu0 = cpu_secs().1;
    let wall = sqlite3_run(db, file)?;
    Some((wall, cpu_secs().1 - cpu0))
}

fn sqlite3_run(db: &str, file: &Path) -> Option<f64> {
    let script = format!(".mode csv\n.import '{}' focus\n", file.display());
    let start = Instant::now();
    let mut child = Command::new("sqlite3")
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(script.as_bytes()).ok()?;
    let ok = child.wait().ok()?.success();
    ok.then(|| start.elapsed().as_secs_f64())
}

/// Generates the file in `dir` (a temporary directory when `None`), imports it, and compares.
pub fn run(rows: u64, dir: Option<&Path>, with_sqlite3: bool) -> Result<BenchReport> {
    let tmp;
    let dir: PathBuf = match dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.to_path_buf()
        }
        None => {
            tmp = TempDir::new()?;
            tmp.0.clone()
        }
    };
    let file = dir.join(format!("focus-1.2-{rows}.csv"));
    generate_focus_12(std::fs::File::create(&file)?, rows)?;
    let file_bytes = std::fs::metadata(&file)?.len();
    let db_path = dir.join("bench-ledger.sqlite");
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db_path.display()));
    }
    let mut conn = crate::store::open(&db_path)?;
    // Reset the peak RSS so it measures the import only (Linux: "5" clears VmHWM).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss_before = status_kib("VmRSS:");
    let opts = Options {
        format: Format::Auto,
        at: crate::time::parse("2026-06-01T00:00:00Z")?,
        progress: false,
        settle: false,
        currency: None,
        expect_sha256: None,
    };
    let cpu0 = cpu_secs().0;
    let start = Instant::now();
    let report = import_file(&mut conn, &file, &opts)?;
    let import_secs = start.elapsed().as_secs_f64();
    let import_cpu_secs = cpu_secs().0 - cpu0;
    let rss_peak = status_kib("VmHWM:");
    if report.rows != rows {
        return Err(Error::invalid(format!(
            "the benchmark imported {} rows of {rows}",
            report.rows
        )));
    }
    let start = Instant::now();
    let checked = check_reader(
        std::io::BufReader::new(std::fs::File::open(&file)?),
        "bench",
        Format::Focus,
    )?;
    let parse_only_secs = start.elapsed().as_secs_f64();
    debug_assert_eq!(checked, rows);
    let passes = passes(&file)?;
    let start = Instant::now();
    let groups = group_costs(
        &conn,
        &CostFilter::default(),
        &[GroupBy::Month, GroupBy::Service],
    )?;
    let costs_ms = start.elapsed().as_secs_f64() * 1e3;
    debug_assert!(!groups.is_empty());
    drop(conn);
    let db_bytes = ["", "-wal"]
        .iter()
        .filter_map(|e| std::fs::metadata(format!("{}{e}", db_path.display())).ok())
        .map(|m| m.len())
        .sum();
    let store_floor_secs = store_floor(&db_path, &dir)?;
    let (mem, disk) = if with_sqlite3 {
        let sq_db = dir.join("bench-sqlite3.db");
        let _ = std::fs::remove_file(&sq_db);
        let mem = sqlite3_import(":memory:", &file);
        let disk = sqlite3_import(&sq_db.display().to_string(), &file);
        let _ = std::fs::remove_file(&sq_db);
        (mem, disk)
    } else {
        (None, None)
    };
    Ok(BenchReport {
        rows,
        columns: FOCUS_12_COLUMNS.len(),
        file_bytes,
        machine: machine(),
        import_secs,
        rows_per_sec: rows as f64 / import_secs,
        parse_only_secs,
        store_floor_secs,
        passes,
        import_cpu_secs,
        rss_before_kib: rss_before,
        rss_peak_kib: rss_peak,
        rss_growth_mib: rss_peak.saturating_sub(rss_before) as f64 / 1024.0,
        db_bytes,
        costs_month_service_ms: costs_ms,
        sqlite3_memory_secs: mem,
        sqlite3_file_secs: disk,
    })
}
