//! Bill review on a large ledger (issue 5): builds a ledger of generated FOCUS bills one month
//! at a time, then times what a reviewer does on it — the explorer's groupings and pages,
//! month over month, the overview and `billfold costs` — each the median of several runs.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use super::generate::generate_focus_12_months;
use super::machine;
use crate::costs::{group_costs, CostFilter, GroupBy};
use crate::error::{Error, Result};
use crate::import::{import_file, Format, Options};
use crate::overview::{overview, Scope};
use crate::review::{self, DiffBy, LineFilter, SortBy};

/// Months `first`, `first + 1`, … (`n` of them), as `YYYY-MM`.
pub fn months_from(first: &str, n: usize) -> Result<Vec<String>> {
    let start = crate::time::parse(&format!("{first}-01"))
        .map_err(|_| Error::invalid(format!("'{first}' is not a month: expected YYYY-MM")))?;
    Ok((0..n)
        .map(|i| crate::time::month_of(crate::time::add_months(start, i as u32)))
        .collect())
}

/// What building the ledger took.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    pub lines: u64,
    pub months: Vec<String>,
    pub import_secs: f64,
    pub db_bytes: u64,
}

/// Writes `lines` generated lines spread over `months` into a new ledger at `db`, one generated file per month (written in `dir`, imported, then removed).
pub fn build_ledger(db: &Path, dir: &Path, lines: u64, months: &[String]) -> Result<BuildReport> {
    if db.exists() {
        return Err(Error::refused(format!(
            "{} exists: `bench ledger` builds a new ledger, it does not add to one",
            db.display()
        )));
    }
    let mut conn = crate::store::open(db)?;
    let per_month = lines.div_ceil(months.len().max(1) as u64);
    let mut import_secs = 0.0;
    let mut done = 0;
    for (i, month) in months.iter().enumerate() {
        let n = per_month.min(lines - done);
        let file = dir.join(format!("bench-{month}.csv"));
        generate_focus_12_months(
            std::fs::File::create(&file)?,
            n,
            &[month.as_str()],
            0x5eed + i as u64,
        )?;
        let opts = Options {
            format: Format::Focus,
            at: crate::time::parse("2030-01-01T00:00:00Z")?,
            progress: false,
            settle: false,
            currency: None,
            expect_sha256: None,
        };
        let start = Instant::now();
        let report = import_file(&mut conn, &file, &opts)?;
        import_secs += start.elapsed().as_secs_f64();
        let _ = std::fs::remove_file(&file);
        done += report.rows;
        eprintln!(
            "bench: {month}: {} lines imported ({done} of {lines})",
            report.rows
        );
    }
    drop(conn);
    let db_bytes = ["", "-wal"]
        .iter()
        .filter_map(|e| std::fs::metadata(format!("{}{e}", db.display())).ok())
        .map(|m| m.len())
        .sum();
    Ok(BuildReport {
        lines: done,
        months: months.to_vec(),
        import_secs,
        db_bytes,
    })
}

/// One timed operation: the median, fastest and slowest of its runs, and what it answered.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    pub what: String,
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub runs: usize,
    pub answer: String,
}

/// The figures of one run over a ledger.
#[derive(Debug, Clone, Serialize)]
pub struct ExploreReport {
    pub machine: String,
    pub ledger: String,
    pub lines: i64,
    pub month: String,
    pub lines_in_month: i64,
    pub timings: Vec<Timing>,
}

impl std::fmt::Display for ExploreReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "machine: {}", self.machine)?;
        writeln!(
            f,
            "ledger: {} ({} lines; {} in {})",
            self.ledger, self.lines, self.lines_in_month, self.month
        )?;
        for t in &self.timings {
            writeln!(
                f,
                "{:>9.1} ms  (min {:.1}, max {:.1}, {} runs)  {}: {}",
                t.median_ms, t.min_ms, t.max_ms, t.runs, t.what, t.answer
            )?;
        }
        Ok(())
    }
}

fn time<T>(
    runs: usize,
    what: &str,
    mut f: impl FnMut() -> Result<T>,
    answer: impl Fn(&T) -> String,
) -> Result<Timing> {
    let mut ms = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let out = f()?;
        ms.push(start.elapsed().as_secs_f64() * 1e3);
        last = Some(out);
    }
    let mut sorted = ms.clone();
    sorted.sort_by(f64::total_cmp);
    let out = last.ok_or_else(|| Error::invalid("no run"))?;
    let t = Timing {
        what: what.to_string(),
        median_ms: sorted[sorted.len() / 2],
        min_ms: sorted[0],
        max_ms: sorted[sorted.len() - 1],
        runs: ms.len(),
        answer: answer(&out),
    };
    eprintln!("bench: {:.1} ms  {what}", t.median_ms);
    Ok(t)
}

/// Times the review operations on the ledger at `db`, for `month` (and the month before it
/// for month over month).
pub fn run(db: &Path, month: &str, runs: usize) -> Result<ExploreReport> {
    let conn = crate::store::open(db)?;
    let prev = previous_month(month)?;
    let one = |sql: &str| -> Result<i64> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
    let lines = one("SELECT COUNT(*) FROM cost_lines")?;
    let lines_in_month: i64 = conn.query_row(
        "SELECT COALESCE(SUM(lines), 0) FROM cost_rollups_by_service WHERE month = ?1",
        [month],
        |r| r.get(0),
    )?;
    let in_month = LineFilter {
        from: Some(month.to_string()),
        to: Some(month.to_string()),
        ..Default::default()
    };
    // A service, a region and a resource that the month has, and a word of its descriptions.
    let top = review::groups(&conn, &in_month, &[GroupBy::Service])?;
    let service = top
        .iter()
        .max_by_key(|g| g.lines)
        .and_then(|g| g.keys["service"].clone())
        .ok_or_else(|| Error::invalid(format!("the ledger has no line in {month}")))?;
    let first = review::lines(&conn, &in_month, SortBy::Billed, 1)?;
    let line = first
        .lines
        .first()
        .ok_or_else(|| Error::invalid(format!("the ledger has no line in {month}")))?;
    let region = line.region.clone();
    let resource = line.resource_id.clone();
    let text = "web-1";

    let groups = |g: Vec<crate::costs::CostGroup>| format!("{} groups", g.len());
    let page = |p: &review::LinePage| format!("{} lines of {}", p.lines.len(), p.total_lines);
    let mut t = Vec::new();
    t.push(time(
        runs,
        "overview of everything (6 months of trend)",
        || {
            overview(
                &conn,
                &Scope::All,
                crate::time::parse(&format!("{month}-28"))?,
                6,
            )
        },
        |o| {
            format!(
                "{} currencies, {} bytes of JSON",
                o.currencies.len(),
                serde_json::to_string(o).map(|s| s.len()).unwrap_or(0)
            )
        },
    )?);
    t.push(time(
        runs,
        "costs --group-by month,service (all months)",
        || {
            group_costs(
                &conn,
                &CostFilter::default(),
                &[GroupBy::Month, GroupBy::Service],
            )
        },
        |g| groups(g.clone()),
    )?);
    for (what, by) in [
        (
            "explorer: one month grouped by service (rollups)",
            vec![GroupBy::Service],
        ),
        (
            "explorer: one month grouped by region",
            vec![GroupBy::Region],
        ),
        (
            "explorer: one month grouped by category",
            vec![GroupBy::Category],
        ),
        (
            "explorer: one month grouped by tag:team",
            vec![GroupBy::Tag("team".into())],
        ),
        (
            "explorer: one month grouped by resource",
            vec![GroupBy::Resource],
        ),
    ] {
        t.push(time(
            runs,
            what,
            || review::groups(&conn, &in_month, &by),
            |g| groups(g.clone()),
        )?);
    }
    let filters: Vec<(&str, LineFilter, SortBy, usize)> = vec![
        (
            "explorer: page 1 of one month, largest first",
            in_month.clone(),
            SortBy::Billed,
            1,
        ),
        (
            "explorer: page 10 of one month, largest first",
            in_month.clone(),
            SortBy::Billed,
            10,
        ),
        (
            "explorer: page 1 of a trend bar (month + service)",
            LineFilter {
                service: Some(service.clone()),
                ..in_month.clone()
            },
            SortBy::Billed,
            1,
        ),
        (
            "explorer: page 1 of one month + region (lines only)",
            LineFilter {
                region: region.clone(),
                ..in_month.clone()
            },
            SortBy::Billed,
            1,
        ),
        (
            "explorer: page 1 of a resource, every month",
            LineFilter {
                resource: resource.clone(),
                ..Default::default()
            },
            SortBy::Billed,
            1,
        ),
        (
            "explorer: page 1 of one month in file order",
            in_month.clone(),
            SortBy::Source,
            1,
        ),
        (
            "explorer: page 1 of a text search in one month",
            LineFilter {
                text: Some(text.into()),
                ..in_month.clone()
            },
            SortBy::Billed,
            1,
        ),
    ];
    for (what, f, sort, p) in &filters {
        t.push(time(
            runs,
            what,
            || review::lines(&conn, f, *sort, *p),
            page,
        )?);
    }
    for (what, by) in [
        ("month over month by service", DiffBy::Service),
        ("month over month by resource", DiffBy::Resource),
    ] {
        t.push(time(
            runs,
            what,
            || review::diff(&conn, &LineFilter::default(), &prev, month, by),
            |d| {
                format!(
                    "{} rows, {} unit-price changes, {} corrections",
                    d.rows.len(),
                    d.unit_price_changes.len(),
                    d.corrections.len()
                )
            },
        )?);
    }
    Ok(ExploreReport {
        machine: machine(),
        ledger: db.display().to_string(),
        lines,
        month: month.to_string(),
        lines_in_month,
        timings: t,
    })
}

fn previous_month(m: &str) -> Result<String> {
    let t = crate::time::parse(&format!("{m}-01"))
        .map_err(|_| Error::invalid(format!("'{m}' is not a month: expected YYYY-MM")))?;
    Ok(crate::time::month_of(t - chrono::Duration::days(1)))
}
