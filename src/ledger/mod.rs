//! The operations of SPEC §4. Each one is a single SQLite transaction: it is checked in full,
//! then written in full, or nothing is written. Each takes its time as an argument (the core
//! never reads the clock) and an optional operation id: replaying the same id is a no-op,
//! reusing it for another operation is refused.
//!
//! Purse-filling operations on a member of a unified-payment organization go to the admin's
//! purses ("members top up the admin account"); a member's charges are paid by the admin.

pub mod balances;
pub mod bills;
pub mod journal;
pub mod settlement;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::accounts::{get_account, payer_of, Account};
use crate::costs::{insert_line, CostLine, PaymentSplit, RollupDelta};
use crate::error::{Error, Result};
use crate::money::{round_for_display, to_text, Currency};
use crate::time::{add_months, month_of, to_db};
use journal::{
    book, books, check_chronology, open_instrument, replayed, BookKind, Instrument, NewEntry,
};
use settlement::{plan, sources, Restriction, Step};

/// The outcome every operation reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The journal entry written, or the one an identical replay found.
    pub entry_id: i64,
    /// True when the operation id had already been applied and nothing was written.
    pub replayed: bool,
    /// A reference to use later (a hold, a withdrawal, a voucher or card number).
    pub reference: Option<String>,
    /// One sentence saying what happened.
    pub summary: String,
}

fn amount_text(x: Decimal, c: &Currency) -> String {
    crate::money::display(x, c)
}

/// Two amounts a refusal compares (`wanted` is more than `limit`), as displayed, or exactly
/// where displaying would round them to the same figure and hide why (40.004 against 40).
fn compared(wanted: Decimal, limit: Decimal, c: &Currency) -> (String, String) {
    let (w, l) = (amount_text(wanted, c), amount_text(limit, c));
    if w != l {
        return (w, l);
    }
    let exact = |x| format!("{} {}", to_text(x), c.code());
    (exact(wanted), exact(limit))
}

/// Runs `f` in one transaction; `f` returns the outcome, or an error and nothing is kept.
fn in_tx<T>(conn: &mut Connection, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
    let tx = conn.transaction()?;
    let out = f(&tx)?;
    tx.commit()?;
    Ok(out)
}

/// Common start of an operation: the account, who pays for it, and the replay check.
struct Ctx {
    account: Account,
    payer: Account,
}

fn begin(
    tx: &Transaction<'_>,
    account_id: &str,
    at: DateTime<Utc>,
    op_id: Option<&str>,
    fingerprint: &str,
) -> Result<std::result::Result<Ctx, Outcome>> {
    let account = get_account(tx, account_id)?;
    if let Some(entry_id) = replayed(tx, op_id, fingerprint)? {
        return Ok(Err(Outcome {
            entry_id,
            replayed: true,
            reference: None,
            summary: format!(
                "operation '{}' was already applied; nothing changed",
                op_id.unwrap_or_default()
            ),
        }));
    }
    let payer = payer_of(tx, &account)?;
    check_chronology(tx, &[&account.id, &payer.id], at)?;
    Ok(Ok(Ctx { account, payer }))
}

/// What `account` owes (its arrears), less what `entry`, not written yet, already repays of
/// them: so that an entry crediting money twice repays a debt once. (A debt the entry itself
/// leaves, as a provider's split may beside a refund, is its outcome, not repaid by it.)
fn arrears_owed(tx: &Transaction<'_>, entry: &NewEntry<'_>, account: &Account) -> Result<Decimal> {
    let bs = books(tx, std::slice::from_ref(&account.id), None)?;
    // The entry's own postings to arrears count: what it repaid already, and what it left
    // owed (a bill's part owed beside a refund in the same entry: the refund repays it).
    let pending: Decimal = entry
        .postings
        .iter()
        .filter(|p| {
            bs.iter()
                .any(|b| b.id == p.book && b.kind == BookKind::Arrears)
        })
        .map(|p| p.amount)
        .sum();
    Ok((-balances::of_kind(&bs, BookKind::Arrears) - pending).max(Decimal::ZERO))
}

/// Posts `amount` arriving from outside into `payer`'s money: it repays arrears first, the rest
/// goes to `into` (cash, normally).
fn credit_repaying_arrears(
    tx: &Transaction<'_>,
    entry: &mut NewEntry<'_>,
    payer: &Account,
    amount: Decimal,
    into: BookKind,
    at: DateTime<Utc>,
) -> Result<Decimal> {
    let cur = &payer.currency;
    let owed = arrears_owed(tx, entry, payer)?;
    let repay = owed.min(amount);
    if repay > Decimal::ZERO {
        let arrears = book(tx, &payer.id, BookKind::Arrears, cur, at)?;
        entry.post(arrears, cur, repay, 0);
    }
    let rest = amount - repay;
    if rest > Decimal::ZERO {
        let to = book(tx, &payer.id, into, cur, at)?;
        entry.post(to, cur, rest, 0);
    }
    Ok(repay)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopUpMethod {
    Online,
    BankTransfer,
    Autopay,
}

impl TopUpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            TopUpMethod::Online => "online",
            TopUpMethod::BankTransfer => "bank-transfer",
            TopUpMethod::Autopay => "autopay",
        }
    }
}

/// Revenue transferred in, for fees only (SPEC §3: revenue "can be transferred in as a cloud
/// fee", and is neither withdrawable nor invoiceable): `(held, spent)` for `account_id` at
/// `at` — what of its cash is transferred revenue not yet spent on fees, and what of the fees
/// its cash paid was paid with such revenue (net of what was given back since).
///
/// Cash is one purse; what is revenue in it is told from the journal, in time order: a
/// transfer adds to it, fees paid with cash (the cash steps of charges, posted holds) spend it
/// first (it is there for fees), and cash a charge gives back (a refund, an earlier settlement
/// reversed) returns to it as far as fees spent it. Withdrawals and card purchases never spend
/// it: they are limited to the cash beside it.
pub fn revenue_for_fees(
    conn: &Connection,
    account_id: &str,
    at: DateTime<Utc>,
) -> Result<(Decimal, Decimal)> {
    // Most accounts never transfer revenue: one look, and nothing else to read.
    let transferred: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM entries e JOIN postings p ON p.entry_id = e.id
                            JOIN books b ON b.id = p.book_id
                            WHERE e.kind = 'revenue_transfer' AND b.account_id = ?1
                              AND e.at <= ?2)",
        )?
        .query_row(params![account_id, to_db(at)], |r| r.get(0))?;
    if !transferred {
        return Ok((Decimal::ZERO, Decimal::ZERO));
    }
    let mut stmt = conn.prepare_cached(
        "SELECT e.at, e.id, e.kind, p.amount FROM postings p
         JOIN books b ON b.id = p.book_id JOIN entries e ON e.id = p.entry_id
         WHERE b.account_id = ?1 AND e.at <= ?2 AND b.kind = 'cash'
           AND e.kind IN ('revenue_transfer', 'charge')
         UNION ALL
         SELECT e.at, e.id, e.kind, p.amount FROM postings p
         JOIN books b ON b.id = p.book_id JOIN entries e ON e.id = p.entry_id
         WHERE e.kind = 'hold_post' AND b.kind = 'expense' AND e.at <= ?2
           AND EXISTS (SELECT 1 FROM postings f JOIN books fb ON fb.id = f.book_id
                       WHERE f.entry_id = e.id AND fb.kind = 'frozen' AND fb.account_id = ?1)
         ORDER BY 1, 2",
    )?;
    let mut rows = stmt.query(params![account_id, to_db(at)])?;
    let (mut held, mut spent) = (Decimal::ZERO, Decimal::ZERO);
    while let Some(r) = rows.next()? {
        let kind: String = r.get(2)?;
        let x = journal::parse_stored(&r.get::<_, String>(3)?)?;
        match kind.as_str() {
            "revenue_transfer" => held += x,
            // A posted hold's expense: a fee paid with (frozen) cash.
            "hold_post" => {
                let take = held.min(x);
                held -= take;
                spent += take;
            }
            _ if x < Decimal::ZERO => {
                let take = held.min(-x);
                held -= take;
                spent += take;
            }
            _ => {
                let back = spent.min(x);
                held += back;
                spent -= back;
            }
        }
    }
    Ok((held, spent))
}

/// What `account_id` may withdraw (or spend on a prepaid card): its free cash beside what it
/// owes (`bal`, its [`balances::balances`]), less the revenue it holds for fees
/// ([`revenue_for_fees`]). The one place the two meet: withdrawals, cards, the overview and
/// reconciliation all ask here.
pub fn withdrawable(
    conn: &Connection,
    bal: &balances::Balances,
    account_id: &str,
    at: DateTime<Utc>,
) -> Result<Decimal> {
    let (for_fees, _) = revenue_for_fees(conn, account_id, at)?;
    Ok((bal.withdrawable - for_fees).max(Decimal::ZERO))
}

/// Top-up: cash in. Repays arrears first (SPEC §4).
pub fn topup(
    conn: &mut Connection,
    account_id: &str,
    amount: Decimal,
    method: TopUpMethod,
    at: DateTime<Utc>,
    op_id: Option<&str>,
) -> Result<Outcome> {
    in_tx(conn, |tx| {
        topup_tx(tx, account_id, amount, method, at, op_id)
    })
}

pub fn topup_tx(
    tx: &Transaction<'_>,
    account_id: &str,
    amount: Decimal,
    method: TopUpMethod,
    at: DateTime<Utc>,
    op_id: Option<&str>,
) -> Result<Outcome> {
    positive(amount)?;
    let fp = format!("topup|{account_id}|{}|{}", to_text(amount), method.as_str());
    let ctx = match begin(tx, account_id, at, op_id, &fp)? {
        Ok(c) => c,
        Err(done) => return Ok(done),
    };
    let Ctx { account, payer } = ctx;
    let cur = payer.currency.clone();
    in_minor_units(amount, &cur, "top-up")?;
    let mut e = NewEntry::new("topup", &account.id, at);
    e.op_id = op_id;
    e.fingerprint = Some(fp);
    e.memo = Some(method.as_str().to_string());
    let funding = book(tx, &payer.id, BookKind::Funding, &cur, at)?;
    e.post(funding, &cur, -amount, 0);
    let repaid = credit_repaying_arrears(tx, &mut e, &payer, amount, BookKind::Cash, at)?;
    let id = journal::write(tx, &e)?;
    let mut summary = format!("topped up {} to '{}'", amount_text(amount, &cur), payer.id);
    if payer.id != account.id {
        summary.push_str(&format!(" (paid in by member '{}')", account.id));
    }
    if repaid > Decimal::ZERO {
        summary.push_str(&format!(
            "; {} of it repaid arrears",
            amount_text(repaid, &cur)
        ));
    }
    Ok(Outcome {
        entry_id: id,
        replayed: false,
        reference: None,
        summary,
    })
}

/// Money that crosses a payment method (a top-up, a withdrawal, an invoice) is in whole minor
/// units of its currency: 100.005 CNY cannot arrive in a bank account, and taken as typed it
/// would be stored exactly while every figure shows it rounded (found by black-box testing).
fn in_minor_units(amount: Decimal, cur: &Currency, what: &str) -> Result<()> {
    if amount.normalize().scale() > cur.minor_units() {
        return Err(Error::invalid(format!(
            "'{}' has more decimal places than {} has ({}): a {what} is in whole minor units, \
             such as {}",
            to_text(amount),
            cur.code(),
            cur.minor_units(),
            amount.trunc_with_scale(cur.minor_units())
        )));
    }
    Ok(())
}

fn positive(amount: Decimal) -> Result<()> {
    if amount <= Decimal::ZERO {
        return Err(Error::invalid(format!(
            "the amount must be more than zero, not {amount}"
        )));
    }
    Ok(())
}

/// Withdrawal: only cash that is neither frozen nor owed, back to the original payment source.
/// It is pending (out of the available balance) until completed or cancelled.
pub fn withdraw(
    conn: &mut Connection,
    account_id: &str,
    amount: Decimal,
    at: DateTime<Utc>,
    op_id: Option<&str>,
) -> Result<Outcome> {
    in_tx(conn, |tx| {
        positive(amount)?;
        let fp = format!("withdraw|{account_id}|{}", to_text(amount));
        let Ctx { account, .. } = match begin(tx, account_id, at, op_id, &fp)? {
            Ok(c) => c,
            Err(done) => return Ok(done),
        };
        let cur = account.currency.clone();
        in_minor_units(amount, &cur, "withdrawal")?;
        let bs = books(tx, std::slice::from_ref(&account.id), None)?;
        let (bal, _) = balances::balances(&bs, at);
        let can = withdrawable(tx, &bal, &account.id, at)?;
        if amount > can {
            let (wanted, limit) = compared(amount, can, &cur);
            return Err(Error::refused(format!(
                "cannot withdraw {wanted} from '{}': only {limit} is withdrawable (cash that is neither frozen, \
                 pending withdrawal nor owed, nor revenue transferred in for fees; credits, vouchers and \
                 prepaid cards are never withdrawable)",
                account.id,
            )));
        }
        let reference = match op_id {
            Some(id) => id.to_string(),
            None => format!("WD-{}", next_entry_id(tx)?),
        };
        let mut e = NewEntry::new("withdraw", &account.id, at);
        e.op_id = op_id;
        e.fingerprint = Some(fp);
        e.reference = Some(reference.clone());
        e.post(
            book(tx, &account.id, BookKind::Cash, &cur, at)?,
            &cur,
            -amount,
            0,
        );
        e.post(
            book(tx, &account.id, BookKind::Withdrawing, &cur, at)?,
            &cur,
            amount,
            0,
        );
        let id = journal::write(tx, &e)?;
        Ok(Outcome {
            entry_id: id,
            replayed: false,
            reference: Some(reference.clone()),
            summary: format!(
                "withdrawal {reference} of {} from '{}' is pending until it reaches the original payment source (typically 3–5 working days)",
                amount_text(amount, &cur),
                account.id
            ),
        })
    })
}

fn next_entry_id(tx: &Transaction<'_>) -> Result<i64> {
    Ok(
        tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM entries", [], |r| {
            r.get(0)
        })?,
    )
}

/// The opening entry of a hold or withdrawal: (account, amount).
fn opened(tx: &Transaction<'_>, kind: &str, reference: &str) -> Result<(String, Decimal, bool)> {
    let row: Option<(i64, String)> = tx
        .query_row(
            "SELECT id, account_id FROM entries WHERE kind = ?1 AND ref = ?2",
            params![kind, reference],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let what = if kind == "hold" { "hold" } else { "withdrawal" };
    let Some((entry_id, _)) = row else {
        return Err(Error::not_found(format!(
            "there is no {what} '{reference}'"
        )));
    };
    let (account, amount): (String, String) = tx.query_row(
        "SELECT b.account_id, p.amount FROM postings p JOIN books b ON b.id = p.book_id
         WHERE p.entry_id = ?1 AND b.kind IN ('frozen', 'withdrawing')",
        params![entry_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let closed: bool = tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM entries WHERE ref = ?1 AND kind IN
            ('hold_post', 'hold_void', 'withdraw_complete', 'withdraw_cancel'))",
        params![reference],
        |r| r.get(0),
    )?;
    Ok((account, journal::parse_stored(&amount)?, closed))
}

/// Completes (`true`) or cancels (`false`) a pending withdrawal.
pub fn finish_withdrawal(
    conn: &mut Connection,
    reference: &str,
    completed: bool,
    at: DateTime<Utc>,
) -> Result<Outcome> {
    in_tx(conn, |tx| {
        let (account_id, amount, closed) = opened(tx, "withdraw", reference)?;
        if closed {
            return Err(Error::refused(format!(
                "withdrawal '{reference}' is already finished"
            )));
        }
        let account = get_account(tx, &account_id)?;
        check_chronology(tx, &[&account.id], at)?;
        let cur = account.currency.clone();
        let kind = if completed {
            "withdraw_complete"
        } else {
            "withdraw_cancel"
        };
        let mut e = NewEntry::new(kind, &account.id, at);
        e.reference = Some(reference.to_string());
        e.post(
            book(tx, &account.id, BookKind::Withdrawing, &cur, at)?,
            &cur,
            -amount,
            0,
        );
        if completed {
            e.post(
                book(tx, &account.id, BookKind::Funding, &cur, at)?,
                &cur,
                amount,
                0,
            );
        } else {
            credit_repaying_arrears(tx, &mut e, &account, amount, BookKind::Cash, at)?;
        }
        let id = journal::write(tx, &e)?;
        Ok(Outcome {
            entry_id: id,
            replayed: false,
            reference: Some(reference.to_string()),
            summary: format!(
                "withdrawal {reference} of {} {}",
                amount_text(amount, &cur),
                if completed {
                    "completed"
                } else {
                    "cancelled; the cash is back"
                }
            ),
        })
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoucherKind {
    Regular,
    Discount,
}

impl VoucherKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VoucherKind::Regular => "regular",
            VoucherKind::Discount => "discount",
        }
    }
}

/// A voucher granted or activated on an account, valid from `at` until `expires`.
#[derive(Debug, Clone)]
pub struct NewVoucher {
    pub amount: Decimal,
    pub kind: VoucherKind,
    pub expires: DateTime<Utc>,
    pub products: Option<Vec<String>>,
    pub number: Option<String>,
}

pub fn add_voucher(
    conn: &mut Connection,
    account_id: &str,
    v: &NewVoucher,
    at: DateTime<Utc>,
    op_id: Option<&str>,
) -> Result<Outcome> {
    in_tx(conn, |tx| {
        positive(v.amount)?;
        let fp = format!(
            "voucher|{account_id}|{}|{}|{}|{:?}",
            to_text(v.amount),
            v.kind.as_str(),
            to_db(v.expires),
            v.products
        );
        let Ctx { account, payer } = match begin(tx, account_id, at, op_id, &fp)? {
            Ok(c) => c,
            Err(done) => return Ok(done),
        };
        if v.expires <= at {
            return Err(Error::invalid(format!(
                "the voucher would expire ({}) before it is activated ({})",
                to_db(v.expires),
                to_db(at)
            )));
        }
        let label = match &v.number {
            Some(n) => n.clone(),
            None => journal::next_label(tx, &payer.id, BookKind::Voucher, "V")?,
        };
        let (id, _) = grant_voucher(tx, &payer, &account.id, v, &label, at, op_id, Some(fp))?;
        Ok(Outcome {
            entry_id: id,
            replayed: false,
            reference: Some(label.clone()),
            summary: format!(
                "{} voucher {label} of {} on '{}', valid {}",
                v.kind.as_str(),
                amount_text(v.amount, &payer.currency),
                payer.id,
                crate::time::until_text(v.expires)
            ),
        })
    })
}

#[allow(clippy::too_many_arguments)]
fn grant_voucher(
    tx: &Transaction<'_>,
    payer: &Account,
    actor: &str,
    v: &NewVoucher,
    label: &str,
    at: DateTime<Utc>,
    op_id: Option<&str>,
    fingerprint: Option<String>,
) -> Result<(i64, i64)> {
    let cur = &payer.currency;
    let inst = Instrument {
        label: label.to_string(),
        voucher_kind: Some(v.kind.as_str().to_string()),
        face_value: v.amount,
        products: v.products.clone(),
        valid_from: Some(at),
        valid_until: Some(v.expires),
    };
    let vb = open_instrument(tx, &payer.id, BookKind::Voucher, cur, &inst, at)?;
    let mut e = NewEntry::new("voucher_grant", actor, at);
    e.op_id = op_id;
    e.fingerprint = fingerprint;
    e.reference = None;
    e.memo = Some(label.to_string());
    e.post(
        book(tx, &payer.id, BookKind::Grants, cur, at)?,
        cur,
        -v.amount,
        0,
    );
    e.post(vb, cur, v.amount, 0);
    Ok((journal::write(tx, &e)?, vb))
}

/// A cash coupon granted by the provider: it takes its amount off a future bill.
pub fn add_coupon(
    conn: &mut Connection,
    account_id: &str,
    amount: Decimal,
    expires: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
    op_id: Option<&str>,
) -> Result<Outcome> {
    in_tx(conn, |tx| {
        positive(amount)?;
        let fp = format!(
            "coupon|{account_id}|{}|{:?}",
            to_text(amount),
            expires.map(to_db)
        );
        let Ctx { account, payer } = match begin(tx, account_id, at, op_id, &fp)? {
            Ok(c) => c,
            Err(done) => return Ok(done),
        };
        let cur = payer.currency.clone();
        let label = journal::next_label(tx, &payer.id, BookKind::Coupon, "CC")?;
        let inst = Instrument {
            label: label.clone(),
            face_value: amount,
            valid_from: Some(at),
            valid_until: expires,
            ..Default::default()
        };
        let cb = open_instrument(tx, &payer.id, BookKind::Coupon, &cur, &inst, at)?;
        let mut e = NewEntry::new("coupon_grant", &account.id, at);
        e.op_id = op_id;
        e.fingerprint = Some(fp);
        e.memo = Some(label.clone());
        e.post(
            book(tx, &payer.id, BookKind::Grants, &cur, at)?,
            &cur,
            -amount,
            0,
        );
        e.post(cb, &cur, amount, 0);
        let id = journal::write(tx, &e)?;
        Ok(Outcome {
            entry_id: id,
            replayed: false,
            reference: Some(label.clone()),
            summary: format!(
                "cash coupon {label} of {} on '{}'",
                amount_text(amount, &cur),
                payer.id
            ),
        })
    })
}

/// Complimentary credit or revenue granted to an account.
pub fn grant(
    conn: &mut Connection,
    account_id: &str,
    amount: Decimal,
    purse: BookKind,
    at: DateTime<Utc>,
    op_id: Option<&str>,
) -> Result<Outcome> {
    if !matches!(purse, BookKind::Complimentary | BookKind::Revenue) {
        return Err(Error::invalid(
            "only complimentary credit and revenue can be granted",
        ));
    }
    in_tx(conn, |tx| {
        positive(amount)?;
        let fp = format!("grant|{account_id}|{}|{}", to_text(amount), purse.as_str());
        let Ctx { account, payer } = match begin(tx, account_id, at, op_id, &fp)? {
            Ok(c) => c,
            Err(done) => return Ok(done),
        };
        let cur = payer.currency.clone();
        let mut e = NewEntry::new("grant", &account.id, at);
        e.op_id = op_id;
        e.fingerprint = Some(fp);
        e.post(
            book(tx, &payer.id, BookKind::Grants, &cur, at)?,
            &cur,
            -amount,
            0,
        );
        e.post(book(tx, &payer.id, purse, &cur, at)?, &cur, amount, 0);
        let id = journal::write(tx, &e)?;
        Ok(Outcome {
            entry_id: id,
            replayed: false,
            reference: None,
            summary: format!(
                "{} {} granted to '{}'",
                amount_text(amount, &cur),
                purse.as_str(),
                payer.id
            ),
        })
    })
}

/// Revenue transferred in as cloud fee: it becomes cash (and repays arrears first).
pub fn transfer_revenue(
    conn: &mut Connection,
    account_id: &str,
    amount: Decimal,
    at: DateTime<Utc>,
    op_id: Option<&str>,
) -> Result<Outcome> {
    in_tx(conn, |tx| {
        positive(amount)?;
        let fp = format!("revenue-in|{account_id}|{}", to_text(amount));
        let Ctx { account, payer } = match begin(tx, account_id, at, op_id, &fp)? {
            Ok(c) => c,
            Err(done) => return Ok(done),
        };
        let cur = payer.currency.clone();
        let have = balances::of_kind(
            &books(tx, std::slice::from_ref(&payer.id), None)?,
            BookKind::Revenue,
        );
        if amount > have {
            return Err(Error::refused(format!(
                "cannot transfer {} of revenue: '{}' has {} of revenue",
                amount_text(amount, &cur),
                payer.id,
                amount_text(have, &cur)
            )));
        }
        let mut e = NewEntry::new("revenue_transfer", &account.id, at);
        e.op_id = op_id;
        e.fingerprint = Some(fp);
        e.post(
            book(tx, &payer.id, BookKind::Revenue, &cur, at)?,
            &cur,
            -amount,
            0,
        );
        credit_repaying_arrears(tx, &mut e, &payer, amount, BookKind::Cash, at)?;
        let id = journal::write(tx, &e)?;
        Ok(Outcome {
            entry_id: id,
            replayed: false,
            reference: None,
            summary: format!(
                "{} of revenue transferred to cash on '{}'",
                amount_text(amount, &cur),
                payer.id
            ),
        })
    })
}

/// Prepaid cards are sold in multiples of this, at least one.
pub const CARD_UNIT: i64 = 100;
/// Validity of a prepaid card when the purchase does not say.
pub const CARD_DEFAULT_MONTHS: u32 = 12;

/// Buys a prepaid card with cash; a purchase that reaches a tier of `card_bonus_tiers` also
/// grants a bonus discount voucher, valid as long as the card.
pub fn buy_card(
    conn: &mut Connection,
    account_id: &str,
    amount: Decimal,
    expires: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
    op_id: Option<&str>,
) -> Result<Outcome> {
    in_tx(conn, |tx| {
        positive(amount)?;
        let unit = Decimal::from(CARD_UNIT);
        if amount < unit || !(amount % unit).is_zero() {
            return Err(Error::refused(format!(
                "a prepaid card is sold in multiples of {CARD_UNIT} (at least {CARD_UNIT}); {} is not one",
                to_text(amount)
            )));
        }
        // The replay check is of what the caller asked: a card without an end date retried later
        // is the same purchase, though its default end date would be computed from a later time.
        let fp = format!(
            "card|{account_id}|{}|{}",
            to_text(amount),
            expires.map(to_db).unwrap_or_else(|| "default".into())
        );
        let expires = expires.unwrap_or_else(|| add_months(at, CARD_DEFAULT_MONTHS));
        let Ctx { account, payer } = match begin(tx, account_id, at, op_id, &fp)? {
            Ok(c) => c,
            Err(done) => return Ok(done),
        };
        if payer.id != account.id {
            return Err(Error::refused(format!(
                "'{}' is a member under unified payment and holds no money; buy the card on the admin account '{}'",
                account.id, payer.id
            )));
        }
        if expires <= at {
            return Err(Error::invalid("the card would expire before it is bought"));
        }
        let cur = account.currency.clone();
        let bs = books(tx, std::slice::from_ref(&account.id), None)?;
        let (bal, _) = balances::balances(&bs, at);
        let can = withdrawable(tx, &bal, &account.id, at)?;
        if amount > can {
            return Err(Error::refused(format!(
                "a prepaid card is bought with cash: '{}' has {} of free cash (revenue transferred \
                 in pays fees only), not {}",
                account.id,
                amount_text(can, &cur),
                amount_text(amount, &cur)
            )));
        }
        let label = journal::next_label(tx, &account.id, BookKind::Card, "PC")?;
        let inst = Instrument {
            label: label.clone(),
            face_value: amount,
            valid_from: Some(at),
            valid_until: Some(expires),
            ..Default::default()
        };
        let card = open_instrument(tx, &account.id, BookKind::Card, &cur, &inst, at)?;
        let mut e = NewEntry::new("card_buy", &account.id, at);
        e.op_id = op_id;
        e.fingerprint = Some(fp);
        e.memo = Some(label.clone());
        e.post(
            book(tx, &account.id, BookKind::Cash, &cur, at)?,
            &cur,
            -amount,
            0,
        );
        e.post(card, &cur, amount, 0);
        let id = journal::write(tx, &e)?;
        let mut summary = format!(
            "prepaid card {label} of {} bought on '{}', valid {}",
            amount_text(amount, &cur),
            account.id,
            crate::time::until_text(expires)
        );
        if let Some(bonus) = card_bonus(tx, amount)? {
            let v = NewVoucher {
                amount: bonus,
                kind: VoucherKind::Discount,
                expires,
                products: None,
                number: None,
            };
            let vlabel = format!("{label}-BONUS");
            grant_voucher(tx, &account, &account.id, &v, &vlabel, at, None, None)?;
            summary.push_str(&format!(
                "; bonus discount voucher {vlabel} of {}",
                amount_text(bonus, &cur)
            ));
        }
        Ok(Outcome {
            entry_id: id,
            replayed: false,
            reference: Some(label),
            summary,
        })
    })
}

/// The bonus of the highest tier the purchase reaches, if any.
fn card_bonus(tx: &Transaction<'_>, amount: Decimal) -> Result<Option<Decimal>> {
    let mut stmt = tx.prepare("SELECT min_purchase, bonus FROM card_bonus_tiers")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut best: Option<(Decimal, Decimal)> = None;
    for row in rows {
        let (min, bonus) = row?;
        let (min, bonus) = (journal::parse_stored(&min)?, journal::parse_stored(&bonus)?);
        if amount >= min && best.is_none_or(|b| min > b.0) {
            best = Some((min, bonus));
        }
    }
    Ok(best.map(|b| b.1))
}

/// Restricts what may pay for `product` on `account_id`: any of "cash", "card".
pub fn restrict(
    conn: &Connection,
    account_id: &str,
    product: &str,
    allowed: &[String],
) -> Result<()> {
    get_account(conn, account_id)?;
    if allowed.is_empty() || allowed.iter().any(|a| a != "cash" && a != "card") {
        return Err(Error::invalid(format!(
            "'{}' is not a restriction: expected a list of cash and card, such as cash,card",
            allowed.join(",")
        )));
    }
    conn.execute(
        "INSERT OR REPLACE INTO product_restrictions (account_id, product, allowed) VALUES (?1, ?2, ?3)",
        params![account_id, product, allowed.join(",")],
    )?;
    Ok(())
}

fn restriction(
    tx: &Transaction<'_>,
    account_id: &str,
    product: &str,
) -> Result<Option<Restriction>> {
    let allowed: Option<String> = tx
        .query_row(
            "SELECT allowed FROM product_restrictions WHERE account_id = ?1 AND lower(product) = lower(?2)",
            params![account_id, product],
            |r| r.get(0),
        )
        .optional()?;
    Ok(allowed.map(|a| Restriction {
        allow_card: a.split(',').any(|x| x == "card"),
        allow_cash: a.split(',').any(|x| x == "cash"),
    }))
}

/// Freezes `amount` of the account's free cash under `reference` (pending), to be posted or
/// voided later.
pub fn hold(
    conn: &mut Connection,
    account_id: &str,
    amount: Decimal,
    reference: &str,
    at: DateTime<Utc>,
) -> Result<Outcome> {
    in_tx(conn, |tx| {
        positive(amount)?;
        if reference.trim().is_empty() {
            return Err(Error::invalid("a hold needs a reference (--ref)"));
        }
        let fp = format!("hold|{account_id}|{}|{reference}", to_text(amount));
        let Ctx { account, payer } = match begin(tx, account_id, at, None, &fp)? {
            Ok(c) => c,
            Err(done) => return Ok(done),
        };
        let exists: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM entries WHERE kind = 'hold' AND ref = ?1)",
            params![reference],
            |r| r.get(0),
        )?;
        if exists {
            return Err(Error::conflict(format!(
                "there is already a hold '{reference}'"
            )));
        }
        let cur = payer.currency.clone();
        let bs = books(tx, std::slice::from_ref(&payer.id), None)?;
        let (bal, _) = balances::balances(&bs, at);
        if amount > bal.withdrawable {
            return Err(Error::refused(format!(
                "cannot freeze {}: '{}' has {} of free cash",
                amount_text(amount, &cur),
                payer.id,
                amount_text(bal.withdrawable, &cur)
            )));
        }
        let mut e = NewEntry::new("hold", &account.id, at);
        e.reference = Some(reference.to_string());
        e.post(
            book(tx, &payer.id, BookKind::Cash, &cur, at)?,
            &cur,
            -amount,
            0,
        );
        e.post(
            book(tx, &payer.id, BookKind::Frozen, &cur, at)?,
            &cur,
            amount,
            0,
        );
        let id = journal::write(tx, &e)?;
        Ok(Outcome {
            entry_id: id,
            replayed: false,
            reference: Some(reference.to_string()),
            summary: format!(
                "{} frozen on '{}' under hold {reference}",
                amount_text(amount, &cur),
                payer.id
            ),
        })
    })
}

/// Releases a pending hold: the frozen cash is free again (repaying arrears first).
pub fn void_hold(conn: &mut Connection, reference: &str, at: DateTime<Utc>) -> Result<Outcome> {
    in_tx(conn, |tx| {
        let (payer_id, amount, closed) = opened(tx, "hold", reference)?;
        if closed {
            return Err(Error::refused(format!(
                "hold '{reference}' is already posted or voided"
            )));
        }
        let payer = get_account(tx, &payer_id)?;
        check_chronology(tx, &[&payer.id], at)?;
        let cur = payer.currency.clone();
        let mut e = NewEntry::new("hold_void", &payer.id, at);
        e.reference = Some(reference.to_string());
        e.post(
            book(tx, &payer.id, BookKind::Frozen, &cur, at)?,
            &cur,
            -amount,
            0,
        );
        let repaid = credit_repaying_arrears(tx, &mut e, &payer, amount, BookKind::Cash, at)?;
        let id = journal::write(tx, &e)?;
        let mut summary = format!(
            "hold {reference} released: {} is free again",
            amount_text(amount, &cur)
        );
        if repaid > Decimal::ZERO {
            summary.push_str(&format!(
                "; {} of it repaid arrears",
                amount_text(repaid, &cur)
            ));
        }
        Ok(Outcome {
            entry_id: id,
            replayed: false,
            reference: Some(reference.to_string()),
            summary,
        })
    })
}

/// Turns a pending hold into a deduction of `amount` (the whole hold when `None`) for
/// `product`; the rest of the hold is released.
pub fn post_hold(
    conn: &mut Connection,
    reference: &str,
    amount: Option<Decimal>,
    product: &str,
    at: DateTime<Utc>,
) -> Result<Outcome> {
    in_tx(conn, |tx| {
        let (payer_id, held, closed) = opened(tx, "hold", reference)?;
        if closed {
            return Err(Error::refused(format!(
                "hold '{reference}' is already posted or voided"
            )));
        }
        let amount = amount.unwrap_or(held);
        if amount < Decimal::ZERO || amount > held {
            return Err(Error::refused(format!(
                "hold '{reference}' froze {}; post between 0 and that, and charge any more with `billfold charge`",
                to_text(held)
            )));
        }
        let consumer_id: String = tx.query_row(
            "SELECT account_id FROM entries WHERE kind = 'hold' AND ref = ?1",
            params![reference],
            |r| r.get(0),
        )?;
        let payer = get_account(tx, &payer_id)?;
        let consumer = get_account(tx, &consumer_id)?;
        check_chronology(tx, &[&payer.id, &consumer.id], at)?;
        let cur = payer.currency.clone();
        let mut e = NewEntry::new("hold_post", &consumer.id, at);
        e.reference = Some(reference.to_string());
        e.product = Some(product.to_string());
        e.post(
            book(tx, &payer.id, BookKind::Frozen, &cur, at)?,
            &cur,
            -held,
            0,
        );
        e.post(
            book(tx, &consumer.id, BookKind::Expense, &cur, at)?,
            &cur,
            amount,
            Step::Cash as i64,
        );
        if held > amount {
            credit_repaying_arrears(tx, &mut e, &payer, held - amount, BookKind::Cash, at)?;
        }
        let id = journal::write(tx, &e)?;
        let split = PaymentSplit {
            cash: Some(amount),
            ..Default::default()
        };
        record_cost(tx, &consumer, product, amount, split, at, id)?;
        Ok(Outcome {
            entry_id: id,
            replayed: false,
            reference: Some(reference.to_string()),
            summary: format!(
                "hold {reference} posted: {} deducted for {product}{}",
                amount_text(amount, &cur),
                if held > amount {
                    format!(", {} released", amount_text(held - amount, &cur))
                } else {
                    String::new()
                }
            ),
        })
    })
}

/// How a charge was settled, step by step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settlement {
    pub entry_id: i64,
    pub replayed: bool,
    pub currency: Currency,
    #[serde(with = "crate::money::text")]
    pub amount: Decimal,
    #[serde(with = "crate::money::text")]
    pub cash_coupons: Decimal,
    #[serde(with = "crate::money::text")]
    pub net_amount: Decimal,
    pub steps: Vec<SettlementStep>,
    #[serde(with = "crate::money::text")]
    pub arrears: Decimal,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettlementStep {
    pub step: Step,
    pub purse: String,
    #[serde(with = "crate::money::text")]
    pub amount: Decimal,
}

/// Settles a pay-as-you-go charge in the SPEC §4 deduction order; the unpaid rest becomes
/// arrears. Expired vouchers and cards of the payer are lapsed first (recorded, not deleted).
pub fn charge(
    conn: &mut Connection,
    account_id: &str,
    amount: Decimal,
    product: &str,
    at: DateTime<Utc>,
    op_id: Option<&str>,
) -> Result<Settlement> {
    in_tx(conn, |tx| {
        charge_tx(tx, account_id, amount, product, at, op_id)
    })
}

/// [`charge`] inside the caller's transaction (for imports that settle what they read).
pub fn charge_tx(
    tx: &Transaction<'_>,
    account_id: &str,
    amount: Decimal,
    product: &str,
    at: DateTime<Utc>,
    op_id: Option<&str>,
) -> Result<Settlement> {
    positive(amount)?;
    if product.trim().is_empty() {
        return Err(Error::invalid("a charge needs a product (--product)"));
    }
    let fp = format!("charge|{account_id}|{}|{product}", to_text(amount));
    let Ctx { account, payer } = match begin(tx, account_id, at, op_id, &fp)? {
        Ok(c) => c,
        Err(done) => {
            let cur = get_account(tx, account_id)?.currency;
            return Ok(Settlement {
                entry_id: done.entry_id,
                replayed: true,
                currency: cur,
                amount,
                cash_coupons: Decimal::ZERO,
                net_amount: amount,
                steps: Vec::new(),
                arrears: Decimal::ZERO,
                summary: done.summary,
            });
        }
    };
    lapse_expired_tx(tx, &payer, at)?;
    let cur = payer.currency.clone();
    let bs = books(tx, std::slice::from_ref(&payer.id), None)?;
    let r = restriction(tx, &payer.id, product)?;
    let srcs = sources(&bs, product, at, payer.id == account.id, r);
    let p = plan(amount, &srcs);

    let mut e = NewEntry::new("charge", &account.id, at);
    e.op_id = op_id;
    e.fingerprint = Some(fp);
    e.product = Some(product.to_string());
    e.post(
        book(tx, &account.id, BookKind::Expense, &cur, at)?,
        &cur,
        amount,
        0,
    );
    let mut steps = Vec::new();
    for (book_id, step, x) in &p.takes {
        e.post(*book_id, &cur, -*x, *step as i64);
        let b = bs
            .iter()
            .find(|b| b.id == *book_id)
            .expect("planned from these books");
        steps.push(SettlementStep {
            step: *step,
            purse: b
                .label
                .clone()
                .unwrap_or_else(|| b.kind.as_str().to_string()),
            amount: *x,
        });
    }
    if p.unpaid > Decimal::ZERO {
        let arrears = book(tx, &payer.id, BookKind::Arrears, &cur, at)?;
        e.post(arrears, &cur, -p.unpaid, Step::Arrears as i64);
        steps.push(SettlementStep {
            step: Step::Arrears,
            purse: "arrears".into(),
            amount: p.unpaid,
        });
    }
    let id = journal::write(tx, &e)?;
    let coupons = p.taken_by(Step::CashCoupon);
    let vouchers = p.taken_by(Step::RegularVoucher) + p.taken_by(Step::DiscountVoucher);
    let nz = |d: Decimal| (!d.is_zero()).then_some(d);
    let split = PaymentSplit {
        voucher: nz(vouchers),
        complimentary: nz(p.taken_by(Step::Complimentary)),
        cash: nz(p.taken_by(Step::Cash)),
        card: nz(p.taken_by(Step::PrepaidCard)),
        cash_coupon: nz(coupons),
        credit: None,
        arrears: nz(p.unpaid),
        revenue: None,
    };
    record_cost(tx, &account, product, amount, split, at, id)?;
    let mut summary = format!(
        "charged {} for {product} to '{}'",
        amount_text(amount, &cur),
        account.id
    );
    if payer.id != account.id {
        summary.push_str(&format!(", paid by admin '{}'", payer.id));
    }
    if p.unpaid > Decimal::ZERO {
        summary.push_str(&format!(
            "; {} unpaid is now arrears",
            amount_text(p.unpaid, &cur)
        ));
    }
    Ok(Settlement {
        entry_id: id,
        replayed: false,
        currency: cur,
        amount,
        cash_coupons: coupons,
        net_amount: amount - coupons,
        steps,
        arrears: p.unpaid,
        summary,
    })
}

/// Writes the cost line of a charge settled in Billfold, so that the trend and bill queries see
/// it exactly like an imported line.
fn record_cost(
    tx: &Transaction<'_>,
    consumer: &Account,
    product: &str,
    amount: Decimal,
    paid: PaymentSplit,
    at: DateTime<Utc>,
    entry_id: i64,
) -> Result<()> {
    let line = CostLine {
        source_file: "ledger".into(),
        source_line: entry_id as u64,
        provider: consumer.provider.clone(),
        account_id: consumer.id.clone(),
        sub_account_id: None,
        sub_account_name: None,
        month: month_of(at),
        charge_start: Some(at),
        charge_end: Some(at),
        category: "Usage".into(),
        charge_class: None,
        description: None,
        service: product.to_string(),
        service_category: None,
        resource_id: None,
        resource_name: None,
        region: None,
        sku_id: None,
        pricing_quantity: None,
        pricing_unit: None,
        currency: consumer.currency.clone(),
        list_cost: None,
        contracted_cost: None,
        effective_cost: amount,
        billed_cost: amount,
        paid,
        invoice_id: None,
        tags: None,
    };
    insert_line(tx, &line, Some(entry_id))?;
    let mut delta = RollupDelta::default();
    delta.add_line(tx, &line)?;
    delta.apply(tx)
}

/// Records the lapse of every voucher and card of `account_id` that expired by `at` with a
/// balance left: the balance moves to the lapsed book (recorded, never deleted).
pub fn lapse_expired(
    conn: &mut Connection,
    account_id: &str,
    at: DateTime<Utc>,
) -> Result<Vec<Outcome>> {
    in_tx(conn, |tx| {
        let account = get_account(tx, account_id)?;
        lapse_expired_tx(tx, &account, at)
    })
}

fn lapse_expired_tx(
    tx: &Transaction<'_>,
    account: &Account,
    at: DateTime<Utc>,
) -> Result<Vec<Outcome>> {
    let cur = account.currency.clone();
    let mut out = Vec::new();
    for b in books(tx, std::slice::from_ref(&account.id), None)? {
        if !b.expired_at(at) || b.balance <= Decimal::ZERO {
            continue;
        }
        let label = b.label.clone().unwrap_or_default();
        let mut e = NewEntry::new("lapse", &account.id, at);
        e.memo = Some(format!(
            "{} {label} expired at {}",
            b.kind.as_str(),
            b.valid_until.map(to_db).unwrap_or_default()
        ));
        e.post(b.id, &cur, -b.balance, 0);
        e.post(
            book(tx, &account.id, BookKind::Lapsed, &cur, at)?,
            &cur,
            b.balance,
            0,
        );
        let id = journal::write(tx, &e)?;
        out.push(Outcome {
            entry_id: id,
            replayed: false,
            reference: Some(label.clone()),
            summary: format!(
                "{} {label} expired; its remaining {} lapsed",
                b.kind.as_str(),
                amount_text(b.balance, &cur)
            ),
        });
    }
    Ok(out)
}

/// The automatic charge and top-up rule of an account (SPEC §4): at the end of a billing cycle,
/// the designated card is charged what is owed, and, when the available balance is below
/// `trigger` once that is repaid, enough more to bring it to `target`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutopayRule {
    #[serde(with = "crate::money::text")]
    pub trigger: Decimal,
    pub target: Option<Decimal>,
    pub card: String,
}

pub fn set_autopay(conn: &Connection, account_id: &str, rule: &AutopayRule) -> Result<()> {
    get_account(conn, account_id)?;
    if let Some(t) = rule.target {
        if t < rule.trigger {
            return Err(Error::invalid(format!(
                "the top-up target {} must not be below the trigger {}",
                to_text(t),
                to_text(rule.trigger)
            )));
        }
    }
    conn.execute(
        "INSERT OR REPLACE INTO autopay_rules (account_id, trigger, target, card_label) VALUES (?1, ?2, ?3, ?4)",
        params![account_id, to_text(rule.trigger), rule.target.map(to_text), rule.card],
    )?;
    Ok(())
}

pub fn autopay_rule(conn: &Connection, account_id: &str) -> Result<Option<AutopayRule>> {
    let row: Option<(String, Option<String>, String)> = conn
        .query_row(
            "SELECT trigger, target, card_label FROM autopay_rules WHERE account_id = ?1",
            params![account_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    row.map(|(t, g, c)| {
        Ok(AutopayRule {
            trigger: journal::parse_stored(&t)?,
            target: g.as_deref().map(journal::parse_stored).transpose()?,
            card: c,
        })
    })
    .transpose()
}

/// Runs the automatic charge at the end of a cycle. `declined` records that the card charge
/// failed: the balance stays as it is and an alert is raised until a later charge succeeds.
pub fn run_autopay(
    conn: &mut Connection,
    account_id: &str,
    at: DateTime<Utc>,
    declined: bool,
) -> Result<Outcome> {
    let rule = autopay_rule(conn, account_id)?.ok_or_else(|| {
        Error::not_found(format!(
            "account '{account_id}' has no automatic charge rule: set one with `billfold autopay set`"
        ))
    })?;
    in_tx(conn, |tx| {
        let account = get_account(tx, account_id)?;
        check_chronology(tx, &[&account.id], at)?;
        let cur = account.currency.clone();
        // The balance that pays the account's fees: its organization admin's under unified
        // payment, where its top-ups land too (found by black-box testing: a member's charge
        // was computed from its own empty purses, leaving the admin owing).
        let payer = crate::accounts::payer_of(tx, &account)?;
        let (bal, _) = balances::balances(&books(tx, std::slice::from_ref(&payer.id), None)?, at);
        // What is owed is charged whatever the trigger (SPEC §4: "if the balance cannot cover
        // the fees, the designated card is charged for what is owed"); then, below the
        // trigger once it is repaid, up to the target.
        let repaid = bal.available + bal.arrears;
        let due = bal.arrears
            + match rule.target {
                Some(target) if repaid < rule.trigger => target - repaid,
                _ => Decimal::ZERO,
            };
        if due <= Decimal::ZERO {
            return Ok(Outcome {
                entry_id: 0,
                replayed: false,
                reference: None,
                summary: format!(
                    "available balance {} is not below the trigger {} and nothing is owed: no \
                     automatic charge",
                    amount_text(bal.available, &cur),
                    amount_text(rule.trigger, &cur)
                ),
            });
        }
        let due = round_up_to_minor(due, &cur);
        let kind = if declined {
            "autopay_failed"
        } else {
            "autopay_charged"
        };
        tx.execute(
            "INSERT INTO events (account_id, at, kind, amount, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![account.id, to_db(at), kind, to_text(due), rule.card],
        )?;
        if declined {
            return Ok(Outcome {
                entry_id: 0,
                replayed: false,
                reference: None,
                summary: format!(
                    "the automatic charge of {} to {} failed; the balance stays at {}",
                    amount_text(due, &cur),
                    rule.card,
                    amount_text(bal.available, &cur)
                ),
            });
        }
        let out = topup_tx(tx, &account.id, due, TopUpMethod::Autopay, at, None)?;
        Ok(Outcome {
            summary: format!(
                "automatic charge of {} to {}: {}",
                amount_text(due, &cur),
                rule.card,
                out.summary
            ),
            ..out
        })
    })
}

/// A card is charged in whole minor units: round a computed amount due up, never down, so
/// that the target is reached.
fn round_up_to_minor(x: Decimal, c: &Currency) -> Decimal {
    let r = x.round_dp_with_strategy(
        c.minor_units(),
        rust_decimal::RoundingStrategy::AwayFromZero,
    );
    debug_assert!(r >= x || round_for_display(x, c) == r);
    r
}

/// Records that an invoice was requested for `amount` of the invoiceable cash.
pub fn request_invoice(
    conn: &mut Connection,
    account_id: &str,
    amount: Decimal,
    at: DateTime<Utc>,
    op_id: Option<&str>,
) -> Result<Outcome> {
    in_tx(conn, |tx| {
        positive(amount)?;
        if let Some(op) = op_id {
            let seen: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM invoices_requested WHERE op_id = ?1)",
                params![op],
                |r| r.get(0),
            )?;
            if seen {
                return Ok(Outcome {
                    entry_id: 0,
                    replayed: true,
                    reference: None,
                    summary: format!("operation '{op}' was already applied; nothing changed"),
                });
            }
        }
        let account = get_account(tx, account_id)?;
        let cur = account.currency.clone();
        in_minor_units(amount, &cur, "invoice")?;
        let open = crate::overview::invoiceable(tx, std::slice::from_ref(&account.id), at)?;
        if amount > open {
            let (wanted, limit) = compared(amount, open, &cur);
            return Err(Error::refused(format!(
                "only {limit} of cash paid on '{}' is not yet invoiced; {wanted} cannot be invoiced",
                account.id,
            )));
        }
        tx.execute(
            "INSERT INTO invoices_requested (account_id, at, amount, op_id) VALUES (?1, ?2, ?3, ?4)",
            params![account.id, to_db(at), to_text(amount), op_id],
        )?;
        Ok(Outcome {
            entry_id: 0,
            replayed: false,
            reference: None,
            summary: format!(
                "invoice requested for {} on '{}'",
                amount_text(amount, &cur),
                account.id
            ),
        })
    })
}
