//! The import benchmark (issue 3): a generated FOCUS 1.2 file with all 57 columns, imported
//! into a fresh ledger file in one run with `sqlite3 .import` of the same file for comparison.
//!
//! Run it with `billfold bench import --rows 1000000` (release build), or
//! `cargo test --release --test import_bench -- --ignored --nocapture`.

use std::fmt;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::Serialize;

use super::focus::FOCUS_12_COLUMNS;
use super::{import_file, Format, Options};
use crate::costs::{group_costs, CostFilter, GroupBy};
use crate::error::{Error, Result};

/// A small deterministic generator (no dependency, same file every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const SERVICES: [(&str, &str); 8] = [
    ("Amazon Elastic Compute Cloud", "Compute"),
    ("Amazon Simple Storage Service", "Storage"),
    ("Amazon Relational Database Service", "Databases"),
    ("AWS Lambda", "Compute"),
    ("Amazon CloudFront", "Networking"),
    ("Amazon DynamoDB", "Databases"),
    ("Amazon Elastic Kubernetes Service", "Compute"),
    ("AWS Key Management Service", "Security"),
];
const REGIONS: [&str; 5] = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-northeast-1",
];

/// Lines a resource has in a month, on average, in generated files: a resource billed a few
/// usage types a day (real exports have one line per resource, usage type and hour or day).
pub const LINES_PER_RESOURCE_MONTH: u64 = 240;

/// Writes `rows` lines of a FOCUS 1.2 cost-and-usage file (all 57 columns, header first):
/// 3 months (2026-01 to 2026-03), see [`generate_focus_12_months`].
pub fn generate_focus_12(out: impl Write, rows: u64) -> std::io::Result<()> {
    generate_focus_12_months(out, rows, &["2026-01", "2026-02", "2026-03"], 0x5eed)
}

/// The month after `YYYY-MM`.
fn next_month(m: &str) -> String {
    let (y, mo) = m.split_once('-').unwrap_or(("2026", "01"));
    let (y, mo): (i32, u32) = (y.parse().unwrap_or(2026), mo.parse().unwrap_or(1));
    if mo == 12 {
        format!("{:04}-01", y + 1)
    } else {
        format!("{y:04}-{:02}", mo + 1)
    }
}

/// Writes `rows` lines of a FOCUS 1.2 file spread evenly over `months` (in that order): 2
/// billing accounts, 12 sub accounts, 8 services, 5 regions, 10-decimal costs, one line in 50 a
/// credit. Lines belong to resources, each with fixed attributes (account, member, service,
/// region, SKU, tags) and about [`LINES_PER_RESOURCE_MONTH`] lines a month, as in a real export;
/// the same `seed` gives the same file.
pub fn generate_focus_12_months(
    out: impl Write,
    rows: u64,
    months: &[&str],
    seed: u64,
) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, out);
    writeln!(w, "{}", FOCUS_12_COLUMNS.join(","))?;
    let mut r = Lcg(seed);
    let per_month = rows.div_ceil(months.len().max(1) as u64).max(1);
    let resources = (per_month / LINES_PER_RESOURCE_MONTH).max(16);
    let ends: Vec<String> = months.iter().map(|m| next_month(m)).collect();
    for i in 0..rows {
        let mi = ((i / per_month) as usize).min(months.len() - 1);
        let (ms, me) = (months[mi], &ends[mi]);
        // The resource fixes everything but the hour and the amount.
        let res = r.below(resources);
        let mut h = Lcg(res.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ seed);
        let acct = if h.below(2) == 0 {
            "111122223333"
        } else {
            "444455556666"
        };
        let sub = 100000000000u64 + h.below(12);
        let (svc, cat) = SERVICES[h.below(SERVICES.len() as u64) as usize];
        let region = REGIONS[h.below(REGIONS.len() as u64) as usize];
        let sku = h.below(500);
        let team = h.below(20);
        let day = 1 + r.below(28);
        let hour = r.below(24);
        let micro = r.below(10_000_000_000);
        let units = r.below(1000);
        let negative = r.below(50) == 0;
        let sign = if negative { "-" } else { "" };
        let (category, class) = if negative {
            ("Credit", "")
        } else {
            ("Usage", "")
        };
        let billed = format!("{sign}{units}.{micro:010}");
        let list = format!("{}.{:010}", units + 1, micro);
        let qty = r.below(100_000);
        writeln!(
            w,
            "{az},{billed},{acct},Billfold Bench {acct},Payer,USD,{me}-01T00:00:00Z,{ms}-01T00:00:00Z,,,\
             {category},{class},{svc} usage in {region},Usage-Based,{ms}-{day:02}T{hour:02}:59:59Z,{ms}-{day:02}T{hour:02}:00:00Z,\
             ,,,,,,,{qty},Hrs,{billed},0.0123456789,{billed},INV-{ms},Amazon Web Services,{list},0.0234567891,Standard,USD,0.0123456789,{billed},0.0234567891,{qty},Hours,\
             AWS,AWS,{region},{region} region,arn:aws:ec2:{region}:{sub}:instance/i-{res:016x},web-{res},Virtual Machine,{cat},{svc},{cat} Other,\
             SKU{sku:05},Usage,,SKUPRICE{sku:05},{sub},member-{sub},Linked Account,\
             \"{{\"\"env\"\":\"\"prod\"\",\"\"team\"\":\"\"t{team}\"\"}}\"",
            az = format_args!("{region}a"),
        )?;
    }
    w.flush()
}

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

/// CPU seconds used so far (user + system): this process's threads, and its waited-for children.
fn cpu_secs() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at state, field 3.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    let tick = 100.0; // USER_HZ on Linux
    let at = |i: usize| f.get(i - 3).copied().unwrap_or(0.0) / tick;
    (at(14) + at(15), at(16) + at(17))
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpus} cores, {model}, {}", std::env::consts::OS)
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
    let checked = super::check_reader(
        std::io::BufReader::new(std::fs::File::open(&file)?),
        "bench",
        Format::Focus,
    )?;
    let parse_only_secs = start.elapsed().as_secs_f64();
    debug_assert_eq!(checked, rows);
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

/// A directory removed when dropped (the benchmark's default place).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self> {
        let p = std::env::temp_dir().join(format!(
            "billfold-bench-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
        ));
        std::fs::create_dir_all(&p)?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
