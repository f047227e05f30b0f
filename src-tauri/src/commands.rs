//! The commands the UI may call. Each one is a thin wrapper: take the ledger, call one core
//! function, map the result to transport types and the error to `{code, message}`.
//! They run off the main thread (`async`), so the window never waits on SQLite.

use billfold::ledger::{self, NewVoucher, TopUpMethod, VoucherKind};
use billfold::money::{parse_amount, parse_positive};
use billfold::{accounts, demo, overview as core, review, time};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use crate::dto::{self, CommandError};
use crate::Ledger;

type Reply<T> = Result<T, CommandError>;

/// Months of expenditure trend on the overview unless the UI asks for more, and the most it may.
pub const TREND_MONTHS: u32 = 6;
pub const MAX_TREND_MONTHS: u32 = 36;

#[tauri::command(async)]
pub fn scopes(ledger: State<'_, Ledger>) -> Reply<dto::Scopes> {
    let conn = ledger.conn()?;
    let orgs = accounts::list_orgs(&conn)?;
    let accounts = accounts::list_accounts(&conn)?;
    Ok(dto::Scopes {
        orgs: orgs.iter().map(Into::into).collect(),
        accounts: accounts.iter().map(Into::into).collect(),
    })
}

#[tauri::command(async)]
pub fn overview(
    ledger: State<'_, Ledger>,
    scope: dto::Scope,
    months: Option<u32>,
) -> Reply<dto::Overview> {
    let months = months.unwrap_or(TREND_MONTHS).clamp(1, MAX_TREND_MONTHS);
    let conn = ledger.conn()?;
    let o = core::overview(&conn, &scope.into(), ledger.now(), months)?;
    Ok(o.into())
}

/// The bill lines behind a bar of the trend, in each account of the scope that bills in the
/// bar's currency (the explorer of `billfold lines`, one page per account).
#[tauri::command(async)]
pub fn bill_lines(ledger: State<'_, Ledger>, request: dto::LinesRequest) -> Reply<dto::BillLines> {
    let conn = ledger.conn()?;
    let mut out = dto::BillLines {
        total_lines: 0,
        lines: Vec::new(),
    };
    for account in core::scope_accounts(&conn, &request.scope.clone().into())? {
        if account.currency.code() != request.currency {
            continue;
        }
        let filter = review::LineFilter {
            account: Some(account.id.clone()),
            service: request.service.clone(),
            from: Some(request.month.clone()),
            to: Some(request.month.clone()),
            ..Default::default()
        };
        let page = review::lines(&conn, &filter, review::SortBy::Billed, 1)?;
        out.total_lines += u32::try_from(page.total_lines).unwrap_or(u32::MAX);
        out.lines.extend(page.lines.into_iter().map(Into::into));
    }
    Ok(out)
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

/// Records a movement; answers the core's one-sentence summary of what happened.
#[tauri::command(async)]
pub fn record_movement(ledger: State<'_, Ledger>, movement: dto::Movement) -> Reply<String> {
    let at = ledger.now();
    let mut conn = ledger.conn()?;
    let outcome = match movement {
        dto::Movement::Topup { account, amount } => {
            let amount = parse_positive(&amount)?;
            ledger::topup(&mut conn, &account, amount, TopUpMethod::Online, at, None)?
        }
        dto::Movement::Withdraw { account, amount } => {
            ledger::withdraw(&mut conn, &account, parse_positive(&amount)?, at, None)?
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
                expires: time::parse(&expires)?,
                products: None,
                number: None,
            };
            ledger::add_voucher(&mut conn, &account, &voucher, at, None)?
        }
        dto::Movement::Card {
            account,
            amount,
            expires,
        } => {
            let expires = expires.as_deref().map(time::parse).transpose()?;
            ledger::buy_card(
                &mut conn,
                &account,
                parse_positive(&amount)?,
                expires,
                at,
                None,
            )?
        }
    };
    Ok(outcome.summary)
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
    Ok(Some(crate::import::import_paths(&app, &ledger, &paths)))
}
