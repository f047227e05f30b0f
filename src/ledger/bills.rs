//! Settling imported bills (`billfold import --settle`, issue 3): the charges of an account's
//! imported lines are deducted from its purses, inside the import's transaction.
//!
//! The rules (written down in docs/IMPORT.md, "Settling"):
//! - One deduction per (account, month, service) of the file, at the time of the import: a
//!   month's bill is settled when it is imported, not line by line in the past (the ledger's
//!   later operations would make that impossible), with the product's restriction. A prepaid
//!   account's bill is settled at once; a postpaid account's at the monthly settlement, i.e.
//!   once its month is final (SPEC §2: the real usage is deducted at the monthly settlement).
//!   What the purses cannot pay becomes arrears: the unpaid amount, overdue 15 days later.
//! - Lines that say how they were paid (Tencent and Huawei exports) are posted with the
//!   provider's own split: each part from the ledger's purses of that kind (vouchers and cards
//!   earliest expiry first), credit-line payments as arrears. A part the ledger's purses cannot
//!   pay refuses the file. Lines that do not say (FOCUS) are settled in the SPEC §4 order.
//! - Settling is idempotent per (account, month, service): what was settled before is
//!   recorded in `bill_settlements` with its journal entry. A newer export of the month that
//!   says otherwise (amounts, or kinds of purse named) reverses those entries posting by
//!   posting (each purse gets back what it paid, and an instrument expired since lapses it at
//!   once; what was left owed is owed no longer, as far as it still is; cash comes back
//!   repaying other arrears first), then settles the month afresh: the month ends where its
//!   last export alone would have put it.
//! - Each line whose stated split departs from the documented order, judged by the ledger's
//!   balances as the file's lines are paid one after the other, is reported.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use rust_decimal::Decimal;
use serde::Serialize;

use super::journal::{self, book, books, BookKind, NewEntry};
use super::settlement::{plan, sources, Step};
use super::{
    arrears_owed, begin, credit_repaying_arrears, lapse_expired_tx, restriction, SettlementStep,
};
use crate::accounts::{get_account, Account, PaymentMode};
use crate::costs::stored_amount;
use crate::error::{Error, Result};
use crate::money::{self, display, to_text};
use crate::store::labels::Labels;

/// The purses a native export may name, in deduction order; then the revenue-share account,
/// which is outside the order (SPEC §3: revenue pays fees only when the provider moves it in).
const PARTS: [Part; 7] = [
    Part::Coupon,
    Part::Voucher,
    Part::Complimentary,
    Part::Card,
    Part::Cash,
    Part::Arrears,
    Part::Revenue,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Coupon,
    Voucher,
    Complimentary,
    Card,
    Cash,
    Arrears,
    Revenue,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Part::Coupon => "cash coupons",
            Part::Voucher => "vouchers",
            Part::Complimentary => "complimentary credit",
            Part::Card => "prepaid cards",
            Part::Cash => "cash",
            Part::Arrears => "arrears",
            Part::Revenue => "revenue",
        }
    }

    fn steps(self) -> &'static [Step] {
        match self {
            Part::Coupon => &[Step::CashCoupon],
            Part::Voucher => &[Step::RegularVoucher, Step::DiscountVoucher],
            Part::Complimentary => &[Step::Complimentary],
            Part::Card => &[Step::PrepaidCard],
            Part::Cash => &[Step::Cash],
            Part::Arrears | Part::Revenue => &[],
        }
    }
}

/// Billed amount and, when the file states it, the split of one group or line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Amounts {
    billed: Decimal,
    /// By `PARTS` order; meaningful when `stated`.
    parts: [Decimal; 7],
    stated: bool,
    /// By `PARTS` order: the file has a value for that kind (zero included) on some line. A
    /// part the stated split leaves uncovered is taken from the other kinds first: the
    /// provider said how much these paid.
    named: [bool; 7],
}

impl Amounts {
    fn add(&mut self, o: &Amounts) {
        self.billed += o.billed;
        for (a, b) in self.parts.iter_mut().zip(o.parts) {
            *a += b;
        }
        self.stated |= o.stated;
        for (a, b) in self.named.iter_mut().zip(o.named) {
            *a |= b;
        }
    }
}

/// One deduction made (or given back) for an (account, month, service).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettledGroup {
    pub account: String,
    pub month: String,
    pub service: String,
    pub currency: String,
    /// What this settlement added to the month's billed total (negative: given back).
    #[serde(with = "crate::money::text")]
    pub amount: Decimal,
    /// `provider_split` or `deduction_order`.
    pub by: &'static str,
    /// Of the export's amount, what its stated split does not cover: positive, settled in the
    /// deduction order (the kinds of purse the file names last); negative, the split exceeds
    /// it (or a refund's) and that much was given back to cash. Zero when the file states no
    /// split (then all of it went by the deduction order).
    #[serde(with = "crate::money::text")]
    pub unstated: Decimal,
    /// When the month had been settled before by an earlier export: what that settled, now
    /// reversed (`amount` is the difference).
    #[serde(with = "crate::money::text_opt")]
    pub replaced: Option<Decimal>,
    pub entry_id: i64,
    pub steps: Vec<SettlementStep>,
}

/// A line whose stated split departs from the documented deduction order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Departure {
    pub line: u64,
    pub account: String,
    pub service: String,
    pub message: String,
}

/// What `--settle` did for one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SettleReport {
    pub settled: Vec<SettledGroup>,
    /// Accounts whose lines were not settled, and why.
    pub not_settled: Vec<String>,
    /// The first departures (at most [`MAX_DEPARTURES`]) and how many there were.
    pub departures: Vec<Departure>,
    pub departures_total: u64,
}

/// Departures listed at most.
pub const MAX_DEPARTURES: usize = 100;

/// Settles the lines with ids `first..=last` (one import's), and any service of the same
/// account-months settled before and now gone, at `at`.
pub fn settle_lines(
    tx: &Transaction<'_>,
    first: i64,
    last: i64,
    at: DateTime<Utc>,
) -> Result<SettleReport> {
    let mut report = SettleReport::default();
    let mut labels = Labels::default();
    let mut accounts: BTreeMap<String, Account> = BTreeMap::new();
    // (account, month, service) → totals; and the lines, for the departures (with their month).
    let mut groups: BTreeMap<(String, String, String), Amounts> = BTreeMap::new();
    let mut lines: Vec<(String, (u64, String, String, Amounts))> = Vec::new();
    let mut stmt = tx.prepare(
        "SELECT account_id, month, service, source_line, billed_cost, coupon_paid, paid_voucher,
                paid_complimentary, paid_card, paid_cash, paid_arrears, paid_credit, paid_revenue
         FROM cost_lines WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
    )?;
    // A postpaid account's month is settled once its bill is final (the monthly settlement).
    let mut provisional: BTreeMap<(String, String), bool> = BTreeMap::new();
    let mut slice_status =
        tx.prepare_cached("SELECT status FROM import_slices WHERE account_id = ?1 AND month = ?2")?;
    let mut rows = stmt.query(params![first, last])?;
    while let Some(r) = rows.next()? {
        let account: String = r.get(0)?;
        let month: String = r.get(1)?;
        if !accounts.contains_key(&account) {
            accounts.insert(account.clone(), get_account(tx, &account)?);
        }
        if accounts[&account].mode == PaymentMode::Postpaid {
            let key = (account.clone(), month.clone());
            if !provisional.contains_key(&key) {
                let status: Option<String> = slice_status
                    .query_row(params![account, month], |r| r.get(0))
                    .optional()?;
                let open = status.as_deref() != Some("final");
                if open {
                    report.not_settled.push(format!(
                        "'{account}' {month}: postpaid, and the month's bill is provisional: it is \
                         settled when a final export of the month is imported"
                    ));
                }
                provisional.insert(key.clone(), open);
            }
            if provisional[&key] {
                continue;
            }
        }
        let service = labels.text(tx, r.get(2)?)?.to_string();
        let mut a = Amounts {
            billed: stored_amount(r, 4)?.unwrap_or_default(),
            ..Default::default()
        };
        // By PARTS order; a credit line's payment (column 11) is owed: arrears.
        for (i, col) in [
            (0, 5),
            (1, 6),
            (2, 7),
            (3, 8),
            (4, 9),
            (5, 10),
            (5, 11),
            (6, 12),
        ] {
            if let Some(x) = stored_amount(r, col)? {
                a.parts[i] += x;
                a.stated = true;
                a.named[i] = true;
            }
        }
        groups
            .entry((account.clone(), month.clone(), service.clone()))
            .or_default()
            .add(&a);
        if a.stated {
            lines.push((month, (r.get::<_, i64>(3)? as u64, account, service, a)));
        }
    }
    drop(rows);
    // Services settled before in the same account-months: now gone, they are given back.
    let months: Vec<(String, String)> = groups
        .keys()
        .map(|(a, m, _)| (a.clone(), m.clone()))
        .collect();
    let mut before = tx.prepare_cached(
        "SELECT service FROM bill_settlements WHERE account_id = ?1 AND month = ?2",
    )?;
    for (a, m) in months {
        let services: Vec<String> = before
            .query_map(params![a, m], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for s in services {
            groups.entry((a.clone(), m.clone(), s)).or_default();
        }
    }
    // A newer export of a month: the earlier settlements are reversed, posting by posting,
    // then the month is settled as this export says, on the balances that leaves: it ends
    // where this export alone would have put it, whatever came before. All reversals come
    // first, so that departures are judged on those balances too.
    // Settlements that gave money back (refunds) are reversed last: taking a refund back finds
    // the purses the other services' reversals refill, as it would had the refund never been
    // given (its purse may have paid a sibling service since).
    let mut compared = Vec::with_capacity(groups.len());
    let mut changed_months: BTreeSet<(String, String)> = BTreeSet::new();
    for ((account, month, service), now) in groups {
        let (settled, entries, named) = settled_before(tx, &account, &month, &service)?;
        // Unchanged: the same amounts, and the same kinds named (unknown before schema 8).
        let unchanged = now.billed == settled.billed
            && now.parts == settled.parts
            && named.is_none_or(|n| n == named_bits(&now.named));
        if !unchanged {
            changed_months.insert((account.clone(), month.clone()));
        }
        compared.push((account, month, service, now, settled, entries));
    }
    // A month with any service changed is settled again whole, its unchanged services too:
    // left in force, their settlements would hold purses the export alone would have let the
    // services before them (in name order) take, or refuse a split for money they hold.
    let mut to_reverse = Vec::new();
    for (account, month, service, now, settled, entries) in compared {
        if !changed_months.contains(&(account.clone(), month.clone())) {
            continue;
        }
        let gave_back =
            settled.billed < Decimal::ZERO || settled.parts.iter().any(|p| *p < Decimal::ZERO);
        to_reverse.push((gave_back, account, month, service, now, settled, entries));
    }
    to_reverse.sort_by_key(|r| r.0); // stable: account, month, service within each
    let mut changed = Vec::new();
    for (_, account, month, service, now, settled, entries) in to_reverse {
        let consumer = &accounts[&account];
        let reversed = reverse(tx, consumer, &month, &service, &entries, at)?;
        if let Some(entry_id) = reversed {
            record_settlement(tx, &account, &month, &service, entry_id, &settled, true, at)?;
        }
        changed.push((account, month, service, now, settled.billed, reversed));
    }
    // Settled afresh per account and month, whatever the order of the reversals: first the
    // services whose split the file states in full, then those it states in part, then those
    // it does not state (in name order within each), so that what the deduction order takes
    // for a service never leaves a stated part without the money the provider says paid it
    // (found by black-box testing: a file was refused or not by how its services sorted).
    let stated = |a: &Amounts| match (a.stated, money::sum(a.parts).ok() == Some(a.billed)) {
        (true, true) => 0,
        (true, false) => 1,
        (false, _) => 2,
    };
    changed.sort_by(|a, b| (&a.0, &a.1, stated(&a.3), &a.2).cmp(&(&b.0, &b.1, stated(&b.3), &b.2)));
    // Only the lines of the months settled now are judged: a month settled before, unchanged,
    // would be judged on balances its own settlement already lowered.
    let judged: Vec<_> = lines
        .into_iter()
        .filter(|(month, (_, account, _, _))| {
            changed_months.contains(&(account.clone(), month.clone()))
        })
        .map(|(_, line)| line)
        .collect();
    departures(tx, &accounts, &judged, at, &mut report)?;
    for (account, month, service, now, before, reversed) in changed {
        let consumer = &accounts[&account];
        let mut group = if now.billed.is_zero() && now.parts.iter().all(Decimal::is_zero) {
            let Some(entry_id) = reversed else { continue };
            SettledGroup {
                account: account.clone(),
                month: month.clone(),
                service: service.clone(),
                currency: consumer.currency.code().to_string(),
                amount: Decimal::ZERO,
                by: "deduction_order",
                unstated: Decimal::ZERO,
                replaced: None,
                entry_id,
                steps: Vec::new(),
            }
        } else {
            let g = settle_group(tx, consumer, &month, &service, &now, at)?;
            record_settlement(tx, &account, &month, &service, g.entry_id, &now, false, at)?;
            g
        };
        group.amount = now.billed - before;
        group.replaced = reversed.map(|_| before);
        tx.execute(
            "UPDATE cost_lines SET entry_id = ?1 WHERE id BETWEEN ?2 AND ?3
             AND account_id = ?4 AND month = ?5 AND service = (SELECT id FROM labels WHERE text = ?6)",
            params![group.entry_id, first, last, account, month, service],
        )?;
        report.settled.push(group);
    }
    Ok(report)
}

/// Appends a settlement (or, `reversal`, the undoing of `a`) to `bill_settlements`.
#[allow(clippy::too_many_arguments)]
fn record_settlement(
    tx: &Transaction<'_>,
    account: &str,
    month: &str,
    service: &str,
    entry_id: i64,
    a: &Amounts,
    reversal: bool,
    at: DateTime<Utc>,
) -> Result<()> {
    let sign = if reversal {
        -Decimal::ONE
    } else {
        Decimal::ONE
    };
    let p = a.parts.map(|x| to_text(x * sign));
    tx.execute(
        "INSERT INTO bill_settlements (account_id, month, service, entry_id, billed, coupon,
            voucher, complimentary, card, cash, arrears, revenue, stated, at, named)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            account,
            month,
            service,
            entry_id,
            to_text(a.billed * sign),
            p[0],
            p[1],
            p[2],
            p[3],
            p[4],
            p[5],
            p[6],
            a.stated,
            crate::time::to_db(at),
            (!reversal).then(|| named_bits(&a.named))
        ],
    )?;
    Ok(())
}

/// `Amounts::named` as stored (`bill_settlements.named`): bit i for the i-th of `PARTS`.
fn named_bits(named: &[bool; 7]) -> i64 {
    named
        .iter()
        .enumerate()
        .filter(|(_, n)| **n)
        .map(|(i, _)| 1 << i)
        .sum()
}

/// Undoes the earlier settlements of an (account, month, service), entries `entries`: what
/// each purse paid goes back to it (a voucher, card or coupon expired since: and lapses at
/// once); what was left owed is owed no longer, as far as it still is (what a top-up repaid of
/// it since comes back as cash); cash comes back repaying other arrears first; a refund taken
/// back comes from its purse, then (an instrument expired since) from what lapsed of it, then
/// from cash, the rest owed. The expense is taken off. The reversing entry's id, or `None` when
/// they net to nothing.
fn reverse(
    tx: &Transaction<'_>,
    consumer: &Account,
    month: &str,
    service: &str,
    entries: &[i64],
    at: DateTime<Utc>,
) -> Result<Option<i64>> {
    let mut net: BTreeMap<i64, Decimal> = BTreeMap::new();
    let mut stmt = tx.prepare_cached("SELECT book_id, amount FROM postings WHERE entry_id = ?1")?;
    for entry in entries {
        let mut rows = stmt.query(params![entry])?;
        while let Some(r) = rows.next()? {
            let amount = crate::money::parse_amount(&r.get::<_, String>(1)?)?;
            *net.entry(r.get(0)?).or_default() += amount;
        }
    }
    net.retain(|_, x| !x.is_zero());
    if net.is_empty() {
        return Ok(None);
    }
    let (payer, mut e) = charge_entry(
        tx,
        consumer,
        service,
        "earlier settlement reversed",
        month,
        at,
    )?;
    let cur = payer.currency.clone();
    // The books' owners: the payer then may not be the payer now (an organization's admin
    // added since); each gets back its own money and owes its own debt.
    let mut owners: Vec<String> = Vec::new();
    let mut owner_of = tx.prepare_cached("SELECT account_id FROM books WHERE id = ?1")?;
    for book_id in net.keys() {
        let owner: String = owner_of.query_row(params![book_id], |r| r.get(0))?;
        if !owners.contains(&owner) {
            owners.push(owner);
        }
    }
    let bs = books(tx, &owners, None)?;
    // An owner's singleton book of a kind, as loaded (not there: it holds nothing).
    let held =
        |owner: &str, kind: BookKind| bs.iter().find(|b| b.account_id == owner && b.kind == kind);
    // Per owner: what goes back to (negative: is taken back from) cash, what is taken back from
    // the record of lapses, and what is no longer owed.
    let mut to: BTreeMap<String, (Decimal, Decimal, Decimal)> = BTreeMap::new();
    // Owners with an instrument given back money after its expiry: it lapses at once.
    let mut lapse: Vec<String> = Vec::new();
    for (book_id, x) in net {
        let back = -x;
        let Some(b) = bs.iter().find(|b| b.id == book_id) else {
            continue;
        };
        let expired = b.expired_at(at);
        let owner = to.entry(b.account_id.clone()).or_default();
        match b.kind {
            BookKind::Expense => e.post(book_id, &cur, back, 0),
            BookKind::Cash => owner.0 += back,
            // What the earlier settlement left owed: owed no longer, as far as it still is (a
            // top-up may have repaid it since: that much comes back as cash). Kept apart from
            // cash taken back, which netting would leave owed.
            BookKind::Arrears if back > Decimal::ZERO => owner.2 += back,
            // What the earlier settlement repaid (a refund in cash repays arrears first): owed
            // again, which cash pays at once where it holds it, as it would have (money in
            // repays arrears first).
            BookKind::Arrears => owner.0 += back,
            // Back to the purse that paid: an instrument that expired since gets it back and
            // lapses it, as it would have had the earlier export never been settled (never as
            // money that could be spent).
            _ if back >= Decimal::ZERO => {
                e.post(book_id, &cur, back, 0);
                if expired && !lapse.contains(&b.account_id) {
                    lapse.push(b.account_id.clone());
                }
            }
            // A refund an earlier settlement put on this purse, taken back: at most what it
            // holds (it may have been spent since); of an instrument expired since, what lapsed
            // of it; the rest from cash.
            _ => {
                let left = -back - take_up_to(&mut e, b, -back, 0);
                let from_lapsed = if expired {
                    left.min(lapsed_of(tx, book_id)?)
                } else {
                    Decimal::ZERO
                };
                owner.1 += from_lapsed;
                owner.0 -= left - from_lapsed;
            }
        }
    }
    for (owner, (mut to_cash, from_lapsed, unowed)) in to {
        if to_cash.is_zero() && from_lapsed.is_zero() && unowed.is_zero() {
            continue; // only its instruments or expenses were given back: posted above
        }
        if from_lapsed > Decimal::ZERO {
            let taken = match held(&owner, BookKind::Lapsed) {
                Some(b) => take_up_to(&mut e, b, from_lapsed, 0),
                None => Decimal::ZERO,
            };
            to_cash -= from_lapsed - taken;
        }
        // Arrears: no longer owed as far as they still are; the rest comes back as cash, which
        // repays other arrears first, as a top-up would.
        let account = get_account(tx, &owner)?;
        let forgiven = if unowed > Decimal::ZERO {
            unowed.min(arrears_owed(tx, &e, &account)?)
        } else {
            Decimal::ZERO
        };
        if forgiven > Decimal::ZERO {
            let arrears = book(tx, &owner, BookKind::Arrears, &cur, at)?;
            e.post(arrears, &cur, forgiven, 0);
        }
        to_cash += unowed - forgiven;
        if to_cash > Decimal::ZERO {
            credit_repaying_arrears(tx, &mut e, &account, to_cash, BookKind::Cash, at)?;
        } else if to_cash < Decimal::ZERO {
            // Taken back from cash; what cash does not hold is owed.
            let take = -to_cash;
            let from_cash = match held(&owner, BookKind::Cash) {
                Some(b) => take_up_to(&mut e, b, take, Step::Cash as i64),
                None => Decimal::ZERO,
            };
            if take > from_cash {
                let arrears = book(tx, &owner, BookKind::Arrears, &cur, at)?;
                e.post(arrears, &cur, -(take - from_cash), Step::Arrears as i64);
            }
        }
    }
    let id = journal::write(tx, &e)?;
    for owner in lapse {
        lapse_expired_tx(tx, &get_account(tx, &owner)?, at)?;
    }
    Ok(Some(id))
}

/// What the lapses of instrument book `book_id` moved to the lapsed book.
fn lapsed_of(tx: &Transaction<'_>, book_id: i64) -> Result<Decimal> {
    let mut stmt = tx.prepare_cached(
        "SELECT p.amount FROM postings p JOIN entries e ON e.id = p.entry_id
         WHERE p.book_id = ?1 AND e.kind = 'lapse'",
    )?;
    let mut rows = stmt.query(params![book_id])?;
    let mut moved = Decimal::ZERO;
    while let Some(r) = rows.next()? {
        moved -= crate::money::parse_amount(&r.get::<_, String>(0)?)?;
    }
    Ok(moved.max(Decimal::ZERO))
}

/// Posts a take of up to `want` from book `b` (never below zero): what it took.
fn take_up_to(e: &mut NewEntry<'_>, b: &journal::Book, want: Decimal, step: i64) -> Decimal {
    let take = want.min(b.balance.max(Decimal::ZERO));
    if !take.is_zero() {
        e.post(b.id, &b.currency, -take, step);
    }
    take
}

/// What earlier settlements of an (account, month, service) added up to, and their entries.
fn settled_before(
    tx: &Transaction<'_>,
    account: &str,
    month: &str,
    service: &str,
) -> Result<(Amounts, Vec<i64>, Option<i64>)> {
    let mut stmt = tx.prepare_cached(
        "SELECT billed, coupon, voucher, complimentary, card, cash, arrears, revenue, stated,
                entry_id, named
         FROM bill_settlements WHERE account_id = ?1 AND month = ?2 AND service = ?3
         ORDER BY id",
    )?;
    let mut rows = stmt.query(params![account, month, service])?;
    let mut out = Amounts::default();
    let mut entries = Vec::new();
    // The kinds the settlement in force named: its last settlement's (reversals have none).
    let mut named = None;
    while let Some(r) = rows.next()? {
        if let Some(n) = r.get::<_, Option<i64>>(10)? {
            named = Some(n);
        }
        let d =
            |i: usize| -> Result<Decimal> { crate::money::parse_amount(&r.get::<_, String>(i)?) };
        let mut a = Amounts {
            billed: d(0)?,
            stated: r.get(8)?,
            ..Default::default()
        };
        for i in 0..7 {
            a.parts[i] = d(i + 1)?;
        }
        out.add(&a);
        entries.push(r.get(9)?);
    }
    // Nothing in force (given back since): no kinds named either.
    if out.billed.is_zero() && out.parts.iter().all(Decimal::is_zero) {
        named = None;
    }
    Ok((out, entries, named))
}

/// The payer of `consumer` (its expired instruments lapsed at `at`) and a new `charge` entry
/// for `service`, memo "imported bill of MONTH: what".
fn charge_entry<'a>(
    tx: &Transaction<'_>,
    consumer: &'a Account,
    service: &str,
    what: &str,
    month: &str,
    at: DateTime<Utc>,
) -> Result<(Account, NewEntry<'a>)> {
    let ctx = match begin(tx, &consumer.id, at, None, "")? {
        Ok(c) => c,
        Err(_) => unreachable!("no operation id, so no replay"),
    };
    lapse_expired_tx(tx, &ctx.payer, at)?;
    let mut e = NewEntry::new("charge", &consumer.id, at);
    e.product = Some(service.to_string());
    e.memo = Some(format!("imported bill of {month}: {what}"));
    Ok((ctx.payer, e))
}

/// Settles one group as its export says (earlier settlements of it are reversed first): the
/// provider's split when the file states one, else the deduction order; negative amounts
/// (refunds) are given back.
fn settle_group(
    tx: &Transaction<'_>,
    consumer: &Account,
    month: &str,
    service: &str,
    bill: &Amounts,
    at: DateTime<Utc>,
) -> Result<SettledGroup> {
    let (payer, mut e) = charge_entry(tx, consumer, service, "settled", month, at)?;
    let cur = payer.currency.clone();
    e.post(
        book(tx, &consumer.id, BookKind::Expense, &cur, at)?,
        &cur,
        bill.billed,
        0,
    );
    let mut steps = Vec::new();
    let bs = books(tx, std::slice::from_ref(&payer.id), None)?;
    let label_of = |id: i64| -> String {
        bs.iter()
            .find(|b| b.id == id)
            .map(|b| {
                b.label
                    .clone()
                    .unwrap_or_else(|| b.kind.as_str().to_string())
            })
            .unwrap_or_default()
    };
    let shortfall = |part: Part, want: Decimal, have: Decimal| {
        // The command that records that kind of purse (found by black-box testing: a
        // refusal for cash coupons said "top-ups, vouchers, cards").
        let id = &payer.id;
        let what = part.name();
        let how = match part {
            Part::Revenue => {
                format!("record it first (`billfold grant {id} AMOUNT --purse revenue`)")
            }
            Part::Coupon => format!("record them first (`billfold coupon add {id} AMOUNT`)"),
            Part::Voucher => format!("record them first (`billfold voucher add {id} AMOUNT ...`)"),
            Part::Complimentary => format!("record it first (`billfold grant {id} AMOUNT`)"),
            Part::Card => format!("record them first (`billfold card buy {id} AMOUNT`)"),
            Part::Cash | Part::Arrears => "record it first (a top-up)".to_string(),
        };
        Error::refused(format!(
            "'{}' {month} {service}: the bill says {} was paid by {what}, but the ledger's {what} \
             hold {}: {how}, or import without settling",
            consumer.id,
            display(want, &cur),
            display(have, &cur)
        ))
    };
    let mut stated_total = Decimal::ZERO;
    let mut lapse_after = false;
    let complimentary = || -> Result<(i64, Step, String)> {
        Ok((
            book(tx, &payer.id, BookKind::Complimentary, &cur, at)?,
            Step::Complimentary,
            "complimentary".to_string(),
        ))
    };
    if bill.stated {
        // What the parts take first, then what they give back: a refund in cash repays what
        // the group's own parts leave owed, as money in repays arrears first.
        let takes = PARTS
            .iter()
            .zip(&bill.parts)
            .filter(|(_, x)| **x > Decimal::ZERO);
        let gives = PARTS
            .iter()
            .zip(&bill.parts)
            .filter(|(_, x)| **x < Decimal::ZERO);
        for (part, &x) in takes.chain(gives) {
            stated_total += x;
            if x > Decimal::ZERO && *part == Part::Arrears {
                let arrears = book(tx, &payer.id, BookKind::Arrears, &cur, at)?;
                e.post(arrears, &cur, -x, Step::Arrears as i64);
                steps.push(step(Step::Arrears, "arrears", x));
            } else if x > Decimal::ZERO && *part == Part::Revenue {
                // From the payer's revenue purse, which is outside the deduction order.
                let revenue: Vec<_> = bs
                    .iter()
                    .filter(|b| b.kind == BookKind::Revenue && b.account_id == payer.id)
                    .collect();
                let have: Decimal = revenue.iter().map(|b| b.balance).sum();
                let Some(from) = revenue.first().filter(|_| have >= x) else {
                    return Err(shortfall(*part, x, have));
                };
                e.post(from.id, &cur, -x, Step::Revenue as i64);
                steps.push(step(Step::Revenue, "revenue", x));
            } else if x > Decimal::ZERO {
                // From the purses of that kind, in their deduction order.
                let srcs: Vec<_> = sources(&bs, service, at, payer.id == consumer.id, None)
                    .into_iter()
                    .filter(|s| part.steps().contains(&s.step))
                    .collect();
                let p = plan(x, &srcs);
                if p.unpaid > Decimal::ZERO {
                    let have: Decimal = srcs.iter().map(|s| s.balance).sum();
                    return Err(shortfall(*part, x, have));
                }
                for (b, st, take) in p.takes {
                    e.post(b, &cur, -take, st as i64);
                    steps.push(step(st, &label_of(b), take));
                }
            } else if x < Decimal::ZERO {
                // Given back: to cash (repaying arrears first), a card, or as complimentary
                // credit for what vouchers and coupons had paid.
                let back = -x;
                let to = match part {
                    // Less owed (arrears): what is owed is repaid, the rest is cash, as a
                    // refund in cash is; never arrears below zero.
                    Part::Cash | Part::Arrears => {
                        credit_repaying_arrears(tx, &mut e, &payer, back, BookKind::Cash, at)?;
                        steps.push(step(Step::Cash, "cash", x));
                        continue;
                    }
                    Part::Revenue => (
                        book(tx, &payer.id, BookKind::Revenue, &cur, at)?,
                        Step::Revenue,
                        "revenue".to_string(),
                    ),
                    // The card usable now, else the last one (which then lapses it: a refund
                    // to an expired card is not money to spend).
                    Part::Card => match bs
                        .iter()
                        .filter(|b| b.kind == BookKind::Card && b.account_id == consumer.id)
                        .max_by_key(|b| (b.valid_at(at), b.valid_until, b.id))
                    {
                        Some(c) => {
                            lapse_after |= !c.valid_at(at);
                            (c.id, Step::PrepaidCard, label_of(c.id))
                        }
                        None => complimentary()?,
                    },
                    _ => complimentary()?,
                };
                e.post(to.0, &cur, back, 0);
                steps.push(step(to.1, &to.2, x));
            }
        }
    }
    // What the stated parts do not cover (or all of it, when the file states none): the
    // deduction order, or given back to cash.
    let rest = bill.billed - stated_total;
    let by = if bill.stated {
        "provider_split"
    } else {
        "deduction_order"
    };
    if rest > Decimal::ZERO {
        let bs = if bill.stated {
            books(tx, std::slice::from_ref(&payer.id), None)?
        } else {
            bs.clone()
        };
        let r = restriction(tx, &payer.id, service)?;
        let srcs = sources(&bs, service, at, payer.id == consumer.id, r);
        // The kinds the file names paid what it says: the others first, then those (rather
        // than arrears while they hold money). Parts already planned in this entry are not in
        // `bs` yet when the split was stated: take them off before planning the rest.
        let mut srcs: Vec<_> = srcs
            .into_iter()
            .map(|mut s| {
                let used: Decimal = e
                    .postings
                    .iter()
                    .filter(|p| p.book == s.book && p.amount < Decimal::ZERO)
                    .map(|p| -p.amount)
                    .sum();
                s.balance -= used;
                s
            })
            .filter(|s| s.balance > Decimal::ZERO)
            .collect();
        srcs.sort_by_key(|s| bill.named[part_of(s.step)]); // stable: the order within each
        let p = plan(rest, &srcs);
        for (b, st, take) in &p.takes {
            e.post(*b, &cur, -*take, *st as i64);
            let label = bs
                .iter()
                .find(|x| x.id == *b)
                .map(|x| {
                    x.label
                        .clone()
                        .unwrap_or_else(|| x.kind.as_str().to_string())
                })
                .unwrap_or_default();
            steps.push(step(*st, &label, *take));
        }
        if p.unpaid > Decimal::ZERO {
            let arrears = book(tx, &payer.id, BookKind::Arrears, &cur, at)?;
            e.post(arrears, &cur, -p.unpaid, Step::Arrears as i64);
            steps.push(step(Step::Arrears, "arrears", p.unpaid));
        }
    } else if rest < Decimal::ZERO {
        credit_repaying_arrears(tx, &mut e, &payer, -rest, BookKind::Cash, at)?;
    }
    let entry_id = journal::write(tx, &e)?;
    if lapse_after {
        lapse_expired_tx(tx, &payer, at)?;
    }
    Ok(SettledGroup {
        account: consumer.id.clone(),
        month: month.to_string(),
        service: service.to_string(),
        currency: cur.code().to_string(),
        amount: bill.billed,
        by,
        unstated: if bill.stated { rest } else { Decimal::ZERO },
        replaced: None,
        entry_id,
        steps,
    })
}

/// The index in `PARTS` of the kind of purse a deduction step takes from (arrears for what no
/// purse paid).
fn part_of(step: Step) -> usize {
    PARTS
        .iter()
        .position(|p| p.steps().contains(&step))
        .unwrap_or(5)
}

fn step(step: Step, purse: &str, amount: Decimal) -> SettlementStep {
    SettlementStep {
        step,
        purse: purse.to_string(),
        amount,
    }
}

/// Judges each line with a stated split against the deduction order, with the ledger's
/// balances of each kind as the lines are paid one after the other (in file order, each paid
/// as the provider says).
fn departures(
    tx: &Transaction<'_>,
    accounts: &BTreeMap<String, Account>,
    lines: &[(u64, String, String, Amounts)],
    at: DateTime<Utc>,
    report: &mut SettleReport,
) -> Result<()> {
    // Payer → what each kind holds (by PARTS order; arrears unused).
    let mut held: BTreeMap<String, [Decimal; 6]> = BTreeMap::new();
    for (line, account, service, a) in lines {
        let consumer = &accounts[account];
        let payer = crate::accounts::payer_of(tx, consumer)?;
        if !held.contains_key(&payer.id) {
            let bs = books(tx, std::slice::from_ref(&payer.id), None)?;
            let mut h = [Decimal::ZERO; 6];
            for s in sources(&bs, "", at, true, None) {
                let i = PARTS
                    .iter()
                    .position(|p| p.steps().contains(&s.step))
                    .unwrap_or(5);
                h[i] += s.balance;
            }
            held.insert(payer.id.clone(), h);
        }
        let h = held.get_mut(&payer.id).expect("inserted above");
        let restricted = restriction(tx, &payer.id, service)?.is_some();
        // The latest kind that paid (arrears when some was left owed); any earlier kind with
        // money left after its own part should have paid first.
        let latest = if a.parts[5] > Decimal::ZERO {
            5
        } else {
            (0..5)
                .rev()
                .find(|&i| a.parts[i] > Decimal::ZERO)
                .unwrap_or(0)
        };
        let mut message = None;
        for (i, part) in PARTS.iter().enumerate().take(latest) {
            if restricted && matches!(part, Part::Voucher | Part::Complimentary) {
                continue;
            }
            // A prepaid card pays only for its own account: never an organization member's.
            if *part == Part::Card && payer.id != consumer.id {
                continue;
            }
            let left = h[i] - a.parts[i].max(Decimal::ZERO);
            if left > Decimal::ZERO {
                let late = display(a.parts[latest], &consumer.currency);
                let what = if latest == 5 {
                    format!("{late} was left owed")
                } else {
                    format!("{} paid {late}", PARTS[latest].name())
                };
                message = Some(format!(
                    "{what} while {} of {} was left in the ledger: the documented order takes {} first",
                    display(left, &consumer.currency),
                    part.name(),
                    part.name()
                ));
                break;
            }
        }
        for (held, part) in h.iter_mut().zip(&a.parts).take(5) {
            *held -= part.max(&Decimal::ZERO);
        }
        if let Some(message) = message {
            report.departures_total += 1;
            if report.departures.len() < MAX_DEPARTURES {
                report.departures.push(Departure {
                    line: *line,
                    account: account.clone(),
                    service: service.clone(),
                    message,
                });
            }
        }
    }
    Ok(())
}
