//! `billfold import`, `billfold costs` and `billfold bench import`: exported bills.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;
use rusqlite::Connection;
use serde::Serialize;

use crate::costs::{self, CostFilter, GroupBy};
use crate::import::{self, Format, Options};
use crate::money::{round_for_display, Currency};
use crate::{time, Error, ErrorCode, Result};

/// `billfold import FILE... [--format auto|focus|tencent|huawei] [--settle] [--json]`
#[derive(Args, Debug, Clone)]
pub struct ImportArgs {
    /// Bill files: FOCUS 1.0–1.4, Tencent Cloud bill details or Huawei Cloud expenditure
    /// details, as CSV or gzip-compressed CSV. Each file is imported all or nothing.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The format; `auto` tells it from the header.
    #[arg(long, default_value = "auto", value_name = "auto|focus|tencent|huawei")]
    pub format: Format,
    /// Settle the imported charges against the account's purses in the deduction order (a
    /// postpaid account's once its month is final); see docs/IMPORT.md, "Settling".
    #[arg(long)]
    pub settle: bool,
    /// The currency of the files' amounts (e.g. CNY, USD), for an export that does not say it
    /// (Huawei's English headers without a ($) or (¥) mark); a file stating another currency
    /// is refused.
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// The time of the import (RFC 3339 or YYYY-MM-DD), which decides whether a month is
    /// final; now when omitted.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

/// `billfold costs [--account ID] [--from YYYY-MM] [--to YYYY-MM] [--group-by ...] [--json]`
#[derive(Args, Debug, Clone)]
pub struct CostsArgs {
    /// Only this billing account.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// First month (YYYY-MM), included.
    #[arg(long, value_name = "YYYY-MM")]
    pub from: Option<String>,
    /// Last month (YYYY-MM), included.
    #[arg(long, value_name = "YYYY-MM")]
    pub to: Option<String>,
    /// Dimensions, comma-separated: month, service, account, sub_account, provider, region,
    /// category, resource, tag:KEY. Amounts are always split by currency.
    #[arg(
        long = "group-by",
        value_delimiter = ',',
        default_value = "month,service",
        value_name = "DIMS"
    )]
    pub group_by: Vec<GroupBy>,
    /// Print the result as JSON (exact, unrounded decimal strings).
    #[arg(long)]
    pub json: bool,
}

/// `billfold bench import|ledger|explore`
#[derive(clap::Subcommand, Debug, Clone)]
pub enum BenchCommand {
    /// Imports a generated FOCUS 1.2 file into a fresh ledger, beside `sqlite3 .import` of it.
    Import(BenchArgs),
    /// Builds a ledger of generated bills, one month at a time (for `bench explore`).
    Ledger(BenchLedgerArgs),
    /// Times bill review on a ledger: the explorer, month over month, overview, costs.
    Explore(BenchExploreArgs),
}

/// `billfold bench ledger --lines N --months M [--first YYYY-MM] [--dir DIR]`
#[derive(Args, Debug, Clone)]
pub struct BenchLedgerArgs {
    /// Lines in all, spread evenly over the months.
    #[arg(long, default_value_t = 10_000_000)]
    pub lines: u64,
    #[arg(long, default_value_t = 12)]
    pub months: usize,
    /// The first month.
    #[arg(long, value_name = "YYYY-MM", default_value = "2025-01")]
    pub first: String,
    /// Where the month files are written (each removed once imported).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    #[arg(long)]
    pub json: bool,
}

/// `billfold bench explore --month YYYY-MM [--runs N]`
#[derive(Args, Debug, Clone)]
pub struct BenchExploreArgs {
    /// The month to explore (month over month compares it with the month before).
    #[arg(long, value_name = "YYYY-MM")]
    pub month: String,
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    #[arg(long)]
    pub json: bool,
}

/// `billfold bench import [--rows N] [--dir DIR] [--json]`
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Rows of the generated FOCUS 1.2 file (57 columns).
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// Where to write the generated file and databases (default: a temporary directory).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Skip the `sqlite3 .import` comparison.
    #[arg(long)]
    pub no_sqlite3: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

fn now() -> chrono::DateTime<chrono::Utc> {
    let t = chrono::Utc::now();
    time::parse(&time::to_db(t)).unwrap_or(t)
}

#[derive(Serialize)]
struct ImportOutput<'a> {
    files: &'a [import::FileReport],
    /// The files that were not imported (nothing of them was written).
    failed: Vec<FailedFile>,
}

#[derive(Serialize)]
struct FailedFile {
    /// The file's name, as in a report.
    file: String,
    /// The path as given.
    path: String,
    code: ErrorCode,
    message: String,
}

/// Runs `billfold import`. Each file is its own transaction: a bad file writes nothing and the
/// others still import; the error then lists every file that failed (and what did import).
pub fn run_import(conn: &mut Connection, args: &ImportArgs) -> Result<String> {
    let at = match &args.at {
        Some(t) => time::parse(t)?,
        None => now(),
    };
    let opts = Options {
        format: args.format,
        at,
        // On stderr: with --json too, whose output is on stdout.
        progress: std::io::stderr().is_terminal(),
        settle: args.settle,
        currency: match &args.currency {
            Some(c) => Some(Currency::parse(&c.to_ascii_uppercase())?),
            None => None,
        },
        expect_sha256: None,
    };
    let paths: Vec<&Path> = args.files.iter().map(PathBuf::as_path).collect();
    let (ok, failed) = import::import_files(conn, &paths, &opts);
    if args.json {
        let out = ImportOutput {
            files: &ok,
            failed: failed
                .iter()
                .map(|(path, e)| FailedFile {
                    file: import::display_name(path),
                    path: path.display().to_string(),
                    code: e.code,
                    message: e.message.clone(),
                })
                .collect(),
        };
        let text = serde_json::to_string_pretty(&out)
            .map_err(|e| Error::invalid(format!("cannot print JSON: {e}")))?;
        if failed.is_empty() {
            return Ok(text);
        }
        // Some files failed: the report of every file still goes to stdout (the others were
        // imported), and the failure to stderr and the exit status.
        super::print(&text)?;
    }
    if !failed.is_empty() {
        let mut msg = failed
            .iter()
            .map(|(_, e)| e.message.clone())
            .collect::<Vec<_>>()
            .join("\n");
        if !ok.is_empty() {
            msg.push_str("\nimported: ");
            msg.push_str(&summary(&ok).join("; "));
        }
        return Err(Error::new(ErrorCode::Import, msg));
    }
    Ok(summary(&ok).join("\n"))
}

fn summary(reports: &[import::FileReport]) -> Vec<String> {
    reports
        .iter()
        .map(|r| {
            if r.status == "already_imported" {
                // With --settle, what settling its lines did now (nothing when they were).
                let mut t = format!(
                    "{}: already imported (import #{}), nothing added",
                    r.file, r.import_id
                );
                let notes = r.notes();
                if r.settlement.is_some() && notes.is_empty() {
                    t.push_str("; nothing left to settle");
                }
                for n in notes {
                    t.push_str("\n  ");
                    t.push_str(&n);
                }
                return t;
            }
            let slices = if r.slices.len() > LISTED {
                slices_in_short(&r.slices)
            } else {
                r.slices
                    .iter()
                    .map(slice_text)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let verb = if r.status == "reimported" {
                "imported again (made current)"
            } else {
                "imported"
            };
            let mut t = format!(
                "{}: {verb} {} as {}",
                r.file,
                count(r.rows, "line"),
                r.format
            );
            if !slices.is_empty() {
                t.push_str(": ");
                t.push_str(&slices);
            }
            let new = &r.accounts_created;
            if new.len() > LISTED {
                t.push_str(&format!(
                    "; {} new accounts: {}, … {}",
                    new.len(),
                    new[..LISTED - 1].join(", "),
                    new[new.len() - 1]
                ));
            } else if !new.is_empty() {
                t.push_str(&format!("; new accounts: {}", new.join(", ")));
            }
            for n in r.notes() {
                t.push_str("\n  ");
                t.push_str(&n);
            }
            t
        })
        .collect()
}

/// Slices (and new accounts) a file's line lists one by one; more are told in short, the list
/// being in `--json` (a year of a few dozen accounts is hundreds of slices).
const LISTED: usize = 8;

fn slice_text(s: &import::SliceReport) -> String {
    let mut t = format!(
        "{} {} {} ({}, {}",
        s.provider,
        s.account,
        s.month,
        count(s.lines, "line"),
        s.status
    );
    if s.replaced_lines > 0 {
        t.push_str(&format!(
            ", replaced {} of an earlier export",
            count(s.replaced_lines, "line")
        ));
    }
    t.push(')');
    t
}

/// `480 slices: 40 accounts of AWS, 2025-01 to 2025-12, 470 final and 10 provisional, 12
/// replacing 3,456 lines of earlier exports (each: --json)`.
fn slices_in_short(slices: &[import::SliceReport]) -> String {
    use std::collections::BTreeSet;
    let accounts: BTreeSet<&str> = slices.iter().map(|s| s.account.as_str()).collect();
    let providers: BTreeSet<&str> = slices.iter().map(|s| s.provider.as_str()).collect();
    let months: BTreeSet<&str> = slices.iter().map(|s| s.month.as_str()).collect();
    let finals = slices.iter().filter(|s| s.status == "final").count() as u64;
    let replacing: Vec<&import::SliceReport> =
        slices.iter().filter(|s| s.replaced_lines > 0).collect();
    let mut t = format!(
        "{} slices: {} of {}, {} to {}, {} final and {} provisional",
        slices.len(),
        count(accounts.len() as u64, "account"),
        providers.into_iter().collect::<Vec<_>>().join(" and "),
        months.first().copied().unwrap_or_default(),
        months.last().copied().unwrap_or_default(),
        finals,
        slices.len() as u64 - finals
    );
    if !replacing.is_empty() {
        t.push_str(&format!(
            ", {} replacing {} of earlier exports",
            replacing.len(),
            count(replacing.iter().map(|s| s.replaced_lines).sum(), "line")
        ));
    }
    t.push_str(" (each: --json)");
    t
}

fn count(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn check_month(what: &str, m: &Option<String>) -> Result<()> {
    if let Some(m) = m {
        let ok = m.len() == 7
            && import::values::parse_month(m).is_ok_and(|p| p.as_slice() == m.as_bytes());
        if !ok {
            return Err(Error::invalid(format!(
                "--{what} '{m}' is not a month: expected YYYY-MM such as 2026-01"
            )));
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct CostsOutput {
    groups: Vec<costs::CostGroup>,
}

/// Runs `billfold costs`.
pub fn run_costs(conn: &Connection, args: &CostsArgs) -> Result<String> {
    check_month("from", &args.from)?;
    check_month("to", &args.to)?;
    super::months_in_order(("from", &args.from), ("to", &args.to))?;
    let filter = CostFilter {
        account: args.account.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
    };
    let groups = costs::group_costs(conn, &filter, &args.group_by)?;
    if args.json {
        return serde_json::to_string_pretty(&CostsOutput { groups })
            .map_err(|e| Error::invalid(format!("cannot print JSON: {e}")));
    }
    if groups.is_empty() {
        return Ok("no cost lines".into());
    }
    let mut out = Vec::new();
    for g in &groups {
        let keys = g
            .keys
            .values()
            .map(|v| v.as_deref().unwrap_or("-"))
            .collect::<Vec<_>>()
            .join("  ");
        let shown = |d| match Currency::parse(&g.currency) {
            Ok(c) => round_for_display(d, &c).to_string(),
            Err(_) => d.to_string(),
        };
        out.push(format!(
            "{keys}  {} billed {}  net {}  ({})",
            g.currency,
            shown(g.billed_cost),
            shown(g.net_cost),
            count(g.lines as u64, "line")
        ));
    }
    Ok(out.join("\n"))
}

fn report<T: Serialize + std::fmt::Display>(r: &T, json: bool) -> Result<String> {
    if json {
        return serde_json::to_string_pretty(r)
            .map_err(|e| Error::invalid(format!("cannot print JSON: {e}")));
    }
    Ok(r.to_string())
}

/// Runs `billfold bench ...` (`db`: the ledger of `ledger` and `explore`).
pub fn run_bench(command: &BenchCommand, db: &std::path::Path) -> Result<String> {
    use crate::bench;
    match command {
        BenchCommand::Import(a) => report(
            &bench::import::run(a.rows, a.dir.as_deref(), !a.no_sqlite3)?,
            a.json,
        ),
        BenchCommand::Ledger(a) => {
            let months = bench::explore::months_from(&a.first, a.months.max(1))?;
            let r = bench::explore::build_ledger(db, &a.dir, a.lines, &months)?;
            if a.json {
                return serde_json::to_string_pretty(&r)
                    .map_err(|e| Error::invalid(format!("cannot print JSON: {e}")));
            }
            Ok(format!(
                "{}: {} lines over {} months ({} to {}), imported in {:.1} s ({:.0} lines/s), {:.1} MB",
                db.display(),
                r.lines,
                r.months.len(),
                r.months.first().cloned().unwrap_or_default(),
                r.months.last().cloned().unwrap_or_default(),
                r.import_secs,
                r.lines as f64 / r.import_secs.max(1e-9),
                r.db_bytes as f64 / 1e6
            ))
        }
        BenchCommand::Explore(a) => report(&bench::explore::run(db, &a.month, a.runs)?, a.json),
    }
}
