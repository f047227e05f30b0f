//! `billfold lines | diff | review | reconcile | assert | fx | signoff | export`: bill review.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use rusqlite::Connection;

use super::{json, When};
use crate::error::{Error, Result};
use crate::money::{parse_amount, parse_positive, to_text, Currency};
use crate::review::{self, annotations, export, fx, reconcile, DiffBy, LineFilter, SortBy};

/// Which lines: every option narrows.
#[derive(Args, Debug, Clone, Default)]
pub struct FilterArgs {
    #[arg(long)]
    pub account: Option<String>,
    /// The accounts of an organization (its admin and members).
    #[arg(long)]
    pub org: Option<String>,
    /// The accounts billing in this currency.
    #[arg(long)]
    pub currency: Option<String>,
    /// The accounts of this provider (the billing account's, as `account list` shows it; a
    /// marketplace line shows its seller but belongs to its account's provider).
    #[arg(long)]
    pub provider: Option<String>,
    /// Sub account / member.
    #[arg(long)]
    pub member: Option<String>,
    #[arg(long)]
    pub service: Option<String>,
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long)]
    pub category: Option<String>,
    #[arg(long)]
    pub resource: Option<String>,
    /// First month, YYYY-MM.
    #[arg(long = "since", value_name = "YYYY-MM")]
    pub since: Option<String>,
    /// Last month, YYYY-MM.
    #[arg(long = "until", value_name = "YYYY-MM")]
    pub until: Option<String>,
    /// A month (both first and last).
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<String>,
    /// KEY or KEY=VALUE.
    #[arg(long)]
    pub tag: Option<String>,
    /// Text in the description, resource id or name.
    #[arg(long)]
    pub search: Option<String>,
}

impl FilterArgs {
    pub fn filter(&self) -> Result<LineFilter> {
        for m in [&self.since, &self.until, &self.month]
            .into_iter()
            .flatten()
        {
            check_month(m)?;
        }
        super::months_in_order(("since", &self.since), ("until", &self.until))?;
        Ok(LineFilter {
            account: self.account.clone(),
            org: self.org.clone(),
            currency: self.currency.clone(),
            provider: self.provider.clone(),
            sub_account: self.member.clone(),
            service: self.service.clone(),
            region: self.region.clone(),
            category: self.category.clone(),
            resource: self.resource.clone(),
            from: self.month.clone().or_else(|| self.since.clone()),
            to: self.month.clone().or_else(|| self.until.clone()),
            tag: self.tag.clone(),
            text: self.search.clone(),
        })
    }
}

fn check_month(m: &str) -> Result<()> {
    let ok = m.len() == 7 && NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_ok();
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "'{m}' is not a month: expected YYYY-MM such as 2026-11"
        )))
    }
}

fn date(text: &str) -> Result<NaiveDate> {
    Ok(crate::time::parse(text)?.date_naive())
}

#[derive(Args, Debug)]
pub struct LinesArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    #[arg(long, default_value_t = 1)]
    pub page: usize,
    /// billed, effective, list or source.
    #[arg(long, default_value = "billed")]
    pub sort: String,
    /// Show the original row of one line instead.
    #[arg(long, value_name = "LINE_ID")]
    pub raw: Option<i64>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    #[arg(long, value_name = "YYYY-MM")]
    pub from: String,
    #[arg(long, value_name = "YYYY-MM")]
    pub to: String,
    #[arg(long, default_value = "service", value_parser = ["service", "resource"])]
    pub by: String,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum ReviewCmd {
    /// Marks a line, a resource-month or a service-month.
    Mark {
        #[arg(long, conflicts_with_all = ["resource", "service"])]
        line: Option<i64>,
        #[arg(long, requires = "month", conflicts_with = "service")]
        resource: Option<String>,
        #[arg(long, requires = "month")]
        service: Option<String>,
        #[arg(long, value_name = "YYYY-MM")]
        month: Option<String>,
        #[arg(long)]
        account: Option<String>,
        #[arg(long, value_parser = ["reviewed", "disputed", "accepted"])]
        status: String,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        when: When,
    },
    /// The current marks, orphans flagged.
    List {
        #[arg(long, value_parser = ["reviewed", "disputed", "accepted"])]
        status: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Sets the reviewer's name written on marks and sign-offs.
    Reviewer { name: String },
}

#[derive(Subcommand, Debug)]
pub enum FxCmd {
    /// 1 FROM = RATE TO on a date.
    Add {
        from: String,
        to: String,
        rate: String,
        #[arg(long)]
        on: String,
    },
    /// The rates kept.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Converts with the latest rate on or before the date, and says which rate it used.
    Convert {
        #[arg(allow_negative_numbers = true)]
        amount: String,
        from: String,
        to: String,
        #[arg(long)]
        on: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    #[arg(long, value_parser = ["csv", "xlsx"])]
    pub format: String,
    #[arg(long)]
    pub out: PathBuf,
    /// With `--format csv`: the review (marks, invoices, balance checks, payment split,
    /// completeness, sign-offs) as one table, a row per finding, instead of the lines. The
    /// workbook always has both.
    #[arg(long)]
    pub review: bool,
}

pub fn run_lines(conn: &Connection, a: &LinesArgs) -> Result<String> {
    if let Some(id) = a.raw {
        let row = review::original_row(conn, id)?;
        if a.json {
            return json(&row);
        }
        // The file and line, then a column and its value per line, as the file had them.
        let mut out = vec![format!(
            "{}:{}",
            row["source_file"].as_str().unwrap_or_default(),
            row["source_line"]
        )];
        match row["fields"].as_array() {
            Some(fields) => out.extend(fields.iter().map(|f| {
                format!(
                    "{}\t{}",
                    f["column"].as_str().unwrap_or_default(),
                    f["value"].as_str().unwrap_or_default()
                )
            })),
            None => out.push(row["note"].as_str().unwrap_or_default().to_string()),
        }
        return Ok(out.join("\n"));
    }
    let sort: SortBy = a.sort.parse()?;
    let page = review::lines(conn, &a.filter.filter()?, sort, a.page)?;
    if a.json {
        return json(&page);
    }
    let mut out: Vec<String> = page
        .lines
        .iter()
        .map(|l| {
            format!(
                "#{}\t{}\t{}\t{}\t{}\t{} {}\t{}:{}\t{}",
                l.id,
                l.month,
                l.account,
                l.service,
                l.resource_id.clone().unwrap_or_default(),
                l.billed_cost,
                l.currency,
                l.source_file,
                l.source_line,
                l.review.clone().unwrap_or_default()
            )
        })
        .collect();
    for t in &page.totals {
        out.push(format!(
            "total {} {} over {} lines",
            to_text(t.billed_cost),
            t.currency,
            t.lines
        ));
    }
    out.push(format!("page {} of {} lines", page.page, page.total_lines));
    Ok(out.join("\n"))
}

pub fn run_diff(conn: &Connection, a: &DiffArgs) -> Result<String> {
    check_month(&a.from)?;
    check_month(&a.to)?;
    let by = if a.by == "resource" {
        DiffBy::Resource
    } else {
        DiffBy::Service
    };
    let d = review::diff(conn, &a.filter.filter()?, &a.from, &a.to, by)?;
    if a.json {
        return json(&d);
    }
    let mut out: Vec<String> = d
        .rows
        .iter()
        .filter(|r| r.status != "same")
        .map(|r| {
            format!(
                "{:8}{}\t{} → {} {}\t{}{}",
                r.status,
                r.key,
                to_text(r.from_amount),
                to_text(r.to_amount),
                r.currency,
                to_text(r.change),
                r.change_pct
                    .as_ref()
                    .map(|p| format!(" ({p}%)"))
                    .unwrap_or_default()
            )
        })
        .collect();
    for u in &d.unit_price_changes {
        out.push(format!(
            "unit price of {} changed: {} → {} {}",
            u.resource, u.from_unit_price, u.to_unit_price, u.currency
        ));
    }
    if !d.corrections.is_empty() {
        out.push(format!(
            "{} line(s) correct an earlier period",
            d.corrections.len()
        ));
    }
    Ok(out.join("\n"))
}

pub fn run_review(conn: &Connection, cmd: &ReviewCmd) -> Result<String> {
    match cmd {
        ReviewCmd::Mark {
            line,
            resource,
            service,
            month,
            account,
            status,
            note,
            when,
        } => {
            if let Some(m) = month {
                check_month(m)?;
            }
            let target = match (line, resource, service, month) {
                (Some(id), _, _, _) => annotations::Target::Line(*id),
                (None, Some(r), _, Some(m)) => annotations::Target::Resource {
                    resource: r.clone(),
                    month: m.clone(),
                    account: account.clone(),
                },
                (None, None, Some(s), Some(m)) => annotations::Target::Service {
                    service: s.clone(),
                    month: m.clone(),
                    account: account.clone(),
                },
                _ => {
                    return Err(Error::invalid(
                        "say what to mark: --line ID, or --resource R --month M, or --service S --month M",
                    ))
                }
            };
            let a = annotations::mark(conn, &target, status, note.as_deref(), when.time()?)?;
            Ok(format!(
                "marked {} {} ({} line(s) now)",
                a.target, a.status, a.lines
            ))
        }
        ReviewCmd::List { status, json: j } => {
            let marks = annotations::list(conn, status.as_deref())?;
            if *j {
                return json(&marks);
            }
            Ok(marks
                .iter()
                .map(|a| {
                    format!(
                        "{}\t{}\t{}\t{}\t{}{}",
                        a.status,
                        a.target,
                        a.month,
                        a.resource_id
                            .clone()
                            .or(a.service.clone())
                            .unwrap_or_default(),
                        a.note.clone().unwrap_or_default(),
                        if a.orphaned {
                            "\t(orphaned: its charge is no longer in any bill)".to_string()
                        } else if let (true, Some(then), Some(now), Some(c)) = (
                            a.amount_changed,
                            a.billed_when_marked,
                            a.billed_now,
                            &a.currency,
                        ) {
                            format!(
                                "\t(the amount changed since it was marked: {} {c} then, {} {c} now)",
                                crate::money::to_text(then),
                                crate::money::to_text(now)
                            )
                        } else {
                            String::new()
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
        ReviewCmd::Reviewer { name } => {
            review::set_reviewer(conn, name)?;
            Ok(format!("reviewer set to '{}'", name.trim()))
        }
    }
}

pub fn run_reconcile(conn: &Connection, account: Option<&str>, as_json: bool) -> Result<String> {
    let r = reconcile::reconcile(conn, account)?;
    if as_json {
        return json(&r);
    }
    let mut out = Vec::new();
    for i in &r.invoices {
        out.push(format!(
            "invoice {} ({}): {} vs lines {} {} → {}",
            i.invoice_id,
            i.account,
            to_text(i.invoice_amount),
            to_text(i.lines_billed),
            i.currency,
            if i.matches {
                "matches".to_string()
            } else {
                format!("differs by {}", to_text(i.difference))
            }
        ));
    }
    for a in &r.assertions {
        out.push(format!(
            "{} {} at {}: provider {} vs ledger {} → {}",
            a.account,
            a.purse,
            a.at,
            to_text(a.provider_says),
            to_text(a.ledger_says),
            if a.matches {
                "matches".to_string()
            } else {
                format!("differs by {}", to_text(a.difference))
            }
        ));
    }
    for s in &r.payment_split {
        out.push(format!("{}:{} {}", s.source_file, s.source_line, s.message));
    }
    for c in &r.completeness {
        out.push(format!(
            "{} {} {}: {} {}",
            c.provider,
            c.account,
            c.month,
            c.status,
            c.missing_days.join(" ")
        ));
    }
    for s in &r.signoffs {
        if s.changed {
            out.push(format!(
                "signed-off {} {} changed by {} {} since {}",
                s.account,
                s.month,
                to_text(s.difference),
                s.currency,
                s.signed_at
            ));
        }
    }
    if out.is_empty() {
        out.push("nothing to reconcile yet".into());
    }
    Ok(out.join("\n"))
}

pub fn run_assert(
    conn: &Connection,
    account: &str,
    purse: &str,
    amount: &str,
    at: &str,
) -> Result<String> {
    let amount = parse_amount(amount)?;
    let at = crate::time::parse(at)?;
    reconcile::add_assertion(conn, account, purse, amount, at)?;
    let r = reconcile::reconcile(conn, Some(account))?;
    let a = r
        .assertions
        .iter()
        .rev()
        .find(|x| x.purse == purse && x.at == crate::time::to_db(at))
        .ok_or_else(|| Error::not_found("the assertion just recorded was not found"))?;
    Ok(if a.matches {
        format!(
            "{account} {purse} at {}: the ledger agrees ({})",
            a.at,
            to_text(a.ledger_says)
        )
    } else {
        format!(
            "{account} {purse} at {}: the provider says {}, the ledger {} (difference {}); {} entries since the last match",
            a.at,
            to_text(a.provider_says),
            to_text(a.ledger_says),
            to_text(a.difference),
            a.entries_since_last_match.len()
        )
    })
}

pub fn run_fx(conn: &Connection, cmd: &FxCmd) -> Result<String> {
    match cmd {
        FxCmd::Add { from, to, rate, on } => {
            let (from, to) = (Currency::parse(from)?, Currency::parse(to)?);
            fx::add(conn, &from, &to, parse_positive(rate)?, date(on)?)?;
            Ok(format!("1 {from} = {rate} {to} on {on}"))
        }
        FxCmd::List { json: j } => {
            let rates = fx::list(conn)?;
            if *j {
                return json(&rates);
            }
            Ok(rates
                .iter()
                .map(|r| format!("{}\t1 {} = {} {}", r.on, r.from, to_text(r.rate), r.to))
                .collect::<Vec<_>>()
                .join("\n"))
        }
        FxCmd::Convert {
            amount,
            from,
            to,
            on,
            json: j,
        } => {
            let c = fx::convert(
                conn,
                parse_amount(amount)?,
                &Currency::parse(from)?,
                &Currency::parse(to)?,
                date(on)?,
            )?;
            if *j {
                return json(&c);
            }
            Ok(format!(
                "{} {} = {} {} at 1 {} = {} {} of {}",
                to_text(c.amount),
                c.from,
                to_text(c.converted),
                c.to,
                c.from,
                to_text(c.rate),
                c.to,
                c.rate_date
            ))
        }
    }
}

pub fn run_signoff(conn: &Connection, month: &str, account: &str, when: &When) -> Result<String> {
    check_month(month)?;
    let s = reconcile::sign_off(conn, account, month, when.time()?)?;
    Ok(s.iter()
        .map(|x| {
            format!(
                "{account} {month} signed off at {} {} over {} lines",
                to_text(x.signed_billed),
                x.currency,
                x.signed_lines
            )
        })
        .collect::<Vec<_>>()
        .join("\n"))
}

pub fn run_export(conn: &Connection, a: &ExportArgs) -> Result<String> {
    let f = a.filter.filter()?;
    if a.review {
        if a.format != "csv" {
            return Err(crate::error::Error::invalid(
                "--review is for --format csv: the workbook has the review's sheets already",
            ));
        }
        let n = export::review_csv(conn, a.filter.account.as_deref(), &a.out)?;
        return Ok(format!("{} review rows written to {}", n, a.out.display()));
    }
    let n = if a.format == "xlsx" {
        export::workbook(conn, &f, a.filter.account.as_deref(), &a.out)?
    } else {
        export::lines_csv(conn, &f, &a.out)?
    };
    Ok(format!("{} lines written to {}", n, a.out.display()))
}
