//! Transport types: what crosses the IPC boundary, and nothing else.
//!
//! They are separate from the core's domain types on purpose: the core may grow fields and
//! rename internals without the UI noticing, and the UI's contract is exactly what is here.
//! Money is always an exact decimal string (never a float). Counts are `u32` so that they
//! arrive in TypeScript as `number`, not `bigint`.
//!
//! Every type here has a generated TypeScript twin in `ui/src/bindings/` (ts-rs); the test
//! `bindings_are_fresh` fails when those files are stale (`make bindings` rewrites them).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The error every command returns: the UI branches on `code`, and shows `message`.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
}

/// The core's stable error codes, plus `internal` for a fault in the shell itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidInput,
    NotFound,
    Refused,
    Conflict,
    Import,
    LedgerTooNew,
    Storage,
    Internal,
}

/// What the overview is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    All,
    Account { id: String },
    Org { id: String },
}

/// The choices of the scope switcher.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Scopes {
    pub orgs: Vec<OrgInfo>,
    pub accounts: Vec<AccountInfo>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct OrgInfo {
    pub id: String,
    /// `unified` or `self-pay`.
    pub mode: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AccountInfo {
    pub id: String,
    pub name: Option<String>,
    pub provider: String,
    pub currency: String,
    /// `prepaid` or `postpaid`.
    pub mode: String,
    pub org: Option<String>,
    /// `admin` or `member` when in an organization.
    pub role: Option<String>,
    pub alert_enabled: bool,
    pub alert_threshold: Option<String>,
}

/// The overview page (SPEC §5), the JSON contract of `billfold overview --json`.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Overview {
    pub as_of: String,
    /// `unified` or `self-pay` when the scope is an organization.
    pub finance_mode: Option<String>,
    pub currencies: Vec<CurrencyOverview>,
    pub renewals: Renewals,
    /// Most severe first (the core's order).
    pub alerts: Vec<Alert>,
    /// The accounts the scope covers, with their own available balance.
    pub members: Vec<MemberRow>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct MemberRow {
    pub id: String,
    pub name: Option<String>,
    pub provider: String,
    pub currency: String,
    pub mode: String,
    pub role: Option<String>,
    pub available: String,
}

/// The figures of one currency: never summed with another currency's.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CurrencyOverview {
    pub currency: String,
    /// Payment modes of the accounts in this block: `prepaid`, `postpaid` or both.
    pub modes: Vec<String>,
    pub balances: Balances,
    pub unpaid_orders: UnpaidOrders,
    pub cash_coupons: CountAmount,
    pub invoiceable: String,
    pub trend: Vec<TrendMonth>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Balances {
    pub available: String,
    pub cash: String,
    pub complimentary: String,
    pub revenue: String,
    pub vouchers: String,
    pub prepaid_cards: String,
    pub frozen: String,
    pub pending_withdrawals: String,
    pub arrears: String,
    pub withdrawable: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct UnpaidOrders {
    pub count: u32,
    pub amount: String,
    pub overdue_count: u32,
    pub overdue_amount: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct CountAmount {
    pub count: u32,
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct TrendMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub amount: String,
    pub net_amount: String,
    pub services: Vec<ServiceAmount>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ServiceAmount {
    pub service: String,
    pub amount: String,
    pub net_amount: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Renewals {
    pub due_30d: u32,
    pub expired: u32,
    pub frozen: u32,
    /// The resources behind the counts (the core keeps the first 50).
    pub items: Vec<RenewalItem>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RenewalItem {
    /// `due`, `expired` or `frozen`.
    pub state: String,
    pub id: String,
    pub account: String,
    pub product: String,
    pub region: Option<String>,
    pub expires_at: String,
    pub auto_renew: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Alert {
    pub kind: String,
    /// `critical`, `warning` or `info`.
    pub severity: String,
    /// What happened, by when it matters, and what to do.
    pub message: String,
    pub account: String,
    /// When it matters, if there is such a time.
    pub due_at: Option<String>,
}

/// The bill lines behind one bar of the trend: a month, optionally one service.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct LinesRequest {
    pub scope: Scope,
    pub currency: String,
    /// `YYYY-MM`.
    pub month: String,
    pub service: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct BillLines {
    /// Every matching line, though at most 100 per account are listed (largest first).
    pub total_lines: u32,
    pub lines: Vec<BillLine>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct BillLine {
    pub service: String,
    pub account: String,
    pub source_file: String,
    pub source_line: u32,
    pub resource_id: Option<String>,
    pub description: Option<String>,
    pub billed_cost: String,
    pub effective_cost: String,
}

/// The balance-alert switch of one account.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct BalanceAlertRequest {
    pub account: String,
    /// `None` switches the alert off; otherwise a decimal threshold.
    pub threshold: Option<String>,
}

/// A movement recorded by hand. Amounts are decimal strings, dates `YYYY-MM-DD`.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Movement {
    Topup {
        account: String,
        amount: String,
    },
    Withdraw {
        account: String,
        amount: String,
    },
    Voucher {
        account: String,
        amount: String,
        /// `regular` or `discount`.
        voucher_kind: String,
        expires: String,
    },
    Card {
        account: String,
        amount: String,
        expires: Option<String>,
    },
}

/// Progress of an import, sent as the event `import-progress`: one when a file starts, one
/// when it ends (`done`).
#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportProgress {
    pub file: String,
    /// Position of this file among the files of the import (1-based), and how many there are.
    pub index: u32,
    pub total: u32,
    /// Lines written so far.
    pub rows: u32,
    pub done: bool,
}

/// The outcome of an import of one or more files.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportReport {
    pub files: Vec<ImportedFile>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportedFile {
    /// The file's name (not its full path).
    pub file: String,
    /// `imported`, `already_imported` (the same bytes were imported before: nothing added) or
    /// `failed` (nothing of the file was written; see `error`).
    pub status: String,
    /// The bill format recognised, e.g. `focus-1.2`.
    pub format: Option<String>,
    /// Lines written.
    pub rows: u32,
    /// Why the file was refused as a whole: file, line, column and value.
    pub error: Option<CommandError>,
}

/// Every exported type, for the binding generator and its freshness test.
#[cfg(test)]
pub(crate) fn bindings() -> Vec<(String, String)> {
    macro_rules! all {
        ($($t:ty),* $(,)?) => {
            vec![$((<$t as TS>::name(), <$t as TS>::export_to_string().expect("ts-rs export"))),*]
        };
    }
    all![
        CommandError,
        ErrorCode,
        Scope,
        Scopes,
        OrgInfo,
        AccountInfo,
        Overview,
        MemberRow,
        CurrencyOverview,
        UnpaidOrders,
        Balances,
        CountAmount,
        TrendMonth,
        ServiceAmount,
        Renewals,
        RenewalItem,
        Alert,
        BalanceAlertRequest,
        LinesRequest,
        BillLines,
        BillLine,
        Movement,
        ImportProgress,
        ImportReport,
        ImportedFile,
    ]
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    /// Fails when `ui/src/bindings/` no longer matches these types. With `UPDATE_BINDINGS=1`
    /// it rewrites them instead (`make bindings`).
    #[test]
    fn bindings_are_fresh() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings");
        let update = std::env::var_os("UPDATE_BINDINGS").is_some();
        let mut stale = Vec::new();
        for (name, text) in super::bindings() {
            let path = dir.join(format!("{name}.ts"));
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &text).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(name);
            }
        }
        assert!(
            stale.is_empty(),
            "ui/src/bindings is stale for {stale:?}: run `make bindings` and commit the result"
        );
    }
}
