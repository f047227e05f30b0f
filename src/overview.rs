//! The overview page (SPEC §5) for one account, an organization, or the whole ledger, as of a
//! given time. One block per currency: amounts in different currencies are never added.
//!
//! Rules Billfold chose where SPEC.md is silent (also in ARCHITECTURE.md):
//! - An unpaid order is a charge with a part still unpaid; repayments of arrears pay the oldest
//!   first. On a prepaid account an unpaid amount is overdue at once (it is a negative balance);
//!   on a postpaid account it is overdue [`POSTPAID_DUE_DAYS`] days after it was charged.
//! - Invoiceable = cash that paid for consumption (charge steps paid in cash, posted holds,
//!   arrears repaid) + prepaid cards bought − invoices already requested. Consumption a card
//!   paid for is not invoiced again.
//! - Hourly-billed services stop two hours after the balance went negative.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::accounts::{self, Account, PaymentMode};
use crate::costs::{trend, TrendMonth};
use crate::error::Result;
use crate::ledger::balances::{balances, Balances, Coupons};
use crate::ledger::journal::{books, parse_stored, Book, BookKind};
use crate::money::{self, display, Currency};
use crate::resources::{self, Resource};
use crate::time::{from_db, last_months, to_db};

/// Days after which an unpaid postpaid charge is overdue.
pub const POSTPAID_DUE_DAYS: i64 = 15;
/// A negative balance stops hourly-billed services after this long.
pub const NEGATIVE_GRACE_HOURS: i64 = 2;
/// Vouchers and cards within this many days of expiry raise an alert.
pub const EXPIRY_WARNING_DAYS: i64 = 30;
/// Lists in the overview are cut to this many items (the figures always count everything).
pub const LIST_LIMIT: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Account(String),
    Org(String),
    All,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub as_of: String,
    pub scope: ScopeInfo,
    pub currencies: Vec<CurrencyBlock>,
    pub renewals: Renewals,
    pub alerts: Vec<Alert>,
    pub accounts: Vec<AccountRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScopeInfo {
    pub kind: &'static str,
    pub id: Option<String>,
    /// unified / self-pay for an organization.
    pub finance_mode: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurrencyBlock {
    pub currency: Currency,
    /// Payment modes of the accounts in this block: prepaid, postpaid or both.
    pub modes: Vec<&'static str>,
    pub balances: BalancesOut,
    pub unpaid_orders: Unpaid,
    pub cash_coupons: Coupons,
    #[serde(with = "crate::money::text")]
    pub invoiceable: Decimal,
    pub trend: Vec<TrendMonth>,
}

/// The contract's balance figures.
#[derive(Debug, Clone, Serialize)]
pub struct BalancesOut {
    #[serde(with = "crate::money::text")]
    pub available: Decimal,
    #[serde(with = "crate::money::text")]
    pub cash: Decimal,
    #[serde(with = "crate::money::text")]
    pub complimentary: Decimal,
    #[serde(with = "crate::money::text")]
    pub revenue: Decimal,
    #[serde(with = "crate::money::text")]
    pub vouchers: Decimal,
    #[serde(with = "crate::money::text")]
    pub prepaid_cards: Decimal,
    #[serde(with = "crate::money::text")]
    pub frozen: Decimal,
    #[serde(with = "crate::money::text")]
    pub pending_withdrawals: Decimal,
    #[serde(with = "crate::money::text")]
    pub arrears: Decimal,
    #[serde(with = "crate::money::text")]
    pub withdrawable: Decimal,
}

impl From<Balances> for BalancesOut {
    fn from(b: Balances) -> Self {
        BalancesOut {
            available: b.available,
            cash: b.cash,
            complimentary: b.complimentary,
            revenue: b.revenue,
            vouchers: b.vouchers,
            prepaid_cards: b.prepaid_cards,
            frozen: b.frozen,
            pending_withdrawals: b.pending_withdrawals,
            arrears: b.arrears,
            withdrawable: b.withdrawable,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Unpaid {
    pub count: u64,
    #[serde(with = "crate::money::text")]
    pub amount: Decimal,
    pub overdue_count: u64,
    #[serde(with = "crate::money::text")]
    pub overdue_amount: Decimal,
    pub orders: Vec<UnpaidOrder>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnpaidOrder {
    pub entry_id: i64,
    pub account: String,
    pub product: Option<String>,
    pub at: String,
    #[serde(with = "crate::money::text")]
    pub amount: Decimal,
    pub overdue: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Renewals {
    pub due_30d: u64,
    pub expired: u64,
    pub frozen: u64,
    pub items: Vec<RenewalItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RenewalItem {
    pub state: &'static str,
    #[serde(flatten)]
    pub resource: Resource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub kind: &'static str,
    pub severity: Severity,
    /// What happened, by when it matters, and what to do.
    pub message: String,
    pub account: String,
    /// When it matters (services stop, a voucher expires...), if there is such a time.
    pub due_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountRow {
    pub id: String,
    pub name: Option<String>,
    pub provider: String,
    pub currency: Currency,
    pub mode: PaymentMode,
    pub role: Option<accounts::Role>,
    #[serde(with = "crate::money::text")]
    pub available: Decimal,
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The accounts a scope covers.
pub fn scope_accounts(conn: &Connection, scope: &Scope) -> Result<Vec<Account>> {
    Ok(match scope {
        Scope::Account(id) => vec![accounts::get_account(conn, id)?],
        Scope::Org(id) => {
            accounts::get_org(conn, id)?;
            accounts::org_accounts(conn, id)?
        }
        Scope::All => accounts::list_accounts(conn)?,
    })
}

/// The overview as of `at`, with the trend over `months` months ending with `at`'s month.
pub fn overview(
    conn: &Connection,
    scope: &Scope,
    at: DateTime<Utc>,
    months: u32,
) -> Result<Overview> {
    let accs = scope_accounts(conn, scope)?;
    let ids: Vec<String> = accs.iter().map(|a| a.id.clone()).collect();
    let all_books = books(conn, &ids, Some(at))?;
    let month_list = last_months(at, months.max(1));

    let mut by_currency: BTreeMap<Currency, Vec<&Account>> = BTreeMap::new();
    for a in &accs {
        by_currency.entry(a.currency.clone()).or_default().push(a);
    }
    let mut currencies = Vec::new();
    let mut alerts = Vec::new();
    let mut rows = Vec::new();
    for (currency, members) in &by_currency {
        let member_ids: Vec<String> = members.iter().map(|a| a.id.clone()).collect();
        let block_books: Vec<Book> = all_books
            .iter()
            .filter(|b| member_ids.contains(&b.account_id))
            .cloned()
            .collect();
        let (mut bal, coupons) = balances(&block_books, at);
        let mut unpaid = Unpaid::default();
        // Withdrawable per account, less the revenue each holds for fees only.
        let mut withdrawable = Decimal::ZERO;
        for a in members {
            let own: Vec<Book> = block_books
                .iter()
                .filter(|b| b.account_id == a.id)
                .cloned()
                .collect();
            let (mut own_bal, _) = balances(&own, at);
            own_bal.withdrawable = crate::ledger::withdrawable(conn, &own_bal, &a.id, at)?;
            withdrawable = money::add(withdrawable, own_bal.withdrawable)?;
            let u = unpaid_orders(conn, a, at)?;
            alerts.extend(account_alerts(conn, a, &own, &own_bal, &u, at)?);
            unpaid.count += u.count;
            unpaid.amount = money::add(unpaid.amount, u.amount)?;
            unpaid.overdue_count += u.overdue_count;
            unpaid.overdue_amount = money::add(unpaid.overdue_amount, u.overdue_amount)?;
            unpaid.orders.extend(u.orders);
            rows.push(AccountRow {
                id: a.id.clone(),
                name: a.name.clone(),
                provider: a.provider.clone(),
                currency: a.currency.clone(),
                mode: a.mode,
                role: a.role,
                available: own_bal.available,
            });
        }
        bal.withdrawable = withdrawable;
        unpaid
            .orders
            .sort_by(|x, y| x.at.cmp(&y.at).then(x.entry_id.cmp(&y.entry_id)));
        unpaid.orders.truncate(LIST_LIMIT);
        let mut modes: Vec<&'static str> = members.iter().map(|a| a.mode.as_str()).collect();
        modes.sort();
        modes.dedup();
        currencies.push(CurrencyBlock {
            currency: currency.clone(),
            modes,
            balances: bal.into(),
            unpaid_orders: unpaid,
            cash_coupons: coupons,
            invoiceable: invoiceable(conn, &member_ids, at)?,
            trend: trend(conn, &member_ids, currency, &month_list)?,
        });
    }

    let mut renewals = Renewals::default();
    for r in resources::of_accounts(conn, &ids)? {
        let Some(state) = r.renewal_state(at) else {
            continue;
        };
        match state {
            "due" => renewals.due_30d += 1,
            "expired" => renewals.expired += 1,
            _ => renewals.frozen += 1,
        }
        if renewals.items.len() < LIST_LIMIT {
            renewals.items.push(RenewalItem { state, resource: r });
        }
    }
    alerts.extend(renewal_alerts(&renewals, at));
    alerts.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then(a.due_at.is_none().cmp(&b.due_at.is_none()))
            .then(a.due_at.cmp(&b.due_at))
            .then(a.account.cmp(&b.account))
    });
    rows.truncate(LIST_LIMIT * 4);

    let (kind, id, finance_mode) = match scope {
        Scope::Account(id) => ("account", Some(id.clone()), None),
        Scope::Org(id) => (
            "org",
            Some(id.clone()),
            Some(accounts::get_org(conn, id)?.mode.as_str().to_string()),
        ),
        Scope::All => ("all", None, None),
    };
    Ok(Overview {
        as_of: to_db(at),
        scope: ScopeInfo {
            kind,
            id,
            finance_mode,
        },
        currencies,
        renewals,
        alerts,
        accounts: rows,
    })
}

/// Charges of `account` (as the payer) with a part still unpaid, oldest repaid first.
pub fn unpaid_orders(conn: &Connection, account: &Account, at: DateTime<Utc>) -> Result<Unpaid> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.id, e.account_id, e.product, e.at, p.amount FROM postings p
         JOIN books b ON b.id = p.book_id JOIN entries e ON e.id = p.entry_id
         WHERE b.account_id = ?1 AND b.kind = 'arrears' AND e.at <= ?2
         ORDER BY e.at, e.id",
    )?;
    let rows = stmt.query_map(params![account.id, to_db(at)], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut owed: Vec<UnpaidOrder> = Vec::new();
    let mut repaid = Decimal::ZERO;
    for row in rows {
        let (entry_id, acc, product, when, amount) = row?;
        let amount = parse_stored(&amount)?;
        if amount < Decimal::ZERO {
            owed.push(UnpaidOrder {
                entry_id,
                account: acc,
                product,
                at: when,
                amount: -amount,
                overdue: false,
            });
        } else {
            repaid += amount;
        }
    }
    let mut out = Unpaid::default();
    for mut o in owed {
        let pay = repaid.min(o.amount);
        repaid -= pay;
        o.amount -= pay;
        if o.amount.is_zero() {
            continue;
        }
        o.overdue = match account.mode {
            PaymentMode::Prepaid => true,
            PaymentMode::Postpaid => from_db(&o.at)? + Duration::days(POSTPAID_DUE_DAYS) <= at,
        };
        out.count += 1;
        out.amount += o.amount;
        if o.overdue {
            out.overdue_count += 1;
            out.overdue_amount += o.amount;
        }
        out.orders.push(o);
    }
    Ok(out)
}

/// Cash actually paid and not yet invoiced, over the books of `account_ids`, as of `at`: the
/// cash steps of charges (less the cash they give back), prepaid cards bought, posted holds,
/// and arrears repaid by money that came in (a top-up, cash released), less invoices requested.
/// Arrears a charge itself repays or forgives (a refund in a bill, an earlier settlement
/// reversed) were not paid with cash, and do not count; nor does revenue, transferred in to pay
/// fees (SPEC §3: never invoiceable): neither the arrears its transfer repaid nor the fees its
/// cash paid ([`crate::ledger::revenue_for_fees`]).
pub fn invoiceable(
    conn: &Connection,
    account_ids: &[String],
    at: DateTime<Utc>,
) -> Result<Decimal> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.kind, b.kind, p.amount FROM postings p
         JOIN books b ON b.id = p.book_id JOIN entries e ON e.id = p.entry_id
         WHERE b.account_id = ?1 AND e.at <= ?2
           AND ((e.kind = 'charge' AND b.kind = 'cash')
             OR (e.kind = 'card_buy' AND b.kind = 'card')
             OR (b.kind = 'arrears' AND e.kind NOT IN ('charge', 'revenue_transfer')))",
    )?;
    // A posted hold: what it turned into an expense, on the account whose cash was frozen (an
    // organization's admin under unified payment), not on the consumer whose expense it is.
    let mut held = conn.prepare_cached(
        "SELECT p.amount FROM postings p
         JOIN books b ON b.id = p.book_id JOIN entries e ON e.id = p.entry_id
         WHERE e.kind = 'hold_post' AND b.kind = 'expense' AND e.at <= ?2
           AND EXISTS (SELECT 1 FROM postings f JOIN books fb ON fb.id = f.book_id
                       WHERE f.entry_id = e.id AND fb.kind = 'frozen' AND fb.account_id = ?1)",
    )?;
    let mut inv = conn.prepare_cached(
        "SELECT amount FROM invoices_requested WHERE account_id = ?1 AND at <= ?2",
    )?;
    let mut total = Decimal::ZERO;
    for a in account_ids {
        let rows = stmt.query_map(params![a, to_db(at)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (_, book_kind, amount) = row?;
            let x = parse_stored(&amount)?;
            total += match book_kind.as_str() {
                "cash" => -x,
                "arrears" => x.max(Decimal::ZERO),
                _ => x,
            };
        }
        let rows = held.query_map(params![a, to_db(at)], |r| r.get::<_, String>(0))?;
        for row in rows {
            total += parse_stored(&row?)?;
        }
        // Fees paid with revenue transferred in: revenue is never invoiceable.
        total -= crate::ledger::revenue_for_fees(conn, a, at)?.1;
        let rows = inv.query_map(params![a, to_db(at)], |r| r.get::<_, String>(0))?;
        for row in rows {
            total -= parse_stored(&row?)?;
        }
    }
    Ok(total.max(Decimal::ZERO))
}

/// When the account's balance last went negative (and has stayed so), if it is negative at `at`.
fn negative_since(
    conn: &Connection,
    account_id: &str,
    at: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.at, p.amount FROM postings p
         JOIN books b ON b.id = p.book_id JOIN entries e ON e.id = p.entry_id
         WHERE b.account_id = ?1 AND b.kind = 'arrears' AND e.at <= ?2 ORDER BY e.at, e.id",
    )?;
    let rows = stmt.query_map(params![account_id, to_db(at)], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut balance = Decimal::ZERO;
    let mut since = None;
    for row in rows {
        let (when, amount) = row?;
        let was_clear = balance >= Decimal::ZERO;
        balance += parse_stored(&amount)?;
        if balance >= Decimal::ZERO {
            since = None;
        } else if was_clear {
            since = Some(from_db(&when)?);
        }
    }
    Ok(since)
}

fn account_alerts(
    conn: &Connection,
    a: &Account,
    own: &[Book],
    bal: &Balances,
    unpaid: &Unpaid,
    at: DateTime<Utc>,
) -> Result<Vec<Alert>> {
    let cur = &a.currency;
    let mut out = Vec::new();
    let alert = |kind, severity, message: String, due_at: Option<DateTime<Utc>>| Alert {
        kind,
        severity,
        message,
        account: a.id.clone(),
        due_at: due_at.map(to_db),
    };
    if a.alert_enabled {
        if let Some(threshold) = a.alert_threshold {
            if bal.available < threshold && bal.arrears.is_zero() {
                out.push(alert(
                    "balance_low",
                    Severity::Warning,
                    format!(
                        "Available balance of '{}' is {}, below your alert threshold of {}. Top up to keep services running.",
                        a.id,
                        display(bal.available, cur),
                        display(threshold, cur)
                    ),
                    None,
                ));
            }
        }
    }
    if a.mode == PaymentMode::Prepaid && bal.arrears > Decimal::ZERO {
        let since = negative_since(conn, &a.id, at)?.unwrap_or(at);
        let stop = since + Duration::hours(NEGATIVE_GRACE_HOURS);
        let message = if at < stop {
            format!(
                "'{}' owes {} since {}; hourly-billed services stop at {}. Top up at least {} before then.",
                a.id,
                display(bal.arrears, cur),
                when(since),
                when(stop),
                display(bal.arrears, cur)
            )
        } else {
            format!(
                "'{}' owes {} since {}; hourly-billed services were stopped at {}. Top up at least {} to restart them.",
                a.id,
                display(bal.arrears, cur),
                when(since),
                when(stop),
                display(bal.arrears, cur)
            )
        };
        out.push(alert(
            "negative_balance",
            Severity::Critical,
            message,
            Some(stop),
        ));
    }
    if a.mode == PaymentMode::Postpaid && unpaid.overdue_count > 0 {
        out.push(alert(
            "overdue_bills",
            Severity::Critical,
            format!(
                "{} unpaid bill(s) of '{}' totalling {} are overdue. Repay them to avoid the suspension of services.",
                unpaid.overdue_count,
                a.id,
                display(unpaid.overdue_amount, cur)
            ),
            None,
        ));
    }
    for (kind, name, alert_kind) in [
        (BookKind::Voucher, "voucher", "voucher_expiring"),
        (BookKind::Card, "prepaid card", "card_expiring"),
    ] {
        let soon: Vec<&Book> = own
            .iter()
            .filter(|b| b.kind == kind && b.balance > Decimal::ZERO && b.valid_at(at))
            .filter(|b| {
                b.valid_until
                    .is_some_and(|u| u <= at + Duration::days(EXPIRY_WARNING_DAYS))
            })
            .collect();
        if let Some(first) = soon.iter().filter_map(|b| b.valid_until).min() {
            let total: Decimal = soon.iter().map(|b| b.balance).sum();
            let days = (first - at).num_days();
            out.push(alert(
                alert_kind,
                if days <= 7 { Severity::Warning } else { Severity::Info },
                format!(
                    "{} {name}(s) of '{}' worth {} expire within {EXPIRY_WARNING_DAYS} days, the first on {} (in {days} days). Use them before then: what is left lapses.",
                    soon.len(),
                    a.id,
                    display(total, cur),
                    when(first)
                ),
                Some(first),
            ));
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT kind, amount, detail, at FROM events WHERE account_id = ?1 AND at <= ?2
         AND kind IN ('autopay_failed', 'autopay_charged') ORDER BY at DESC, id DESC LIMIT 1",
    )?;
    let last: Option<(String, Option<String>, Option<String>, String)> = stmt
        .query_map(params![a.id, to_db(at)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .next()
        .transpose()?;
    // A failed automatic charge stands until money came in to the account at or after it (a
    // top-up by hand, a later automatic charge that went through, revenue transferred in; under
    // unified payment a member's top-up lands in the admin's books) and the balance is no longer
    // negative: that is what the alert asks for.
    let topped_up_since = |since: &str| -> Result<bool> {
        Ok(bal.available >= Decimal::ZERO
            && conn
                .prepare_cached(
                    "SELECT 1 FROM entries e WHERE e.kind IN ('topup', 'revenue_transfer')
                     AND e.at >= ?2 AND e.at <= ?3
                     AND EXISTS (SELECT 1 FROM postings p JOIN books b ON b.id = p.book_id
                                 WHERE p.entry_id = e.id AND b.account_id = ?1)
                     LIMIT 1",
                )?
                .exists(params![a.id, since, to_db(at)])?)
    };
    if let Some((kind, amount, card, when_at)) = last {
        if kind == "autopay_failed" && !topped_up_since(&when_at)? {
            let amount = amount
                .as_deref()
                .map(parse_stored)
                .transpose()?
                .unwrap_or_default();
            out.push(alert(
                "autopay_failed",
                Severity::Critical,
                format!(
                    "The automatic charge of {} to {} for '{}' failed at {}; the balance stays at {}. Top up by hand or update the card.",
                    display(amount, cur),
                    card.unwrap_or_else(|| "the card".into()),
                    a.id,
                    when(from_db(&when_at)?),
                    display(bal.available, cur)
                ),
                None,
            ));
        }
    }
    Ok(out)
}

fn renewal_alerts(r: &Renewals, at: DateTime<Utc>) -> Vec<Alert> {
    let mut out = Vec::new();
    let due: Vec<&RenewalItem> = r
        .items
        .iter()
        .filter(|i| i.state == "due" && !i.resource.auto_renew)
        .collect();
    if let Some(first) = due.first() {
        let days = (first.resource.expires_at - at).num_days();
        out.push(Alert {
            kind: "renewal_due",
            severity: if days <= 7 { Severity::Warning } else { Severity::Info },
            message: format!(
                "{} resource(s) without auto-renew expire within 30 days, the first ({}, {}) on {}. Renew them or switch on auto-renew.",
                due.len(),
                first.resource.id,
                first.resource.product,
                when(first.resource.expires_at)
            ),
            account: first.resource.account_id.clone(),
            due_at: Some(to_db(first.resource.expires_at)),
        });
    }
    let expired: Vec<&RenewalItem> = r.items.iter().filter(|i| i.state == "expired").collect();
    if let Some(first) = expired.first() {
        out.push(Alert {
            kind: "renewal_expired",
            severity: Severity::Warning,
            message: format!(
                "{} resource(s) have expired, such as {} ({}). Renew them soon or their data may be released.",
                expired.len(),
                first.resource.id,
                first.resource.product
            ),
            account: first.resource.account_id.clone(),
            due_at: None,
        });
    }
    out
}
