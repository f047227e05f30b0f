//! Export of what the reviewer sees: the lines of a filter with their review marks, and the
//! review itself (marks, reconciliation), as CSV or as an XLSX workbook with a sheet per
//! section.
//!
//! CSV carries every amount as its exact decimal text. XLSX stores numbers as IEEE doubles by
//! definition of the format, so amount cells are numbers formatted to the currency's minor unit
//! for reading and summing in a spreadsheet, and each amount column is followed by an exact text
//! column: the file never loses a digit the provider gave.

use std::path::Path;

use rusqlite::Connection;
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use super::annotations::{self, Annotation};
use super::reconcile::{self, Reconciliation};
use super::{for_each_line, LineFilter, LineOut};
use crate::error::{Error, Result};
use crate::money::Currency;

const LINE_HEADER: [&str; 18] = [
    "line id",
    "source file",
    "source line",
    "provider",
    "account",
    "member",
    "month",
    "service",
    "resource",
    "region",
    "category",
    "charge class",
    "currency",
    "billed cost",
    "effective cost",
    "list cost",
    "review",
    "note",
];

fn review_of(conn: &Connection, l: &LineOut) -> Result<(String, String)> {
    Ok(match annotations::current_for_line(conn, l)? {
        Some(a) => (a.status, a.note.unwrap_or_default()),
        None => (String::new(), String::new()),
    })
}

/// Writes the lines of `filter` with their marks as CSV. Returns the number of lines.
pub fn lines_csv(conn: &Connection, filter: &LineFilter, out: &Path) -> Result<usize> {
    let mut w = csv::Writer::from_path(out)
        .map_err(|e| Error::invalid(format!("cannot write {}: {e}", out.display())))?;
    let io = |e: csv::Error| Error::invalid(format!("cannot write {}: {e}", out.display()));
    w.write_record(LINE_HEADER).map_err(io)?;
    let mut n = 0;
    for_each_line(conn, filter, |l| {
        n += 1;
        let l = &l;
        let (status, note) = review_of(conn, l)?;
        let o = |s: &Option<String>| s.clone().unwrap_or_default();
        w.write_record([
            l.id.to_string(),
            l.source_file.clone(),
            l.source_line.to_string(),
            l.provider.clone(),
            l.account.clone(),
            o(&l.sub_account),
            l.month.clone(),
            l.service.clone(),
            o(&l.resource_id),
            o(&l.region),
            l.category.clone(),
            o(&l.charge_class),
            l.currency.clone(),
            l.billed_cost.clone(),
            l.effective_cost.clone(),
            o(&l.list_cost),
            status,
            note,
        ])
        .map_err(io)
    })?;
    w.flush()?;
    Ok(n)
}

/// The review as one CSV table, a row per finding, the `section` column saying which
/// (`review mark`, `invoice`, `balance check`, `payment split`, `completeness`, `sign-off`):
/// the workbook's sheets after the lines, in a form a spreadsheet filters. Amounts are exact
/// decimal text. Returns the number of rows.
pub fn review_csv(conn: &Connection, account: Option<&str>, out: &Path) -> Result<usize> {
    let marks: Vec<Annotation> = annotations::list(conn, None)?
        .into_iter()
        .filter(|a| account.is_none() || a.account.as_deref() == account)
        .collect();
    let rec: Reconciliation = reconcile::reconcile(conn, account)?;
    let mut w = csv::Writer::from_path(out)
        .map_err(|e| Error::invalid(format!("cannot write {}: {e}", out.display())))?;
    let io = |e: csv::Error| Error::invalid(format!("cannot write {}: {e}", out.display()));
    w.write_record([
        "section",
        "account",
        "month",
        "subject",
        "status",
        "currency",
        "stated",
        "ledger",
        "difference",
        "finding",
        "note",
        "reviewer",
        "at",
    ])
    .map_err(io)?;
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    let text = |d: rust_decimal::Decimal| d.normalize().to_string();
    let yes_no = |ok: bool, yes: &str, no: &str| if ok { yes } else { no }.to_string();
    let mut rows: Vec<[String; 13]> = Vec::new();
    for a in &marks {
        let subject = match a.target.as_str() {
            "resource" => format!("resource {}", o(&a.resource_id)),
            "service" => format!("service {}", o(&a.service)),
            _ => format!(
                "line: {} {} {}",
                o(&a.service),
                o(&a.resource_id),
                o(&a.sku_id)
            )
            .trim_end()
            .to_string(),
        };
        let finding = if a.orphaned {
            "orphaned: no line of the current bills carries this charge".to_string()
        } else if a.amount_changed {
            format!(
                "on {} line(s); the amount changed since it was marked",
                a.lines
            )
        } else {
            format!("on {} line(s)", a.lines)
        };
        let amount = |d: Option<rust_decimal::Decimal>| d.map(text).unwrap_or_default();
        let moved = match (a.billed_when_marked, a.billed_now) {
            (Some(then), Some(now)) => text(now - then),
            _ => String::new(),
        };
        rows.push([
            "review mark".into(),
            o(&a.account),
            a.month.clone(),
            subject,
            a.status.clone(),
            o(&a.currency),
            amount(a.billed_when_marked),
            amount(a.billed_now),
            moved,
            finding,
            o(&a.note),
            o(&a.reviewer),
            a.at.clone(),
        ]);
    }
    for x in &rec.invoices {
        rows.push([
            "invoice".into(),
            x.account.clone(),
            String::new(),
            x.invoice_id.clone(),
            yes_no(x.matches, "matches", "differs"),
            x.currency.clone(),
            text(x.invoice_amount),
            text(x.lines_billed),
            text(x.difference),
            format!("{} line(s) billed under this invoice", x.lines),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    for x in &rec.assertions {
        let since = x
            .entries_since_last_match
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        rows.push([
            "balance check".into(),
            x.account.clone(),
            String::new(),
            x.purse.clone(),
            yes_no(x.matches, "matches", "differs"),
            String::new(),
            text(x.provider_says),
            text(x.ledger_says),
            text(x.difference),
            if since.is_empty() {
                String::new()
            } else {
                format!("journal entries since the last match: {since}")
            },
            String::new(),
            String::new(),
            x.at.clone(),
        ]);
    }
    for x in &rec.payment_split {
        rows.push([
            "payment split".into(),
            x.account.clone(),
            String::new(),
            format!("line {} ({}:{})", x.line_id, x.source_file, x.source_line),
            "departs".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            x.message.clone(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    for x in &rec.completeness {
        rows.push([
            "completeness".into(),
            x.account.clone(),
            x.month.clone(),
            x.provider.clone(),
            x.status.clone(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            if x.missing_days.is_empty() {
                String::new()
            } else {
                format!("days without usage lines: {}", x.missing_days.join(" "))
            },
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    for x in &rec.signoffs {
        rows.push([
            "sign-off".into(),
            x.account.clone(),
            x.month.clone(),
            format!("{} lines signed, {} now", x.signed_lines, x.current_lines),
            yes_no(x.changed, "changed since signed off", "unchanged"),
            x.currency.clone(),
            text(x.signed_billed),
            text(x.current_billed),
            text(x.difference),
            String::new(),
            String::new(),
            o(&x.reviewer),
            x.signed_at.clone(),
        ]);
    }
    for r in &rows {
        w.write_record(r).map_err(io)?;
    }
    w.flush()?;
    Ok(rows.len())
}

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::invalid(format!("cannot write the workbook: {e}"))
}

/// A money cell: a number shown to the currency's minor unit, then its exact text.
fn money(ws: &mut Worksheet, row: u32, col: u16, text: &str, currency: &str) -> Result<()> {
    let digits = Currency::parse(currency)
        .map(|c| c.minor_units())
        .unwrap_or(2);
    let pattern = if digits == 0 {
        "#,##0".to_string()
    } else {
        format!("#,##0.{}", "0".repeat(digits as usize))
    };
    // The spreadsheet's own number type is a double; the exact value is in the next column.
    let number: f64 = text.parse().unwrap_or(0.0);
    ws.write_number_with_format(row, col, number, &Format::new().set_num_format(&pattern))
        .map_err(xlsx_err)?;
    ws.write_string(row, col + 1, text).map_err(xlsx_err)?;
    Ok(())
}

fn header(ws: &mut Worksheet, names: &[&str]) -> Result<()> {
    let bold = Format::new().set_bold();
    for (i, n) in names.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, *n, &bold)
            .map_err(xlsx_err)?;
    }
    ws.set_freeze_panes(1, 0).map_err(xlsx_err)?;
    Ok(())
}

/// Writes the workbook: Lines, Review marks, Invoices, Balance checks, Payment split,
/// Completeness, Sign-offs. Returns the number of lines.
pub fn workbook(
    conn: &Connection,
    filter: &LineFilter,
    account: Option<&str>,
    out: &Path,
) -> Result<usize> {
    let marks: Vec<Annotation> = annotations::list(conn, None)?;
    let rec: Reconciliation = reconcile::reconcile(conn, account)?;
    let mut wb = Workbook::new();

    let ws = wb.add_worksheet().set_name("Lines").map_err(xlsx_err)?;
    header(
        ws,
        &[
            "line id",
            "source file",
            "source line",
            "provider",
            "account",
            "member",
            "month",
            "service",
            "resource",
            "region",
            "category",
            "currency",
            "billed cost",
            "billed cost (exact)",
            "effective cost",
            "effective cost (exact)",
            "review",
            "note",
        ],
    )?;
    let mut n = 0usize;
    for_each_line(conn, filter, |l| {
        n += 1;
        let l = &l;
        // A sheet holds 1,048,576 rows: the header and 1,048,575 lines.
        let r = u32::try_from(n).ok().filter(|&r| r < 1_048_576).ok_or_else(|| {
            Error::refused("more than 1,048,575 lines do not fit in one sheet: narrow the filter, or export CSV")
        })?;
        let o = |s: &Option<String>| s.clone().unwrap_or_default();
        ws.write_number(r, 0, l.id as f64).map_err(xlsx_err)?;
        for (c, v) in [
            (1, l.source_file.clone()),
            (3, l.provider.clone()),
            (4, l.account.clone()),
            (5, o(&l.sub_account)),
            (6, l.month.clone()),
            (7, l.service.clone()),
            (8, o(&l.resource_id)),
            (9, o(&l.region)),
            (10, l.category.clone()),
            (11, l.currency.clone()),
        ] {
            ws.write_string(r, c, v).map_err(xlsx_err)?;
        }
        ws.write_number(r, 2, l.source_line as f64)
            .map_err(xlsx_err)?;
        money(ws, r, 12, &l.billed_cost, &l.currency)?;
        money(ws, r, 14, &l.effective_cost, &l.currency)?;
        let (status, note) = review_of(conn, l)?;
        ws.write_string(r, 16, status).map_err(xlsx_err)?;
        ws.write_string(r, 17, note).map_err(xlsx_err)?;
        Ok(())
    })?;

    let ws = wb
        .add_worksheet()
        .set_name("Review marks")
        .map_err(xlsx_err)?;
    header(
        ws,
        &[
            "target",
            "account",
            "month",
            "resource",
            "service",
            "status",
            "note",
            "reviewer",
            "at",
            "lines",
            "orphaned",
            "currency",
            "billed when marked",
            "billed now",
            "amount changed",
        ],
    )?;
    for (i, a) in marks.iter().enumerate() {
        let r = i as u32 + 1;
        let o = |s: &Option<String>| s.clone().unwrap_or_default();
        for (c, v) in [
            (0, a.target.clone()),
            (1, o(&a.account)),
            (2, a.month.clone()),
            (3, o(&a.resource_id)),
            (4, o(&a.service)),
            (5, a.status.clone()),
            (6, o(&a.note)),
            (7, o(&a.reviewer)),
            (8, a.at.clone()),
        ] {
            ws.write_string(r, c, v).map_err(xlsx_err)?;
        }
        ws.write_number(r, 9, a.lines as f64).map_err(xlsx_err)?;
        ws.write_string(r, 10, if a.orphaned { "yes" } else { "no" })
            .map_err(xlsx_err)?;
        if let Some(c) = &a.currency {
            ws.write_string(r, 11, c).map_err(xlsx_err)?;
            // Exact text: the sheet's money cells elsewhere have a number and its text; these
            // two are read beside each other, as text.
            for (col, v) in [(12, a.billed_when_marked), (13, a.billed_now)] {
                if let Some(v) = v {
                    ws.write_string(r, col, crate::money::to_text(v))
                        .map_err(xlsx_err)?;
                }
            }
        }
        ws.write_string(r, 14, if a.amount_changed { "yes" } else { "no" })
            .map_err(xlsx_err)?;
    }

    let ws = wb.add_worksheet().set_name("Invoices").map_err(xlsx_err)?;
    header(
        ws,
        &[
            "invoice",
            "account",
            "currency",
            "invoice amount",
            "exact",
            "lines billed",
            "exact",
            "difference",
            "exact",
            "lines",
            "matches",
        ],
    )?;
    for (i, x) in rec.invoices.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, &x.invoice_id).map_err(xlsx_err)?;
        ws.write_string(r, 1, &x.account).map_err(xlsx_err)?;
        ws.write_string(r, 2, &x.currency).map_err(xlsx_err)?;
        money(
            ws,
            r,
            3,
            &x.invoice_amount.normalize().to_string(),
            &x.currency,
        )?;
        money(
            ws,
            r,
            5,
            &x.lines_billed.normalize().to_string(),
            &x.currency,
        )?;
        money(ws, r, 7, &x.difference.normalize().to_string(), &x.currency)?;
        ws.write_number(r, 9, x.lines as f64).map_err(xlsx_err)?;
        ws.write_string(r, 10, if x.matches { "yes" } else { "no" })
            .map_err(xlsx_err)?;
    }

    let ws = wb
        .add_worksheet()
        .set_name("Balance checks")
        .map_err(xlsx_err)?;
    header(
        ws,
        &[
            "account",
            "purse",
            "at",
            "provider says",
            "ledger says",
            "difference",
            "matches",
        ],
    )?;
    for (i, x) in rec.assertions.iter().enumerate() {
        let r = i as u32 + 1;
        for (c, v) in [(0, &x.account), (1, &x.purse), (2, &x.at)] {
            ws.write_string(r, c, v).map_err(xlsx_err)?;
        }
        for (c, v) in [(3, x.provider_says), (4, x.ledger_says), (5, x.difference)] {
            ws.write_string(r, c, v.normalize().to_string())
                .map_err(xlsx_err)?;
        }
        ws.write_string(r, 6, if x.matches { "yes" } else { "no" })
            .map_err(xlsx_err)?;
    }

    let ws = wb
        .add_worksheet()
        .set_name("Payment split")
        .map_err(xlsx_err)?;
    header(
        ws,
        &[
            "line id",
            "account",
            "source file",
            "source line",
            "finding",
        ],
    )?;
    for (i, x) in rec.payment_split.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_number(r, 0, x.line_id as f64).map_err(xlsx_err)?;
        ws.write_string(r, 1, &x.account).map_err(xlsx_err)?;
        ws.write_string(r, 2, &x.source_file).map_err(xlsx_err)?;
        ws.write_number(r, 3, x.source_line as f64)
            .map_err(xlsx_err)?;
        ws.write_string(r, 4, &x.message).map_err(xlsx_err)?;
    }

    let ws = wb
        .add_worksheet()
        .set_name("Completeness")
        .map_err(xlsx_err)?;
    header(
        ws,
        &["account", "provider", "month", "status", "missing days"],
    )?;
    for (i, x) in rec.completeness.iter().enumerate() {
        let r = i as u32 + 1;
        for (c, v) in [
            (0, &x.account),
            (1, &x.provider),
            (2, &x.month),
            (3, &x.status),
        ] {
            ws.write_string(r, c, v).map_err(xlsx_err)?;
        }
        ws.write_string(r, 4, x.missing_days.join(" "))
            .map_err(xlsx_err)?;
    }

    let ws = wb.add_worksheet().set_name("Sign-offs").map_err(xlsx_err)?;
    header(
        ws,
        &[
            "account",
            "month",
            "currency",
            "signed at",
            "reviewer",
            "signed billed",
            "current billed",
            "difference",
            "changed",
        ],
    )?;
    for (i, x) in rec.signoffs.iter().enumerate() {
        let r = i as u32 + 1;
        for (c, v) in [
            (0, &x.account),
            (1, &x.month),
            (2, &x.currency),
            (3, &x.signed_at),
        ] {
            ws.write_string(r, c, v).map_err(xlsx_err)?;
        }
        ws.write_string(r, 4, x.reviewer.clone().unwrap_or_default())
            .map_err(xlsx_err)?;
        for (c, v) in [
            (5, x.signed_billed),
            (6, x.current_billed),
            (7, x.difference),
        ] {
            ws.write_string(r, c, v.normalize().to_string())
                .map_err(xlsx_err)?;
        }
        ws.write_string(r, 8, if x.changed { "yes" } else { "no" })
            .map_err(xlsx_err)?;
    }

    wb.save(out).map_err(xlsx_err)?;
    Ok(n)
}
