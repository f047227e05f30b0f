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
    /// A bill file that does not say its amounts' currency: `import_in_currency` imports it.
    CurrencyUnstated,
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

/// What the window asks first: everything it needs to paint, in one round trip.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct StartRequest {
    /// The scope the window remembers, if any; the default one when the ledger lacks it.
    pub scope: Option<Scope>,
    /// Months of expenditure trend (6 when `None`).
    pub months: Option<u32>,
    /// Also the overview of the scope chosen (the window is on the overview page).
    pub overview: bool,
}

/// The scope switcher's choices, the scope chosen and, when asked, its overview.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Start {
    pub scopes: Scopes,
    /// `None` when the ledger has no account yet (the empty state).
    pub scope: Option<Scope>,
    pub overview: Option<Overview>,
    /// Whether imports settle the bills against the purses (`import --settle`), kept in the
    /// ledger.
    pub import_settle: bool,
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
    /// Every unpaid order of the block; `orders` may list fewer.
    pub count: u32,
    pub amount: String,
    pub overdue_count: u32,
    pub overdue_amount: String,
    /// At most 20 (`convert::MAX_UNPAID_ORDERS`): the overdue first, then the oldest. The
    /// figures above count every order.
    pub orders: Vec<UnpaidOrder>,
}

/// One charge with a part still unpaid.
#[derive(Debug, Clone, Serialize, TS)]
pub struct UnpaidOrder {
    /// The account charged (a member's charge under unified payment names the member).
    pub account: String,
    /// What was charged (a service or product), when the charge says.
    pub product: Option<String>,
    /// When it was charged (RFC 3339).
    pub charged_at: String,
    /// The part still unpaid.
    pub amount: String,
    pub overdue: bool,
    /// When it falls overdue, for one not overdue yet (a postpaid charge, 15 days after it).
    pub due_at: Option<String>,
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

/// The balance-alert switch of one account.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct BalanceAlertRequest {
    pub account: String,
    /// `None` switches the alert off; otherwise a decimal threshold.
    pub threshold: Option<String>,
}

/// A movement recorded from the form, with the form's operation id.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct MovementRequest {
    /// Made by the form when it opens (a UUID) and kept while it stays open: sent again (a
    /// double click, a retry after an answer that never came), the movement is recorded once —
    /// the core answers that the operation was already applied; with other values, `conflict`.
    pub op_id: String,
    pub movement: Movement,
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

/// Progress of an import, sent as the event `import-progress`: when a file starts, a few times
/// a second while it is read, and when it ends (`done`).
#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportProgress {
    pub file: String,
    /// Position of this file among the files of the import (1-based), and how many there are.
    pub index: u32,
    pub total: u32,
    /// Lines written so far.
    pub rows: u32,
    /// How much of this file has been read, in thousandths of its bytes (0–1000).
    pub per_mille: u32,
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
    /// When it was refused only because it does not say its amounts' currency
    /// (`currency_unstated`): the number `import_in_currency` imports it again by, in a
    /// currency the user names. The web view never holds the file's path.
    pub awaiting_currency: Option<u32>,
    /// What else to read, a sentence each: what settling deducted or left, lines departing
    /// from the deduction order, signed-off months the file changed.
    pub notes: Vec<String>,
}

// ---- bill review (issue 5) ----

/// Which cost lines the Bills page covers: the scope and every narrowing the user chose.
/// `None` (or an empty text) means any.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ReviewFilter {
    pub scope: Scope,
    /// One billing account of the scope.
    pub account: Option<String>,
    pub provider: Option<String>,
    /// Sub account / member.
    pub sub_account: Option<String>,
    pub service: Option<String>,
    pub region: Option<String>,
    /// Charge category (usage, purchase, tax, credit, adjustment), any case.
    pub category: Option<String>,
    pub resource: Option<String>,
    /// First and last month, `YYYY-MM`, both included.
    pub from: Option<String>,
    pub to: Option<String>,
    /// `KEY` (the line has the tag) or `KEY=VALUE`.
    pub tag: Option<String>,
    /// Text in the description, resource id or resource name (any case).
    pub text: Option<String>,
    /// Only lines in this currency (of the accounts billing in it): what a per-currency
    /// figure (a trend bar, a group, a row of month over month) narrows to.
    pub currency: Option<String>,
}

/// The values the filters of a scope can take (every line of the scope, any period).
#[derive(Debug, Clone, Serialize, TS)]
pub struct Facets {
    /// Oldest first.
    pub months: Vec<String>,
    pub accounts: Vec<String>,
    pub providers: Vec<String>,
    pub members: Vec<String>,
    pub services: Vec<String>,
    pub regions: Vec<String>,
    pub categories: Vec<String>,
    pub currencies: Vec<String>,
}

/// One page of the explorer's lines.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct LinesQuery {
    pub filter: ReviewFilter,
    /// `billed`, `effective`, `list` (largest first) or `source` (file order).
    pub sort: String,
    /// 1-based.
    pub page: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct LinePage {
    pub page: u32,
    pub page_size: u32,
    /// Every matching line, not only this page.
    pub total_lines: u32,
    /// Exact billed sums of every matching line, one per currency (never added across).
    pub totals: Vec<CurrencyTotal>,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct CurrencyTotal {
    pub currency: String,
    pub billed_cost: String,
    pub lines: u32,
}

/// One cost line, with where it came from and its current review mark.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Line {
    #[ts(type = "number")]
    pub id: i64,
    pub source_file: String,
    pub source_line: u32,
    pub provider: String,
    pub account: String,
    pub sub_account: Option<String>,
    pub month: String,
    pub charge_start: Option<String>,
    pub charge_end: Option<String>,
    pub category: String,
    pub charge_class: Option<String>,
    pub service: String,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub region: Option<String>,
    pub sku_id: Option<String>,
    pub pricing_quantity: Option<String>,
    pub currency: String,
    pub billed_cost: String,
    pub effective_cost: String,
    pub list_cost: Option<String>,
    pub invoice_id: Option<String>,
    /// Tags as the JSON object text the bill had.
    pub tags: Option<String>,
    pub description: Option<String>,
    /// Cash coupons used on the line (net amount = billed − coupons).
    pub coupon_paid: Option<String>,
    /// `reviewed`, `disputed` or `accepted`: the mark of the line, else of its
    /// resource-month, else of its service-month.
    pub review: Option<String>,
}

/// The lines of a filter grouped by one dimension.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct GroupsQuery {
    pub filter: ReviewFilter,
    /// `month`, `service`, `account`, `sub_account`, `provider`, `region`, `category`,
    /// `resource` or `tag:KEY`.
    pub by: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Groups {
    pub by: String,
    /// How many (value, currency) groups there are. At most 200 are listed: by month in
    /// order; otherwise per currency, largest first (each currency keeps its largest).
    pub total_groups: u32,
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Group {
    /// `None`: the lines have no value for this dimension (no region, no such tag...).
    pub value: Option<String>,
    pub currency: String,
    pub billed_cost: String,
    pub effective_cost: String,
    pub list_cost: String,
    pub net_cost: String,
    pub lines: u32,
}

/// The original row of a line, as its file had it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct OriginalRow {
    pub source_file: String,
    /// The file's columns, in the file's order where the core keeps it.
    pub fields: Vec<RowField>,
    /// The raw record when the header is not known.
    pub raw: Option<String>,
    /// Why there is no row (a line recorded in Billfold, not imported).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RowField {
    pub column: String,
    pub value: String,
}

/// Month over month, over the explorer's filter (its period aside).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct DiffQuery {
    pub filter: ReviewFilter,
    /// `YYYY-MM`: the earlier and the later month.
    pub from: String,
    pub to: String,
    /// `service` or `resource`.
    pub by: String,
}

/// The month-over-month comparison, bounded: counts of every row, the 200 largest changes,
/// the ten biggest movers each way, up to 200 unit-price changes and the correction lines.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Diff {
    pub from: String,
    pub to: String,
    pub by: String,
    pub counts: DiffCounts,
    /// Rows that are new, gone or changed, largest change first (at most 200).
    pub rows: Vec<DiffRow>,
    pub movers_by_amount: Vec<DiffRow>,
    pub movers_by_pct: Vec<DiffRow>,
    pub unit_price_changes: Vec<UnitPriceChange>,
    pub total_unit_price_changes: u32,
    /// Lines of either month that correct an earlier period (the core keeps the first 100).
    pub corrections: Vec<Correction>,
    /// How many correction lines there are in all (more than listed when over 100).
    pub corrections_total: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DiffCounts {
    pub new: u32,
    pub gone: u32,
    pub changed: u32,
    pub same: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DiffRow {
    /// The service, or the resource id (`(service)` for lines without one).
    pub key: String,
    pub service: String,
    pub currency: String,
    /// `new`, `gone`, `changed` or `same`.
    pub status: String,
    pub from_amount: String,
    pub to_amount: String,
    pub change: String,
    /// Percent of the earlier month, two decimals; `None` when the row is new.
    pub change_pct: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct UnitPriceChange {
    pub resource: String,
    pub sku: Option<String>,
    pub currency: String,
    pub from_unit_price: String,
    pub to_unit_price: String,
}

/// A line that corrects an earlier period (FOCUS `ChargeClass = Correction`, adjustments).
#[derive(Debug, Clone, Serialize, TS)]
pub struct Correction {
    #[ts(type = "number")]
    pub id: i64,
    pub source_file: String,
    pub source_line: u32,
    pub account: String,
    pub month: String,
    pub service: String,
    pub resource_id: Option<String>,
    pub category: String,
    pub charge_class: Option<String>,
    pub currency: String,
    pub billed_cost: String,
}

/// What a review mark is put on.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MarkTarget {
    Line {
        #[ts(type = "number")]
        id: i64,
    },
    Resource {
        resource: String,
        month: String,
        account: Option<String>,
    },
    Service {
        service: String,
        month: String,
        account: Option<String>,
    },
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct MarkRequest {
    pub target: MarkTarget,
    /// `reviewed`, `disputed` or `accepted`.
    pub status: String,
    pub note: Option<String>,
}

/// The current mark of a charge.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Mark {
    #[ts(type = "number")]
    pub id: i64,
    /// `line`, `resource` or `service`.
    pub target: String,
    pub provider: Option<String>,
    pub account: Option<String>,
    pub month: String,
    pub resource_id: Option<String>,
    pub sku_id: Option<String>,
    pub service: Option<String>,
    pub status: String,
    pub note: Option<String>,
    pub reviewer: Option<String>,
    pub at: String,
    /// Lines that carry the charge now.
    pub lines: u32,
    /// No line carries the charge any more (a re-issued bill dropped it): shown, never dropped.
    pub orphaned: bool,
    /// What the marked lines billed when marked and bill now (exact decimal strings), in
    /// `currency`; `amount_changed` when a re-issued bill moved it.
    pub billed_when_marked: Option<String>,
    pub billed_now: Option<String>,
    pub currency: Option<String>,
    pub amount_changed: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Marks {
    /// Every current mark of the status asked; at most 500 (the newest) are listed.
    pub total: u32,
    pub orphaned: u32,
    pub marks: Vec<Mark>,
}

/// Reconciliation of the scope's accounts.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Reconciliation {
    /// The purses a balance assertion can name.
    pub purses: Vec<String>,
    pub invoices: Vec<InvoiceCheck>,
    pub assertions: Vec<AssertionCheck>,
    pub payment_split: Vec<SplitDeparture>,
    pub completeness: Vec<Completeness>,
    pub signoffs: Vec<Signoff>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct InvoiceCheck {
    pub invoice_id: String,
    pub account: String,
    pub currency: String,
    pub invoice_amount: String,
    /// The billed sum of the lines that carry this invoice id.
    pub lines_billed: String,
    /// Invoice − lines.
    pub difference: String,
    pub lines: u32,
    pub matches: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AssertionCheck {
    pub account: String,
    pub purse: String,
    pub at: String,
    pub provider_says: String,
    pub ledger_says: String,
    /// Provider − ledger.
    pub difference: String,
    pub matches: bool,
    /// Journal entries since the last matching assertion of this purse: where to look.
    pub entries_since: u32,
    /// The first 20 of them.
    #[ts(type = "number[]")]
    pub entry_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SplitDeparture {
    #[ts(type = "number")]
    pub line_id: i64,
    pub account: String,
    pub source_file: String,
    pub source_line: u32,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Completeness {
    pub account: String,
    pub provider: String,
    pub month: String,
    /// `provisional`, `final`...
    pub status: String,
    /// Days between the first and last delivered day with no line.
    pub missing_days: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Signoff {
    pub account: String,
    pub month: String,
    pub currency: String,
    pub signed_at: String,
    pub reviewer: Option<String>,
    pub signed_billed: String,
    pub current_billed: String,
    /// Current − signed.
    pub difference: String,
    pub signed_lines: u32,
    pub current_lines: u32,
    /// A later import changed the month after it was signed off.
    pub changed: bool,
}

/// An invoice as the provider issued it.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct InvoiceRequest {
    pub account: String,
    pub invoice_id: String,
    pub amount: String,
}

/// "The provider shows PURSE = AMOUNT on AT."
#[derive(Debug, Clone, Deserialize, TS)]
pub struct AssertionRequest {
    pub account: String,
    pub purse: String,
    pub amount: String,
    /// A date (`YYYY-MM-DD`) or an RFC 3339 time.
    pub at: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SignoffRequest {
    pub account: String,
    /// `YYYY-MM`.
    pub month: String,
}

/// 1 FROM = RATE TO on a date.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct FxRateRequest {
    pub from: String,
    pub to: String,
    pub rate: String,
    /// `YYYY-MM-DD`.
    pub on: String,
}

/// A rate the user keeps: 1 FROM = RATE TO on a date.
#[derive(Debug, Clone, Serialize, TS)]
pub struct FxRate {
    pub from: String,
    pub to: String,
    /// `YYYY-MM-DD`.
    pub on: String,
    pub rate: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ConvertRequest {
    pub amount: String,
    pub from: String,
    pub to: String,
    /// `YYYY-MM-DD`: the latest rate on or before it is used.
    pub on: String,
}

/// A converted figure and the rate that made it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Converted {
    pub amount: String,
    pub from: String,
    /// Exact to 10 decimal places; rounded only for display.
    pub converted: String,
    pub to: String,
    /// 1 `from` = `rate` `to`.
    pub rate: String,
    pub rate_date: String,
    /// The stored rate was TO→FROM and was inverted.
    pub inverted: bool,
}

/// Export of the explorer's current view (`csv`: its lines with their marks) or of the review
/// (`xlsx`: lines, marks and reconciliation, a sheet per section).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ExportRequest {
    pub filter: ReviewFilter,
    /// `csv` or `xlsx`.
    pub format: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportDone {
    /// Where the file was written (shown to the user; the web view cannot open it).
    pub path: String,
    pub format: String,
    pub lines: u32,
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
        StartRequest,
        Start,
        Scopes,
        OrgInfo,
        AccountInfo,
        Overview,
        MemberRow,
        CurrencyOverview,
        UnpaidOrders,
        UnpaidOrder,
        Balances,
        CountAmount,
        TrendMonth,
        ServiceAmount,
        Renewals,
        RenewalItem,
        Alert,
        BalanceAlertRequest,
        MovementRequest,
        Movement,
        ImportProgress,
        ImportReport,
        ImportedFile,
        ReviewFilter,
        Facets,
        LinesQuery,
        LinePage,
        CurrencyTotal,
        Line,
        GroupsQuery,
        Groups,
        Group,
        OriginalRow,
        RowField,
        DiffQuery,
        Diff,
        DiffCounts,
        DiffRow,
        UnitPriceChange,
        Correction,
        MarkTarget,
        MarkRequest,
        Mark,
        Marks,
        Reconciliation,
        InvoiceCheck,
        AssertionCheck,
        SplitDeparture,
        Completeness,
        Signoff,
        InvoiceRequest,
        AssertionRequest,
        SignoffRequest,
        FxRateRequest,
        FxRate,
        ConvertRequest,
        Converted,
        ExportRequest,
        ExportDone,
    ]
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    /// Fails when `ui/src/bindings/` no longer matches these types. With `UPDATE_BINDINGS=1`
    /// it rewrites them instead (`make bindings`).
    #[test]
    fn bindings_are_fresh() {
        let dir = PathBuf::from(
            std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
        )
        .join("../ui/src/bindings");
        let update = std::env::var_os("UPDATE_BINDINGS").is_some();
        let mut stale = Vec::new();
        let generated: Vec<(String, String)> = super::bindings();
        // A file no type generates any more (a removed DTO) is stale too.
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let Some(name) = file.strip_suffix(".ts") else {
                continue;
            };
            if !generated.iter().any(|(n, _)| n == name) {
                if update {
                    std::fs::remove_file(entry.path()).unwrap();
                } else {
                    stale.push(name.to_string());
                }
            }
        }
        for (name, text) in generated {
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
