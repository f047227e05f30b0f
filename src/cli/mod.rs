//! The `billfold` command line: parse, call one core function, print. No money logic here.
//!
//! Exit status: 0 done, 2 invalid input, 3 refused by a rule, 4 not found, 5 conflict,
//! 6 bad bill file, 7 ledger too new, 1 storage. A refused operation prints one sentence on
//! standard error and changes nothing.

pub mod bills;
pub mod review;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::accounts::{self, FinanceMode, NewAccount, PaymentMode, Role};
use crate::error::{Error, ErrorCode, Result};
use crate::ledger::{
    self, journal::BookKind, AutopayRule, NewVoucher, Outcome, TopUpMethod, VoucherKind,
};
use crate::money::{parse_amount, parse_positive, Currency};
use crate::overview::{self, Scope};
use crate::resources::{self, Resource};
use crate::{store, time};

#[derive(Parser, Debug)]
#[command(
    name = "billfold",
    version,
    about = "Billfold: the purse of your cloud accounts, exact and offline"
)]
pub struct Cli {
    /// The ledger file (default: the desktop app's per-user ledger).
    #[arg(long, global = true, env = "BILLFOLD_DB")]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

// `--at`, shared by every command that records or evaluates something at a time. (A doc
// comment here would become the about text of commands that have none of their own.)
#[derive(Args, Debug, Clone)]
pub struct When {
    /// When it happens: RFC 3339 or YYYY-MM-DD (midnight UTC); now when omitted.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

impl When {
    fn time(&self) -> Result<DateTime<Utc>> {
        match &self.at {
            Some(t) => time::parse(t),
            None => Ok(now()),
        }
    }
}

/// The one place the CLI reads the clock; the core never does.
fn now() -> DateTime<Utc> {
    let t = Utc::now();
    time::parse(&time::to_db(t)).unwrap_or(t)
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Organizations: `org add ORG --mode unified|self-pay`, `org list`.
    #[command(subcommand)]
    Org(OrgCmd),
    /// Billing accounts: `account add ID ...`, `account list`.
    #[command(subcommand)]
    Account(AccountCmd),
    /// Tops up cash (repays arrears first).
    Topup {
        account: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
        #[arg(long, default_value = "online", value_parser = ["online", "bank-transfer"])]
        method: String,
        #[command(flatten)]
        when: When,
        #[arg(long = "id", value_name = "OPID")]
        op_id: Option<String>,
    },
    /// Withdraws cash to the original payment source (pending until completed).
    Withdraw {
        account: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
        #[command(flatten)]
        when: When,
        #[arg(long = "id", value_name = "OPID")]
        op_id: Option<String>,
    },
    /// Completes or cancels a pending withdrawal.
    #[command(subcommand)]
    Withdrawal(WithdrawalCmd),
    /// Vouchers: `voucher add ACCOUNT AMOUNT --kind regular|discount --expires DATE`.
    #[command(subcommand)]
    Voucher(VoucherCmd),
    /// Cash coupons: `coupon add ACCOUNT AMOUNT [--expires DATE]`.
    #[command(subcommand)]
    Coupon(CouponCmd),
    /// Prepaid cards: `card buy ACCOUNT AMOUNT [--expires DATE]`.
    #[command(subcommand)]
    Card(CardCmd),
    /// Grants complimentary credit or revenue.
    Grant {
        account: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
        #[arg(long, value_parser = ["complimentary", "revenue"], default_value = "complimentary")]
        purse: String,
        #[command(flatten)]
        when: When,
        #[arg(long = "id", value_name = "OPID")]
        op_id: Option<String>,
    },
    /// Transfers revenue in as cash for cloud fees.
    TransferRevenue {
        account: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
        #[command(flatten)]
        when: When,
        #[arg(long = "id", value_name = "OPID")]
        op_id: Option<String>,
    },
    /// Restricts a product to some purses: `restrict ACCOUNT PRODUCT --only cash,card`.
    Restrict {
        account: String,
        product: String,
        #[arg(long, value_delimiter = ',', required = true)]
        only: Vec<String>,
    },
    /// Holds (freezes): `hold add ACCOUNT AMOUNT --ref REF`, `hold void REF`, `hold post REF`.
    #[command(subcommand)]
    Hold(HoldCmd),
    /// Settles a pay-as-you-go charge in the deduction order.
    Charge {
        account: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
        #[arg(long)]
        product: String,
        #[command(flatten)]
        when: When,
        #[arg(long = "id", value_name = "OPID")]
        op_id: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Records the lapse of expired vouchers, cards and coupons (all accounts by default).
    Expire {
        #[arg(long)]
        account: Option<String>,
        #[command(flatten)]
        when: When,
    },
    /// Automatic charge and top-up: `autopay set ACCOUNT --trigger 1.00 --target 30.00 --card NAME`, `autopay run ACCOUNT`.
    #[command(subcommand)]
    Autopay(AutopayCmd),
    /// Balance alert: `alert set ACCOUNT --threshold AMOUNT`, `alert off ACCOUNT`.
    #[command(subcommand)]
    Alert(AlertCmd),
    /// Resources that renew: `resource add ID --account A --product P --expires DATE`.
    #[command(subcommand)]
    Resource(ResourceCmd),
    /// Invoices: `invoice request ACCOUNT AMOUNT`.
    #[command(subcommand)]
    Invoice(InvoiceCmd),
    /// The overview of an account, an organization, or everything.
    Overview {
        #[arg(long, conflicts_with = "org")]
        account: Option<String>,
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        when: When,
        /// Months of expenditure trend.
        #[arg(long, default_value_t = 6)]
        months: u32,
        #[arg(long)]
        json: bool,
    },
    /// The journal: every entry with its postings.
    Journal {
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Imports exported bills (FOCUS, Tencent Cloud, Huawei Cloud), each file all or nothing.
    Import(bills::ImportArgs),
    /// Cost lines grouped and summed exactly.
    Costs(bills::CostsArgs),
    /// Benchmarks (release builds only make sense): `bench import`, `bench ledger`, `bench explore`.
    #[command(subcommand)]
    Bench(bills::BenchCommand),
    /// Bill lines of any scope, filtered, sorted, paged; `--raw ID` shows the original row.
    Lines(review::LinesArgs),
    /// Month over month: new, gone and changed services or resources.
    Diff(review::DiffArgs),
    /// Review marks: `review mark`, `review list`, `review reviewer NAME`.
    #[command(subcommand)]
    Review(review::ReviewCmd),
    /// Invoices, balance assertions, payment split, completeness and sign-offs.
    Reconcile {
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Records what the provider shows: `assert ACCOUNT PURSE AMOUNT --at DATE`.
    Assert {
        account: String,
        purse: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
        #[arg(long)]
        at: String,
    },
    /// Exchange rates: `fx add FROM TO RATE --on DATE`, `fx convert AMOUNT FROM TO --on DATE`.
    #[command(subcommand)]
    Fx(review::FxCmd),
    /// Signs off a reviewed month: `signoff MONTH --account ID`.
    Signoff {
        month: String,
        #[arg(long)]
        account: String,
        #[command(flatten)]
        when: When,
    },
    /// Exports lines and the review: `export [filters] --format csv|xlsx --out FILE`.
    Export(review::ExportArgs),
    /// Fills a ledger with a demo organization (for a first look).
    Demo {
        #[command(flatten)]
        when: When,
    },
}

#[derive(Subcommand, Debug)]
pub enum OrgCmd {
    /// Adds an organization: unified payment (the admin's purses pay for members) or self-pay.
    Add {
        org: String,
        #[arg(long, value_parser = ["unified", "self-pay"])]
        mode: String,
    },
    /// Lists the organizations and their members.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AccountCmd {
    /// Adds a billing account (provider, currency, prepaid or postpaid), optionally in an organization.
    Add {
        id: String,
        #[arg(long)]
        provider: String,
        #[arg(long)]
        currency: String,
        #[arg(long, value_parser = ["prepaid", "postpaid"])]
        mode: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, requires = "role")]
        org: Option<String>,
        #[arg(long, requires = "org", value_parser = ["admin", "member"])]
        role: Option<String>,
        #[command(flatten)]
        when: When,
    },
    /// Lists the billing accounts.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum WithdrawalCmd {
    /// Completes a pending withdrawal: the cash leaves the account.
    Complete {
        reference: String,
        #[command(flatten)]
        when: When,
    },
    /// Cancels a pending withdrawal: the cash is available again.
    Cancel {
        reference: String,
        #[command(flatten)]
        when: When,
    },
}

#[derive(Subcommand, Debug)]
pub enum VoucherCmd {
    /// Grants a voucher (regular or discount) valid through --expires, for some products or all.
    Add {
        account: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
        #[arg(long, value_parser = ["regular", "discount"])]
        kind: String,
        #[arg(long)]
        expires: String,
        #[arg(long, value_delimiter = ',')]
        products: Option<Vec<String>>,
        /// The voucher's number (generated when omitted).
        #[arg(long)]
        number: Option<String>,
        #[command(flatten)]
        when: When,
        #[arg(long = "id", value_name = "OPID")]
        op_id: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum CouponCmd {
    /// Grants a cash coupon, applied first to a charge (amount, or net amount when discounted).
    Add {
        account: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
        #[arg(long)]
        expires: Option<String>,
        #[command(flatten)]
        when: When,
        #[arg(long = "id", value_name = "OPID")]
        op_id: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum CardCmd {
    /// Buys a prepaid card with cash (a multiple of 100), with its bonus voucher by tier.
    Buy {
        account: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
        #[arg(long)]
        expires: Option<String>,
        #[command(flatten)]
        when: When,
        #[arg(long = "id", value_name = "OPID")]
        op_id: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum HoldCmd {
    /// Freezes an amount of the account's balance under a reference (pending).
    Add {
        account: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
        #[arg(long = "ref")]
        reference: String,
        #[command(flatten)]
        when: When,
    },
    /// Releases a hold: the frozen amount is available again.
    Void {
        reference: String,
        #[command(flatten)]
        when: When,
    },
    /// Posts a hold as a charge (all of it, or --amount of it, the rest released).
    Post {
        reference: String,
        #[arg(long)]
        amount: Option<String>,
        #[arg(long, default_value = "postpaid resource")]
        product: String,
        #[command(flatten)]
        when: When,
    },
}

#[derive(Subcommand, Debug)]
pub enum AutopayCmd {
    /// Sets the automatic charge: below --trigger, charge the card up to --target (or what is owed).
    Set {
        account: String,
        #[arg(long)]
        trigger: String,
        #[arg(long)]
        target: Option<String>,
        #[arg(long, default_value = "the designated card")]
        card: String,
    },
    /// Runs the rule at the end of a billing cycle; `--declined` records a failed card charge.
    Run {
        account: String,
        #[arg(long)]
        declined: bool,
        #[command(flatten)]
        when: When,
    },
}

#[derive(Subcommand, Debug)]
pub enum AlertCmd {
    /// Switches the balance alert on, below --threshold.
    Set {
        account: String,
        #[arg(long)]
        threshold: String,
    },
    /// Switches the balance alert off.
    Off { account: String },
}

#[derive(Subcommand, Debug)]
pub enum ResourceCmd {
    /// Records a resource that renews (product, region, expiry, auto-renew, status).
    Add {
        id: String,
        #[arg(long)]
        account: String,
        #[arg(long)]
        product: String,
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        expires: String,
        #[arg(long)]
        auto_renew: bool,
        #[arg(long, default_value = "running", value_parser = ["running", "expired", "frozen"])]
        status: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum InvoiceCmd {
    /// Records an invoice as the provider issued it, to check against its lines.
    Add {
        invoice_id: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
        #[arg(long)]
        account: String,
    },
    /// Records that cash paid was invoiced (reduces the invoiceable amount).
    Request {
        account: String,
        #[arg(allow_negative_numbers = true)]
        amount: String,
        #[command(flatten)]
        when: When,
        #[arg(long = "id", value_name = "OPID")]
        op_id: Option<String>,
    },
}

/// Runs the CLI and returns the process exit status.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match run(cli) {
        Ok(text) => {
            if let Err(e) = print(&text) {
                eprintln!("billfold: the output could not be written: {e}");
                return 1;
            }
            0
        }
        Err(e) => {
            eprintln!("billfold: {}", e.message);
            exit_code(e.code)
        }
    }
}

/// Writes a command's output (if any) to stdout. A reader that stopped reading (`billfold
/// lines | head`) is not an error.
pub(crate) fn print(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if text.is_empty() {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    }
}

pub fn exit_code(code: ErrorCode) -> i32 {
    match code {
        ErrorCode::InvalidInput => 2,
        ErrorCode::Refused => 3,
        ErrorCode::NotFound => 4,
        ErrorCode::Conflict => 5,
        ErrorCode::Import | ErrorCode::CurrencyUnstated => 6,
        ErrorCode::LedgerTooNew => 7,
        ErrorCode::Storage => 1,
    }
}

/// A range of months given as two flags (`--from`/`--to`, `--since`/`--until`), both checked
/// as months already: refused when the first is after the last, rather than answered with
/// nothing.
pub(crate) fn months_in_order(
    (first_flag, first): (&str, &Option<String>),
    (last_flag, last): (&str, &Option<String>),
) -> Result<()> {
    match (first, last) {
        (Some(first), Some(last)) if first > last => Err(Error::invalid(format!(
            "--{first_flag} {first} is after --{last_flag} {last}: expected the first month, \
             then the last"
        ))),
        _ => Ok(()),
    }
}

pub(crate) fn json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string_pretty(v).map_err(|e| Error::invalid(format!("cannot print JSON: {e}")))
}

fn said(o: Outcome) -> Result<String> {
    Ok(o.summary)
}

fn open(cli_db: &Option<PathBuf>) -> Result<Connection> {
    let path = match cli_db {
        Some(p) => p.clone(),
        None => store::default_path()?,
    };
    store::open(&path)
}

/// Parses every argument before the ledger is opened, so that malformed input never touches
/// the file.
pub fn run(cli: Cli) -> Result<String> {
    use Command as C;
    let db = &cli.db;
    match cli.command {
        C::Org(OrgCmd::Add { org, mode }) => {
            let mode: FinanceMode = mode.parse()?;
            accounts::add_org(&open(db)?, &org, mode)?;
            Ok(format!("organization '{org}' added ({mode})"))
        }
        C::Org(OrgCmd::List { json: j }) => {
            let conn = open(db)?;
            let orgs = accounts::list_orgs(&conn)?;
            if j {
                return json(&orgs); // each account's org and role: `account list --json`
            }
            let mut out = Vec::new();
            for o in &orgs {
                let accounts = accounts::org_accounts(&conn, &o.id)?;
                let with = |role: accounts::Role| {
                    let ids: Vec<&str> = accounts
                        .iter()
                        .filter(|a| a.role == Some(role))
                        .map(|a| a.id.as_str())
                        .collect();
                    if ids.is_empty() {
                        "none".to_string()
                    } else {
                        ids.join(", ")
                    }
                };
                out.push(format!(
                    "{}\t{}\tadmin: {}; members: {}",
                    o.id,
                    o.mode,
                    with(accounts::Role::Admin),
                    with(accounts::Role::Member)
                ));
            }
            Ok(out.join("\n"))
        }
        C::Account(AccountCmd::Add {
            id,
            provider,
            currency,
            mode,
            name,
            org,
            role,
            when,
        }) => {
            let new = NewAccount {
                id: id.clone(),
                provider,
                currency: Currency::parse(&currency)?,
                mode: mode.parse::<PaymentMode>()?,
                name,
                org: match (org, role) {
                    (Some(o), Some(r)) => Some((o, r.parse::<Role>()?)),
                    _ => None,
                },
            };
            let at = when.time()?;
            accounts::add_account(&open(db)?, &new, at)?;
            Ok(format!(
                "account '{id}' added ({}, {}, {})",
                new.provider, new.currency, new.mode
            ))
        }
        C::Account(AccountCmd::List { json: j }) => {
            let accs = accounts::list_accounts(&open(db)?)?;
            if j {
                return json(&accs);
            }
            Ok(accs
                .iter()
                .map(|a| format!("{}\t{}\t{}\t{}", a.id, a.provider, a.currency, a.mode))
                .collect::<Vec<_>>()
                .join("\n"))
        }
        C::Topup {
            account,
            amount,
            method,
            when,
            op_id,
        } => {
            let amount = parse_positive(&amount)?;
            let method = if method == "bank-transfer" {
                TopUpMethod::BankTransfer
            } else {
                TopUpMethod::Online
            };
            let at = when.time()?;
            said(ledger::topup(
                &mut open(db)?,
                &account,
                amount,
                method,
                at,
                op_id.as_deref(),
            )?)
        }
        C::Withdraw {
            account,
            amount,
            when,
            op_id,
        } => {
            let amount = parse_positive(&amount)?;
            let at = when.time()?;
            said(ledger::withdraw(
                &mut open(db)?,
                &account,
                amount,
                at,
                op_id.as_deref(),
            )?)
        }
        C::Withdrawal(cmd) => {
            let (reference, when, done) = match cmd {
                WithdrawalCmd::Complete { reference, when } => (reference, when, true),
                WithdrawalCmd::Cancel { reference, when } => (reference, when, false),
            };
            let at = when.time()?;
            said(ledger::finish_withdrawal(
                &mut open(db)?,
                &reference,
                done,
                at,
            )?)
        }
        C::Voucher(VoucherCmd::Add {
            account,
            amount,
            kind,
            expires,
            products,
            number,
            when,
            op_id,
        }) => {
            let v = NewVoucher {
                amount: parse_positive(&amount)?,
                kind: if kind == "discount" {
                    VoucherKind::Discount
                } else {
                    VoucherKind::Regular
                },
                expires: time::parse_until(&expires)?,
                products,
                number,
            };
            let at = when.time()?;
            said(ledger::add_voucher(
                &mut open(db)?,
                &account,
                &v,
                at,
                op_id.as_deref(),
            )?)
        }
        C::Coupon(CouponCmd::Add {
            account,
            amount,
            expires,
            when,
            op_id,
        }) => {
            let amount = parse_positive(&amount)?;
            let expires = expires.as_deref().map(time::parse_until).transpose()?;
            let at = when.time()?;
            said(ledger::add_coupon(
                &mut open(db)?,
                &account,
                amount,
                expires,
                at,
                op_id.as_deref(),
            )?)
        }
        C::Card(CardCmd::Buy {
            account,
            amount,
            expires,
            when,
            op_id,
        }) => {
            let amount = parse_positive(&amount)?;
            let expires = expires.as_deref().map(time::parse_until).transpose()?;
            let at = when.time()?;
            said(ledger::buy_card(
                &mut open(db)?,
                &account,
                amount,
                expires,
                at,
                op_id.as_deref(),
            )?)
        }
        C::Grant {
            account,
            amount,
            purse,
            when,
            op_id,
        } => {
            let amount = parse_positive(&amount)?;
            let purse = BookKind::parse(&purse)?;
            let at = when.time()?;
            said(ledger::grant(
                &mut open(db)?,
                &account,
                amount,
                purse,
                at,
                op_id.as_deref(),
            )?)
        }
        C::TransferRevenue {
            account,
            amount,
            when,
            op_id,
        } => {
            let amount = parse_positive(&amount)?;
            let at = when.time()?;
            said(ledger::transfer_revenue(
                &mut open(db)?,
                &account,
                amount,
                at,
                op_id.as_deref(),
            )?)
        }
        C::Restrict {
            account,
            product,
            only,
        } => {
            ledger::restrict(&open(db)?, &account, &product, &only)?;
            Ok(format!(
                "'{product}' on '{account}' may be paid only by {}",
                only.join(" or ")
            ))
        }
        C::Hold(HoldCmd::Add {
            account,
            amount,
            reference,
            when,
        }) => {
            let amount = parse_positive(&amount)?;
            let at = when.time()?;
            said(ledger::hold(
                &mut open(db)?,
                &account,
                amount,
                &reference,
                at,
            )?)
        }
        C::Hold(HoldCmd::Void { reference, when }) => {
            let at = when.time()?;
            said(ledger::void_hold(&mut open(db)?, &reference, at)?)
        }
        C::Hold(HoldCmd::Post {
            reference,
            amount,
            product,
            when,
        }) => {
            let amount = amount.as_deref().map(parse_amount).transpose()?;
            let at = when.time()?;
            said(ledger::post_hold(
                &mut open(db)?,
                &reference,
                amount,
                &product,
                at,
            )?)
        }
        C::Charge {
            account,
            amount,
            product,
            when,
            op_id,
            json: j,
        } => {
            let amount = parse_positive(&amount)?;
            let at = when.time()?;
            let s = ledger::charge(
                &mut open(db)?,
                &account,
                amount,
                &product,
                at,
                op_id.as_deref(),
            )?;
            if j {
                return json(&s);
            }
            let steps: Vec<String> = s
                .steps
                .iter()
                .map(|st| {
                    format!(
                        "  {:?}\t{}\t{}",
                        st.step,
                        st.purse,
                        crate::money::to_text(st.amount)
                    )
                })
                .collect();
            Ok(format!("{}\n{}", s.summary, steps.join("\n")))
        }
        C::Expire { account, when } => {
            let at = when.time()?;
            let mut conn = open(db)?;
            let ids = match account {
                Some(a) => vec![a],
                None => accounts::list_accounts(&conn)?
                    .into_iter()
                    .map(|a| a.id)
                    .collect(),
            };
            let mut lines = Vec::new();
            for id in ids {
                lines.extend(
                    ledger::lapse_expired(&mut conn, &id, at)?
                        .into_iter()
                        .map(|o| o.summary),
                );
            }
            if lines.is_empty() {
                lines.push("nothing has expired".into());
            }
            Ok(lines.join("\n"))
        }
        C::Autopay(AutopayCmd::Set {
            account,
            trigger,
            target,
            card,
        }) => {
            let rule = AutopayRule {
                trigger: parse_amount(&trigger)?,
                target: target.as_deref().map(parse_amount).transpose()?,
                card,
            };
            ledger::set_autopay(&open(db)?, &account, &rule)?;
            Ok(format!("automatic charge rule set on '{account}'"))
        }
        C::Autopay(AutopayCmd::Run {
            account,
            declined,
            when,
        }) => {
            let at = when.time()?;
            said(ledger::run_autopay(&mut open(db)?, &account, at, declined)?)
        }
        C::Alert(AlertCmd::Set { account, threshold }) => {
            let t: Decimal = parse_amount(&threshold)?;
            accounts::set_alert(&open(db)?, &account, Some(t))?;
            Ok(format!(
                "balance alert on '{account}' switched on at {threshold}"
            ))
        }
        C::Alert(AlertCmd::Off { account }) => {
            accounts::set_alert(&open(db)?, &account, None)?;
            Ok(format!("balance alert on '{account}' switched off"))
        }
        C::Resource(ResourceCmd::Add {
            id,
            account,
            product,
            region,
            expires,
            auto_renew,
            status,
        }) => {
            let r = Resource {
                id: id.clone(),
                account_id: account,
                product,
                region,
                expires_at: time::parse_until(&expires)?,
                auto_renew,
                status,
            };
            resources::upsert(&open(db)?, &r)?;
            Ok(format!("resource '{id}' recorded"))
        }
        C::Invoice(InvoiceCmd::Request {
            account,
            amount,
            when,
            op_id,
        }) => {
            let amount = parse_positive(&amount)?;
            let at = when.time()?;
            said(ledger::request_invoice(
                &mut open(db)?,
                &account,
                amount,
                at,
                op_id.as_deref(),
            )?)
        }
        C::Overview {
            account,
            org,
            when,
            months,
            json: j,
        } => {
            let scope = match (account, org) {
                (Some(a), _) => Scope::Account(a),
                (None, Some(o)) => Scope::Org(o),
                (None, None) => Scope::All,
            };
            let at = when.time()?;
            let o = overview::overview(&open(db)?, &scope, at, months)?;
            if j {
                return json(&o);
            }
            Ok(render_overview(&o))
        }
        C::Journal { account, json: j } => {
            let entries = crate::ledger::journal::list(&open(db)?, account.as_deref())?;
            if j {
                return json(&entries);
            }
            Ok(entries
                .iter()
                .map(|e| {
                    let posts: Vec<String> = e
                        .postings
                        .iter()
                        .map(|p| {
                            format!("    {}:{}\t{} {}", p.account, p.book, p.amount, p.currency)
                        })
                        .collect();
                    format!(
                        "{} #{} {} {}\n{}",
                        e.at,
                        e.id,
                        e.kind,
                        e.account,
                        posts.join("\n")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
        C::Import(args) => bills::run_import(&mut open(db)?, &args),
        C::Costs(args) => bills::run_costs(&open(db)?, &args),
        C::Bench(command) => {
            // Never the user's own ledger by default: a benchmark's ledger is named.
            let path =
                match (&command, db) {
                    (bills::BenchCommand::Import(_), _) => PathBuf::new(),
                    (_, Some(p)) => p.clone(),
                    (_, None) => return Err(Error::invalid(
                        "a benchmark works on a ledger of its own: pass --db PATH (or BILLFOLD_DB)",
                    )),
                };
            bills::run_bench(&command, &path)
        }
        C::Lines(args) => review::run_lines(&open(db)?, &args),
        C::Diff(args) => review::run_diff(&open(db)?, &args),
        C::Review(cmd) => review::run_review(&open(db)?, &cmd),
        C::Reconcile { account, json: j } => {
            review::run_reconcile(&open(db)?, account.as_deref(), j)
        }
        C::Assert {
            account,
            purse,
            amount,
            at,
        } => review::run_assert(&open(db)?, &account, &purse, &amount, &at),
        C::Fx(cmd) => review::run_fx(&open(db)?, &cmd),
        C::Signoff {
            month,
            account,
            when,
        } => review::run_signoff(&open(db)?, &month, &account, &when),
        C::Export(args) => review::run_export(&open(db)?, &args),
        C::Invoice(InvoiceCmd::Add {
            invoice_id,
            amount,
            account,
        }) => {
            let amount = parse_amount(&amount)?;
            crate::review::reconcile::add_invoice(&open(db)?, &invoice_id, amount, &account)?;
            Ok(format!("invoice '{invoice_id}' recorded on '{account}'"))
        }
        C::Demo { when } => {
            let at = when.time()?;
            let mut conn = open(db)?;
            crate::demo::populate(&mut conn, at)?;
            Ok("demo ledger written: organization 'acme' with three accounts".into())
        }
    }
}

fn render_overview(o: &overview::Overview) -> String {
    use crate::money::display;
    let mut out = vec![format!("as of {}", o.as_of)];
    for c in &o.currencies {
        let b = &c.balances;
        let cur = &c.currency;
        out.push(format!("\n{cur}  available {}", display(b.available, cur)));
        out.push(format!(
            "  cash {}  complimentary {}  revenue {}  vouchers {}  prepaid cards {}",
            display(b.cash, cur),
            display(b.complimentary, cur),
            display(b.revenue, cur),
            display(b.vouchers, cur),
            display(b.prepaid_cards, cur)
        ));
        out.push(format!(
            "  frozen {}  pending withdrawals {}  arrears {}  withdrawable {}",
            display(b.frozen, cur),
            display(b.pending_withdrawals, cur),
            display(b.arrears, cur),
            display(b.withdrawable, cur)
        ));
        out.push(format!(
            "  unpaid orders {} ({})  cash coupons {} ({})  invoiceable {}",
            c.unpaid_orders.count,
            display(c.unpaid_orders.amount, cur),
            c.cash_coupons.count,
            display(c.cash_coupons.amount, cur),
            display(c.invoiceable, cur)
        ));
        let trend: Vec<String> = c
            .trend
            .iter()
            .map(|m| format!("{} {}", m.month, display(m.amount, cur)))
            .collect();
        out.push(format!("  trend: {}", trend.join(" | ")));
    }
    out.push(format!(
        "\nrenewals: {} due in 30 days, {} expired, {} frozen",
        o.renewals.due_30d, o.renewals.expired, o.renewals.frozen
    ));
    for a in &o.alerts {
        out.push(format!("[{:?}] {}", a.severity, a.message));
    }
    out.join("\n")
}
