//! The commands the UI may call. Each one is a thin wrapper: take the ledger, call one core
//! function, map the result to transport types and the error to `{code, message}`.
//! They run off the main thread (`async`), so the window never waits on SQLite.

use billfold::costs::GroupBy;
use billfold::ledger::{self, NewVoucher, TopUpMethod, VoucherKind};
use billfold::money::{parse_amount, parse_positive, Currency};
use billfold::review::{annotations, export, fx, reconcile};
use billfold::{accounts, demo, overview as core, review, time};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use crate::convert;
use crate::dto::{self, CommandError};
use crate::Ledger;

type Reply<T> = Result<T, CommandError>;

/// Months of expenditure trend on the overview unless the UI asks for more, and the most it may.
pub const TREND_MONTHS: u32 = 6;
pub const MAX_TREND_MONTHS: u32 = 36;

/// What the window needs to paint, in one round trip: the scope switcher's choices, the scope
/// to show (the remembered one if the ledger has it, else the default) and, on the overview
/// page, its overview. Each round trip before the first paint costs tens of milliseconds.
#[tauri::command(async)]
pub fn start(ledger: State<'_, Ledger>, request: dto::StartRequest) -> Reply<dto::Start> {
    crate::trace("start asked");
    let conn = ledger.conn()?;
    let scopes = dto::Scopes {
        orgs: accounts::list_orgs(&conn)?.iter().map(Into::into).collect(),
        accounts: accounts::list_accounts(&conn)?
            .iter()
            .map(Into::into)
            .collect(),
    };
    let scope = convert::pick_scope(&scopes, request.scope);
    let overview = match &scope {
        Some(s) if request.overview => Some(overview_of(&conn, &ledger, s, request.months)?),
        _ => None,
    };
    let import_settle = billfold::import::settles_imports(&conn)?;
    crate::trace("start answered");
    Ok(dto::Start {
        scopes,
        scope,
        overview,
        import_settle,
    })
}

/// The overview of another scope or trend range (the window switching scope).
#[tauri::command(async)]
pub fn overview(
    ledger: State<'_, Ledger>,
    scope: dto::Scope,
    months: Option<u32>,
) -> Reply<dto::Overview> {
    overview_of(&*ledger.conn()?, &ledger, &scope, months)
}

fn overview_of(
    conn: &rusqlite::Connection,
    ledger: &Ledger,
    scope: &dto::Scope,
    months: Option<u32>,
) -> Reply<dto::Overview> {
    let months = months.unwrap_or(TREND_MONTHS).clamp(1, MAX_TREND_MONTHS);
    let o = core::overview(conn, &scope.clone().into(), ledger.now(), months)?;
    Ok(o.into())
}

#[tauri::command(async)]
pub fn set_balance_alert(
    ledger: State<'_, Ledger>,
    request: dto::BalanceAlertRequest,
) -> Reply<()> {
    let threshold = request.threshold.as_deref().map(parse_amount).transpose()?;
    accounts::set_alert(&*ledger.conn()?, &request.account, threshold)?;
    Ok(())
}

/// Records a movement under the form's operation id; answers the core's one-sentence summary
/// of what happened. The same id again is a no-op in the core (its summary says so), so a
/// double click or a retry records the movement once.
#[tauri::command(async)]
pub fn record_movement(ledger: State<'_, Ledger>, request: dto::MovementRequest) -> Reply<String> {
    let at = ledger.now();
    record(&mut *ledger.conn()?, at, request)
}

fn record(
    conn: &mut rusqlite::Connection,
    at: chrono::DateTime<chrono::Utc>,
    request: dto::MovementRequest,
) -> Reply<String> {
    let op_id = op_id(&request.op_id)?;
    let outcome = match request.movement {
        dto::Movement::Topup { account, amount } => {
            let amount = parse_positive(&amount)?;
            ledger::topup(conn, &account, amount, TopUpMethod::Online, at, op_id)?
        }
        dto::Movement::Withdraw { account, amount } => {
            ledger::withdraw(conn, &account, parse_positive(&amount)?, at, op_id)?
        }
        dto::Movement::Voucher {
            account,
            amount,
            voucher_kind,
            expires,
        } => {
            let voucher = NewVoucher {
                amount: parse_positive(&amount)?,
                kind: match voucher_kind.as_str() {
                    "regular" => VoucherKind::Regular,
                    "discount" => VoucherKind::Discount,
                    other => {
                        return Err(billfold::Error::invalid(format!(
                            "'{other}' is not a voucher kind: expected regular or discount"
                        ))
                        .into())
                    }
                },
                expires: time::parse_until(&expires)?,
                products: None,
                number: None,
            };
            ledger::add_voucher(conn, &account, &voucher, at, op_id)?
        }
        dto::Movement::Card {
            account,
            amount,
            expires,
        } => {
            let expires = expires.as_deref().map(time::parse_until).transpose()?;
            ledger::buy_card(conn, &account, parse_positive(&amount)?, expires, at, op_id)?
        }
    };
    Ok(outcome.summary)
}

/// The form's operation id: not blank, at most 100 characters (a UUID has 36).
fn op_id(id: &str) -> Result<Option<&str>, billfold::Error> {
    let id = id.trim();
    if id.is_empty() || id.chars().count() > 100 {
        return Err(billfold::Error::invalid(
            "a movement needs an operation id of 1 to 100 characters",
        ));
    }
    Ok(Some(id))
}

/// Writes the demo ledger into an empty ledger.
#[tauri::command(async)]
pub fn open_demo(ledger: State<'_, Ledger>) -> Reply<()> {
    let at = ledger.now();
    demo::populate(&mut *ledger.conn()?, at)?;
    Ok(())
}

/// Opens the native file dialog and imports the files picked; `None` when cancelled.
#[tauri::command(async)]
pub fn import_bills(app: AppHandle, ledger: State<'_, Ledger>) -> Reply<Option<dto::ImportReport>> {
    let paths = match &ledger.pick_override {
        Some(p) => vec![p.clone()],
        None => match app
            .dialog()
            .file()
            .set_title("Import bills")
            .add_filter("Bill exports (CSV, gzip)", &["csv", "gz", "txt"])
            .blocking_pick_files()
        {
            None => return Ok(None),
            Some(picked) => picked
                .into_iter()
                .filter_map(|f| f.into_path().ok())
                .collect(),
        },
    };
    Ok(Some(crate::import::import_paths(
        &app, &ledger, &paths, None,
    )))
}

/// Imports again a file refused because it does not say its amounts' currency (its
/// `awaiting_currency` number, answered once, while the file holds the bytes refused), reading
/// them in `currency` as `billfold import --currency` does.
#[tauri::command(async)]
pub fn import_in_currency(
    app: AppHandle,
    ledger: State<'_, Ledger>,
    file: u32,
    currency: String,
) -> Reply<dto::ImportReport> {
    let currency = Currency::parse(&currency)?;
    let (path, sha256) = ledger.take_awaiting_currency(file)?;
    let again = crate::import::Again { currency, sha256 };
    Ok(crate::import::import_paths(
        &app,
        &ledger,
        &[path],
        Some(again),
    ))
}

/// Whether later imports (the dialog's and dropped files) settle the bills against the purses.
#[tauri::command(async)]
pub fn set_import_settle(ledger: State<'_, Ledger>, on: bool) -> Reply<()> {
    Ok(billfold::import::set_settles_imports(&*ledger.conn()?, on)?)
}

// ---- bill review (issue 5) ----

/// The values the explorer's filters can take in a scope: every line of the scope grouped by
/// each filter dimension at once (one core call), reduced to the distinct values.
#[tauri::command(async)]
pub fn review_facets(ledger: State<'_, Ledger>, scope: dto::Scope) -> Reply<dto::Facets> {
    let filter = dto::ReviewFilter::of_scope(scope).to_core()?;
    let all = review::groups(&*ledger.conn()?, &filter, &convert::FACET_DIMENSIONS)?;
    Ok(convert::facets(all))
}

/// One page (100 lines) of the explorer, with the exact totals of every matching line.
#[tauri::command(async)]
pub fn review_lines(ledger: State<'_, Ledger>, query: dto::LinesQuery) -> Reply<dto::LinePage> {
    let filter = query.filter.to_core()?;
    let sort: review::SortBy = query.sort.parse()?;
    let page = review::lines(&*ledger.conn()?, &filter, sort, query.page.max(1) as usize)?;
    Ok(page.into())
}

/// The explorer's lines grouped by one dimension, exact sums per currency.
#[tauri::command(async)]
pub fn review_groups(ledger: State<'_, Ledger>, query: dto::GroupsQuery) -> Reply<dto::Groups> {
    let filter = query.filter.to_core()?;
    let by: GroupBy = query.by.parse()?;
    let all = review::groups(&*ledger.conn()?, &filter, std::slice::from_ref(&by))?;
    Ok(convert::groups(&by, all))
}

/// The original row of a line, as its file had it.
#[tauri::command(async)]
pub fn original_row(ledger: State<'_, Ledger>, line_id: i64) -> Reply<dto::OriginalRow> {
    let row = review::original_row(&*ledger.conn()?, line_id)?;
    Ok(convert::original_row(row))
}

/// Month over month over the explorer's filter (its period aside), bounded for the window.
#[tauri::command(async)]
pub fn review_diff(ledger: State<'_, Ledger>, query: dto::DiffQuery) -> Reply<dto::Diff> {
    convert::check_month(&query.from)?;
    convert::check_month(&query.to)?;
    let mut filter = query.filter.to_core()?;
    (filter.from, filter.to) = (None, None);
    let by = match query.by.as_str() {
        "service" => review::DiffBy::Service,
        "resource" => review::DiffBy::Resource,
        other => {
            return Err(billfold::Error::invalid(format!(
                "'{other}' is not a comparison: expected service or resource"
            ))
            .into())
        }
    };
    let d = review::diff(&*ledger.conn()?, &filter, &query.from, &query.to, by)?;
    Ok(d.into())
}

/// Puts a review mark (reviewed, disputed, accepted) with a note, signed with the reviewer's
/// name, at the shell's clock.
#[tauri::command(async)]
pub fn review_mark(ledger: State<'_, Ledger>, request: dto::MarkRequest) -> Reply<dto::Mark> {
    let at = ledger.now();
    let note = request
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let target: annotations::Target = request.target.into();
    let mark = annotations::mark(&*ledger.conn()?, &target, &request.status, note, at)?;
    Ok(mark.into())
}

/// The current marks (optionally of one status), orphans flagged.
#[tauri::command(async)]
pub fn review_marks(ledger: State<'_, Ledger>, status: Option<String>) -> Reply<dto::Marks> {
    let status = status.filter(|s| !s.is_empty());
    let all = annotations::list(&*ledger.conn()?, status.as_deref())?;
    Ok(convert::marks(all))
}

/// The reviewer's name (a local setting), if set.
#[tauri::command(async)]
pub fn reviewer(ledger: State<'_, Ledger>) -> Reply<Option<String>> {
    Ok(review::reviewer(&*ledger.conn()?)?)
}

#[tauri::command(async)]
pub fn set_reviewer(ledger: State<'_, Ledger>, name: String) -> Reply<()> {
    review::set_reviewer(&*ledger.conn()?, &name)?;
    Ok(())
}

/// Reconciliation of the scope: one account, each account of an organization, or all.
#[tauri::command(async)]
pub fn reconciliation(ledger: State<'_, Ledger>, scope: dto::Scope) -> Reply<dto::Reconciliation> {
    let conn = ledger.conn()?;
    let mut out = dto::Reconciliation::empty();
    match scope {
        dto::Scope::All => out.extend(reconcile::reconcile(&conn, None)?),
        dto::Scope::Account { id } => out.extend(reconcile::reconcile(&conn, Some(&id))?),
        dto::Scope::Org { .. } => {
            for account in core::scope_accounts(&conn, &scope.into())? {
                out.extend(reconcile::reconcile(&conn, Some(&account.id))?);
            }
        }
    }
    Ok(out)
}

/// Records an invoice as the provider issued it (a later amount for the same id replaces it).
#[tauri::command(async)]
pub fn add_invoice(ledger: State<'_, Ledger>, request: dto::InvoiceRequest) -> Reply<()> {
    let amount = parse_amount(&request.amount)?;
    let id = request.invoice_id.trim();
    if id.is_empty() {
        return Err(billfold::Error::invalid("the invoice id must not be empty").into());
    }
    reconcile::add_invoice(&*ledger.conn()?, id, amount, &request.account)?;
    Ok(())
}

/// Records "the provider shows PURSE = AMOUNT on AT" for checking against the ledger.
#[tauri::command(async)]
pub fn add_assertion(ledger: State<'_, Ledger>, request: dto::AssertionRequest) -> Reply<()> {
    let amount = parse_amount(&request.amount)?;
    let at = time::parse(&request.at)?;
    reconcile::add_assertion(
        &*ledger.conn()?,
        &request.account,
        &request.purse,
        amount,
        at,
    )?;
    Ok(())
}

/// Signs off a month of an account: its billed totals as they are now.
#[tauri::command(async)]
pub fn sign_off(
    ledger: State<'_, Ledger>,
    request: dto::SignoffRequest,
) -> Reply<Vec<dto::Signoff>> {
    convert::check_month(&request.month)?;
    let at = ledger.now();
    let done = reconcile::sign_off(&*ledger.conn()?, &request.account, &request.month, at)?;
    Ok(done.into_iter().map(convert::signoff).collect())
}

/// Records an exchange rate: 1 FROM = RATE TO on a date.
#[tauri::command(async)]
pub fn add_fx_rate(ledger: State<'_, Ledger>, request: dto::FxRateRequest) -> Reply<()> {
    let (from, to) = (
        Currency::parse(&request.from)?,
        Currency::parse(&request.to)?,
    );
    let rate = parse_positive(&request.rate)?;
    let on = time::parse(&request.on)?.date_naive();
    fx::add(&*ledger.conn()?, &from, &to, rate, on)?;
    Ok(())
}

/// The rates the user keeps, by currency pair then date.
#[tauri::command(async)]
pub fn fx_rates(ledger: State<'_, Ledger>) -> Reply<Vec<dto::FxRate>> {
    Ok(fx::list(&*ledger.conn()?)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Converts an amount with the latest rate on or before a date; says which rate it used.
#[tauri::command(async)]
pub fn convert_amount(
    ledger: State<'_, Ledger>,
    request: dto::ConvertRequest,
) -> Reply<dto::Converted> {
    let amount = parse_amount(&request.amount)?;
    let (from, to) = (
        Currency::parse(&request.from)?,
        Currency::parse(&request.to)?,
    );
    let on = time::parse(&request.on)?.date_naive();
    Ok(fx::convert(&*ledger.conn()?, amount, &from, &to, on)?.into())
}

/// Exports the explorer's view as CSV, or the review as an XLSX workbook, to a file chosen in
/// the native save dialog (opened here, in Rust); `None` when cancelled. Written on a
/// connection of its own, so the window keeps answering while a large export runs.
#[tauri::command(async)]
pub fn export_review(
    app: AppHandle,
    ledger: State<'_, Ledger>,
    request: dto::ExportRequest,
) -> Reply<Option<dto::ExportDone>> {
    let filter = request.filter.to_core()?;
    let (name, label, ext) = match request.format.as_str() {
        "csv" => ("billfold-lines.csv", "CSV", "csv"),
        "xlsx" => ("billfold-review.xlsx", "Excel workbook", "xlsx"),
        other => {
            return Err(billfold::Error::invalid(format!(
                "'{other}' is not an export format: expected csv or xlsx"
            ))
            .into())
        }
    };
    let path = match &ledger.save_override {
        Some(p) if p.is_dir() => p.join(name),
        Some(p) => p.clone(),
        None => match app
            .dialog()
            .file()
            .set_title("Export")
            .set_file_name(name)
            .add_filter(label, &[ext])
            .blocking_save_file()
            .map(|f| f.into_path())
        {
            None => return Ok(None),
            Some(Ok(p)) => p,
            Some(Err(e)) => {
                return Err(CommandError::internal(format!(
                    "the dialog answered a location that is not a file path: {e}"
                )))
            }
        },
    };
    let conn = billfold::store::open(&ledger.path)?;
    let lines = if ext == "xlsx" {
        export::workbook(&conn, &filter, request.filter.account().as_deref(), &path)?
    } else {
        export::lines_csv(&conn, &filter, &path)?
    };
    Ok(Some(dto::ExportDone {
        path: path.display().to_string(),
        format: ext.to_string(),
        lines: u32::try_from(lines).unwrap_or(u32::MAX),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_ledger(name: &str) -> (std::path::PathBuf, rusqlite::Connection) {
        let dir =
            std::env::temp_dir().join(format!("billfold-desktop-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut conn = billfold::store::open(&dir.join("ledger.sqlite")).unwrap();
        demo::populate(&mut conn, time::parse("2026-11-23T09:00:00Z").unwrap()).unwrap();
        (dir, conn)
    }

    fn cash(conn: &rusqlite::Connection, account: &str) -> String {
        let at = time::parse("2026-12-31T00:00:00Z").unwrap();
        let o = core::overview(conn, &core::Scope::Account(account.into()), at, 1).unwrap();
        let block: dto::Overview = o.into();
        block.currencies[0].balances.cash.clone()
    }

    /// A double click or a retry sends the form's id again: the movement is recorded once.
    #[test]
    fn the_same_operation_id_records_a_movement_once() {
        let (dir, mut conn) = demo_ledger("replay");
        let before = cash(&conn, "acme-hq");
        let request = |op_id: &str, amount: &str| dto::MovementRequest {
            op_id: op_id.into(),
            movement: dto::Movement::Topup {
                account: "acme-hq".into(),
                amount: amount.into(),
            },
        };
        let t1 = time::parse("2026-11-24T09:00:00Z").unwrap();
        let t2 = time::parse("2026-11-24T09:00:07Z").unwrap();
        let first = record(&mut conn, t1, request("form-1", "100")).unwrap();
        assert!(first.starts_with("topped up"), "{first}");
        let again = record(&mut conn, t2, request("form-1", "100")).unwrap();
        assert!(again.contains("already applied"), "{again}");
        let once = parse_amount(&before).unwrap() + parse_amount("100").unwrap();
        assert_eq!(parse_amount(&cash(&conn, "acme-hq")).unwrap(), once);
        // The same id with other values is refused; another form's id records anew.
        let e = record(&mut conn, t2, request("form-1", "50")).unwrap_err();
        assert_eq!(e.code, dto::ErrorCode::Conflict);
        record(&mut conn, t2, request("form-2", "100")).unwrap();
        let twice = once + parse_amount("100").unwrap();
        assert_eq!(parse_amount(&cash(&conn, "acme-hq")).unwrap(), twice);
        // A blank id is a mistake of the caller, not "no id".
        let e = record(&mut conn, t2, request("  ", "100")).unwrap_err();
        assert_eq!(e.code, dto::ErrorCode::InvalidInput);
        drop(conn);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
