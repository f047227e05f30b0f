//! Reconciliation: invoices against their lines, the provider's balances against the ledger,
//! how native exports say lines were paid against the documented deduction order, the
//! completeness of deliveries, and signed-off months changed by a later import.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::accounts::get_account;
use crate::costs::stored_amount;
use crate::error::{Error, Result};
use crate::ledger::balances::balances;
use crate::ledger::journal::{books, parse_stored};
use crate::money::{to_text, Currency};
use crate::store::labels::{self, Labels};
use crate::time::{from_db, to_db};

/// Records an invoice as the provider issued it (replacing an earlier amount for the same id).
pub fn add_invoice(
    conn: &Connection,
    invoice_id: &str,
    amount: Decimal,
    account_id: &str,
) -> Result<()> {
    let a = get_account(conn, account_id)?;
    conn.execute(
        "INSERT OR REPLACE INTO invoices (invoice_id, account_id, amount, currency) VALUES (?1, ?2, ?3, ?4)",
        params![invoice_id, a.id, to_text(amount), a.currency.code()],
    )?;
    Ok(())
}

/// The purses a balance assertion can name.
pub const PURSES: [&str; 8] = [
    "available",
    "cash",
    "complimentary",
    "vouchers",
    "prepaid_cards",
    "frozen",
    "arrears",
    "withdrawable",
];

/// Records "the provider shows PURSE = AMOUNT on AT" for checking.
pub fn add_assertion(
    conn: &Connection,
    account_id: &str,
    purse: &str,
    amount: Decimal,
    at: DateTime<Utc>,
) -> Result<()> {
    get_account(conn, account_id)?;
    if !PURSES.contains(&purse) {
        return Err(Error::invalid(format!(
            "'{purse}' is not a purse: expected one of {}",
            PURSES.join(", ")
        )));
    }
    conn.execute(
        "INSERT INTO balance_assertions (account_id, purse, amount, at) VALUES (?1, ?2, ?3, ?4)",
        params![account_id, purse, to_text(amount), to_db(at)],
    )?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct InvoiceCheck {
    pub invoice_id: String,
    pub account: String,
    pub currency: String,
    #[serde(with = "crate::money::text")]
    pub invoice_amount: Decimal,
    #[serde(with = "crate::money::text")]
    pub lines_billed: Decimal,
    #[serde(with = "crate::money::text")]
    pub difference: Decimal,
    pub lines: u64,
    pub matches: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssertionCheck {
    pub account: String,
    pub purse: String,
    pub at: String,
    #[serde(with = "crate::money::text")]
    pub provider_says: Decimal,
    #[serde(with = "crate::money::text")]
    pub ledger_says: Decimal,
    #[serde(with = "crate::money::text")]
    pub difference: Decimal,
    pub matches: bool,
    /// Journal entries since the last assertion of this purse that matched: where to look.
    pub entries_since_last_match: Vec<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SplitDeparture {
    pub line_id: i64,
    pub account: String,
    pub source_file: String,
    pub source_line: i64,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Completeness {
    pub account: String,
    pub provider: String,
    pub month: String,
    pub status: String,
    /// Days of the month between the first and last delivered day that have no line.
    pub missing_days: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignoffCheck {
    pub account: String,
    pub month: String,
    pub currency: String,
    pub signed_at: String,
    pub reviewer: Option<String>,
    #[serde(with = "crate::money::text")]
    pub signed_billed: Decimal,
    #[serde(with = "crate::money::text")]
    pub current_billed: Decimal,
    #[serde(with = "crate::money::text")]
    pub difference: Decimal,
    pub signed_lines: i64,
    pub current_lines: i64,
    pub changed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reconciliation {
    pub invoices: Vec<InvoiceCheck>,
    pub assertions: Vec<AssertionCheck>,
    pub payment_split: Vec<SplitDeparture>,
    pub completeness: Vec<Completeness>,
    pub signoffs: Vec<SignoffCheck>,
}

/// Everything reconciliation checks, for one account or all.
pub fn reconcile(conn: &Connection, account: Option<&str>) -> Result<Reconciliation> {
    Ok(Reconciliation {
        invoices: invoices(conn, account)?,
        assertions: assertions(conn, account)?,
        payment_split: payment_split(conn, account)?,
        completeness: completeness(conn, account)?,
        signoffs: signoffs(conn, account, None)?,
    })
}

fn invoices(conn: &Connection, account: Option<&str>) -> Result<Vec<InvoiceCheck>> {
    let mut stmt = conn.prepare(
        "SELECT invoice_id, account_id, amount, currency FROM invoices
         WHERE ?1 IS NULL OR account_id = ?1 ORDER BY invoice_id",
    )?;
    let rows: Vec<(String, String, String, String)> = stmt
        .query_map(params![account], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    // Billed sums per (account, invoice label, currency): one pass over each account that has
    // invoices, not one per invoice (cost lines have no index on invoices).
    let mut sums: BTreeMap<(String, i64, String), (Decimal, u64)> = BTreeMap::new();
    let mut scanned: BTreeSet<String> = BTreeSet::new();
    let mut lines = conn.prepare_cached(
        "SELECT invoice, currency, billed_cost FROM cost_lines
         WHERE account_id = ?1 AND invoice IS NOT NULL",
    )?;
    let mut out = Vec::new();
    for (invoice_id, account, amount, currency) in rows {
        if scanned.insert(account.clone()) {
            let mut rs = lines.query(params![account])?;
            while let Some(r) = rs.next()? {
                let billed = stored_amount(r, 2)?.unwrap_or_default();
                let e = sums
                    .entry((account.clone(), r.get(0)?, r.get(1)?))
                    .or_default();
                e.0 += billed;
                e.1 += 1;
            }
        }
        let (billed, n) = match labels::find(conn, &invoice_id)? {
            Some(label) => sums
                .get(&(account.clone(), label, currency.clone()))
                .copied()
                .unwrap_or_default(),
            None => (Decimal::ZERO, 0),
        };
        let amount = parse_stored(&amount)?;
        out.push(InvoiceCheck {
            invoice_id,
            account,
            currency,
            invoice_amount: amount,
            lines_billed: billed,
            difference: amount - billed,
            lines: n,
            matches: amount == billed,
        });
    }
    Ok(out)
}

fn figure(b: &crate::ledger::balances::Balances, purse: &str) -> Decimal {
    match purse {
        "available" => b.available,
        "cash" => b.cash,
        "complimentary" => b.complimentary,
        "vouchers" => b.vouchers,
        "prepaid_cards" => b.prepaid_cards,
        "frozen" => b.frozen,
        "arrears" => b.arrears,
        _ => b.withdrawable,
    }
}

fn assertions(conn: &Connection, account: Option<&str>) -> Result<Vec<AssertionCheck>> {
    let mut stmt = conn.prepare(
        "SELECT account_id, purse, amount, at FROM balance_assertions
         WHERE ?1 IS NULL OR account_id = ?1 ORDER BY account_id, purse, at, id",
    )?;
    let rows: Vec<(String, String, String, String)> = stmt
        .query_map(params![account], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut last_match: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut out = Vec::new();
    for (acc, purse, amount, at) in rows {
        let when = from_db(&at)?;
        let bs = books(conn, std::slice::from_ref(&acc), Some(when))?;
        let (mut b, _) = balances(&bs, when);
        b.withdrawable = crate::ledger::withdrawable(conn, &b, &acc, when)?;
        let ledger = figure(&b, &purse);
        let provider = parse_stored(&amount)?;
        let matches = ledger == provider;
        let since = last_match
            .get(&(acc.clone(), purse.clone()))
            .cloned()
            .unwrap_or_default();
        let entries_since_last_match = if matches {
            Vec::new()
        } else {
            let mut s = conn.prepare_cached(
                "SELECT DISTINCT e.id FROM entries e JOIN postings p ON p.entry_id = e.id
                 JOIN books b ON b.id = p.book_id WHERE b.account_id = ?1 AND e.at > ?2 AND e.at <= ?3
                 ORDER BY e.id LIMIT 200",
            )?;
            let ids: Vec<i64> = s
                .query_map(params![acc, since, at], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            ids
        };
        if matches {
            last_match.insert((acc.clone(), purse.clone()), at.clone());
        }
        out.push(AssertionCheck {
            account: acc,
            purse,
            at,
            provider_says: provider,
            ledger_says: ledger,
            difference: provider - ledger,
            matches,
            entries_since_last_match,
        });
    }
    Ok(out)
}

/// Lines whose stated payment departs from the documented deduction order. Within one line the
/// order is: cash coupons, vouchers, (complimentary), prepaid cards, cash or credit, arrears.
/// A later purse paying while an earlier one also paid is normal (the earlier ran out), but
/// two lines of the same account charged at the same time cannot disagree: if one was paid
/// in part by cash (or left arrears) while another was paid by a voucher, the voucher should
/// have paid first. The stated parts must also add up to the billed amount.
fn payment_split(conn: &Connection, account: Option<&str>) -> Result<Vec<SplitDeparture>> {
    let mut stmt = conn.prepare(
        "SELECT id, account_id, source, source_line, billed_cost, charge_end, service,
                coupon_paid, paid_voucher, paid_complimentary, paid_cash, paid_card, paid_credit, paid_arrears,
                paid_revenue
         FROM cost_lines WHERE import_id IS NOT NULL AND (?1 IS NULL OR account_id = ?1)
           AND (paid_voucher IS NOT NULL OR paid_cash IS NOT NULL OR paid_card IS NOT NULL
                OR paid_complimentary IS NOT NULL OR paid_arrears IS NOT NULL OR paid_credit IS NOT NULL
                OR paid_revenue IS NOT NULL)
         ORDER BY account_id, charge_end, id",
    )?;
    struct L {
        id: i64,
        account: String,
        file: String,
        line: i64,
        when: Option<i64>,
        voucher: Decimal,
        late: Decimal,
    }
    let mut out = Vec::new();
    let mut lines = Vec::new();
    let mut labels = Labels::default();
    let mut rows = stmt.query(params![account])?;
    while let Some(r) = rows.next()? {
        let o = |i: usize| -> Result<Decimal> { Ok(stored_amount(r, i)?.unwrap_or_default()) };
        let billed = o(4)?;
        let parts = [o(7)?, o(8)?, o(9)?, o(10)?, o(11)?, o(12)?, o(13)?, o(14)?];
        let sum: Decimal = parts.iter().sum();
        let l = L {
            id: r.get(0)?,
            account: r.get(1)?,
            file: labels.text(conn, r.get(2)?)?.to_string(),
            line: r.get(3)?,
            when: r.get(5)?,
            voucher: parts[1],
            late: parts[3] + parts[5] + parts[6],
        };
        if sum != billed && !sum.is_zero() {
            out.push(SplitDeparture {
                line_id: l.id,
                account: l.account.clone(),
                source_file: l.file.clone(),
                source_line: l.line,
                message: format!(
                    "the payment parts add up to {} but the line bills {}",
                    to_text(sum),
                    to_text(billed)
                ),
            });
        }
        lines.push(l);
    }
    for group in
        lines.chunk_by(|a, b| a.account == b.account && a.when == b.when && a.when.is_some())
    {
        if group.len() < 2 || !group.iter().any(|l| l.voucher > Decimal::ZERO) {
            continue;
        }
        for l in group
            .iter()
            .filter(|l| l.late > Decimal::ZERO && l.voucher.is_zero())
        {
            out.push(SplitDeparture {
                line_id: l.id,
                account: l.account.clone(),
                source_file: l.file.clone(),
                source_line: l.line,
                message: format!(
                    "paid {} by cash, credit or arrears while a voucher paid another line deducted at the same time ({}); vouchers come first in the deduction order, unless this product accepts only cash or cards",
                    to_text(l.late),
                    l.when
                        .and_then(|s| DateTime::from_timestamp(s, 0))
                        .map(to_db)
                        .unwrap_or_default()
                ),
            });
        }
    }
    out.truncate(500);
    Ok(out)
}

fn completeness(conn: &Connection, account: Option<&str>) -> Result<Vec<Completeness>> {
    let has_slices: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE name = 'import_slices')",
        [],
        |r| r.get(0),
    )?;
    if !has_slices {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare(
        "SELECT provider, account_id, month, status FROM import_slices
         WHERE ?1 IS NULL OR account_id = ?1 ORDER BY account_id, month",
    )?;
    let slices: Vec<(String, String, String, String)> = stmt
        .query_map(params![account], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    // Days with usage lines (a charge period of a day at most: hourly and daily usage, which
    // a provider delivers day by day), as day numbers since 1970-01-01 in the provider's own
    // days (China Standard Time for Tencent and Huawei). Monthly subscriptions and one-time
    // charges say nothing of the daily deliveries, so they do not count. Every line of the
    // account's month counts, whichever provider it names (a marketplace seller's, a reseller's
    // cloud): the slice is the account's.
    let mut days_stmt = conn.prepare_cached(
        "SELECT DISTINCT (charge_start + ?3) / 86400 FROM cost_lines
         WHERE account_id = ?1 AND month = ?2 AND charge_start IS NOT NULL
           AND charge_end IS NOT NULL AND charge_end - charge_start <= 86400",
    )?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let mut out = Vec::new();
    for (provider, acc, month, status) in slices {
        let offset = crate::import::provider_day_offset_secs(&provider);
        let days: BTreeSet<String> = days_stmt
            .query_map(params![acc, month, offset], |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?
            .into_iter()
            .filter_map(|d| epoch.checked_add_signed(chrono::Duration::days(d)))
            .map(|d| d.format("%Y-%m-%d").to_string())
            .collect();
        let mut missing = Vec::new();
        if let (Some(first), Some(last)) = (days.first(), days.last()) {
            let parse = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
            if let (Some(mut d), Some(end)) = (parse(first), parse(last)) {
                while d < end {
                    let text = d.format("%Y-%m-%d").to_string();
                    if !days.contains(&text) && text.starts_with(&month) {
                        missing.push(text);
                    }
                    d = d.succ_opt().unwrap_or(end);
                }
            }
        }
        if status != "final" || !missing.is_empty() {
            out.push(Completeness {
                account: acc,
                provider,
                month,
                status,
                missing_days: missing,
            });
        }
    }
    Ok(out)
}

/// Signs off a month of an account: its billed totals per currency as they are now.
pub fn sign_off(
    conn: &Connection,
    account_id: &str,
    month: &str,
    at: DateTime<Utc>,
) -> Result<Vec<SignoffCheck>> {
    get_account(conn, account_id)?;
    let totals = month_totals(conn, account_id, month)?;
    if totals.is_empty() {
        return Err(Error::refused(format!(
            "'{account_id}' has no cost line in {month} to sign off"
        )));
    }
    let reviewer = super::reviewer(conn)?;
    for (currency, (billed, lines)) in &totals {
        conn.execute(
            "INSERT OR REPLACE INTO signoffs (account_id, month, currency, billed, lines, reviewer, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![account_id, month, currency, to_text(*billed), lines, reviewer, to_db(at)],
        )?;
    }
    signoffs(conn, Some(account_id), Some(month))
}

/// Exact billed totals and line counts of an account-month, per currency (from the rollups).
fn month_totals(
    conn: &Connection,
    account_id: &str,
    month: &str,
) -> Result<BTreeMap<String, (Decimal, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT currency, billed_cost, lines FROM cost_rollups_by_service
         WHERE account_id = ?1 AND month = ?2",
    )?;
    let mut out: BTreeMap<String, (Decimal, i64)> = BTreeMap::new();
    for row in stmt.query_map(params![account_id, month], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (c, b, n) = row?;
        let e = out.entry(c).or_default();
        e.0 = crate::money::add(e.0, parse_stored(&b)?)?;
        e.1 += n;
    }
    Ok(out)
}

/// A month's billed total and line count per currency, as a sign-off compares them.
pub type MonthTotals = BTreeMap<String, (Decimal, i64)>;

/// The totals of `account_id`'s `month` now when the month is signed off, else `None` (an
/// import takes them before it writes, for the months it must watch).
pub fn signed_off_totals(
    conn: &Connection,
    account_id: &str,
    month: &str,
) -> Result<Option<MonthTotals>> {
    let signed: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM signoffs WHERE account_id = ?1 AND month = ?2)",
        params![account_id, month],
        |r| r.get(0),
    )?;
    signed
        .then(|| month_totals(conn, account_id, month))
        .transpose()
}

/// The sign-offs of `account_id`'s `month` that an import changed: the month's totals moved
/// from `before` and now differ from what was signed. A month an earlier import had already
/// moved is not blamed on a later file that leaves it as it was.
pub fn changed_signoffs(
    conn: &Connection,
    account_id: &str,
    month: &str,
    before: &MonthTotals,
) -> Result<Vec<SignoffCheck>> {
    if month_totals(conn, account_id, month)? == *before {
        return Ok(Vec::new());
    }
    Ok(signoffs(conn, Some(account_id), Some(month))?
        .into_iter()
        .filter(|s| s.changed)
        .collect())
}

/// The sign-offs of an account (or all), of one month (or all), against the totals now.
fn signoffs(
    conn: &Connection,
    account: Option<&str>,
    month: Option<&str>,
) -> Result<Vec<SignoffCheck>> {
    let mut stmt = conn.prepare(
        "SELECT account_id, month, currency, billed, lines, reviewer, at FROM signoffs
         WHERE (?1 IS NULL OR account_id = ?1) AND (?2 IS NULL OR month = ?2)
         ORDER BY account_id, month, currency",
    )?;
    type Row = (String, String, String, String, i64, Option<String>, String);
    let rows: Vec<Row> = stmt
        .query_map(params![account, month], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::new();
    for (acc, month, currency, billed, lines, reviewer, at) in rows {
        let now = month_totals(conn, &acc, &month)?;
        let (cur_billed, cur_lines) = now.get(&currency).copied().unwrap_or_default();
        let signed = parse_stored(&billed)?;
        out.push(SignoffCheck {
            account: acc,
            month,
            currency: Currency::parse(&currency)?.code().to_string(),
            signed_at: at,
            reviewer,
            signed_billed: signed,
            current_billed: cur_billed,
            difference: cur_billed - signed,
            signed_lines: lines,
            current_lines: cur_lines,
            changed: cur_billed != signed || cur_lines != lines,
        });
    }
    Ok(out)
}
