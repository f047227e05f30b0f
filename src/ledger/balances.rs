//! The figures of SPEC §3, derived from book balances. Nothing here is stored: a balance is
//! always the sum of its postings.
//!
//! - cash = free cash + frozen + pending withdrawals (all of it still the account's money)
//! - available = cash + complimentary + vouchers + prepaid cards − frozen − pending
//!   withdrawals − arrears (revenue is not available until transferred in)
//! - withdrawable = cash − frozen − pending withdrawals − arrears, never below zero, per
//!   account (over an organization: the sum of its accounts', since one account's cash never
//!   repays another's debt under self-pay); callers deciding or showing it also take off the
//!   revenue transferred in for fees (`ledger::withdrawable`), which needs the journal

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::journal::{Book, BookKind};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Balances {
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

/// Cash coupons held: what they would take off bills.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coupons {
    pub count: u64,
    #[serde(with = "crate::money::text")]
    pub amount: Decimal,
}

/// The balances of a set of books (one account, or several in one currency) at `at`.
/// Vouchers, cards and coupons outside their validity window count for nothing: an expired
/// voucher pays nothing, whether or not its lapse has been recorded yet.
pub fn balances(books: &[Book], at: DateTime<Utc>) -> (Balances, Coupons) {
    let mut b = Balances::default();
    let mut c = Coupons::default();
    let mut free_cash = Decimal::ZERO;
    // Per account: free cash and what it owes, for what each may withdraw.
    let mut own: Vec<(&str, Decimal, Decimal)> = Vec::new();
    for book in books {
        let x = book.balance;
        if matches!(book.kind, BookKind::Cash | BookKind::Arrears) {
            let at = match own.iter().position(|o| o.0 == book.account_id) {
                Some(at) => at,
                None => {
                    own.push((&book.account_id, Decimal::ZERO, Decimal::ZERO));
                    own.len() - 1
                }
            };
            match book.kind {
                BookKind::Cash => own[at].1 += x,
                _ => own[at].2 -= x,
            }
        }
        match book.kind {
            BookKind::Cash => free_cash += x,
            BookKind::Complimentary => b.complimentary += x,
            BookKind::Revenue => b.revenue += x,
            BookKind::Voucher if book.valid_at(at) => b.vouchers += x,
            BookKind::Card if book.valid_at(at) => b.prepaid_cards += x,
            BookKind::Coupon if book.valid_at(at) && x > Decimal::ZERO => {
                c.count += 1;
                c.amount += x;
            }
            BookKind::Frozen => b.frozen += x,
            BookKind::Withdrawing => b.pending_withdrawals += x,
            // The arrears book is never above zero; the figure is what is owed.
            BookKind::Arrears => b.arrears -= x,
            _ => {}
        }
    }
    b.cash = free_cash + b.frozen + b.pending_withdrawals;
    b.available = b.cash + b.complimentary + b.vouchers + b.prepaid_cards
        - b.frozen
        - b.pending_withdrawals
        - b.arrears;
    b.withdrawable = own
        .iter()
        .map(|(_, cash, owed)| (*cash - *owed).max(Decimal::ZERO))
        .sum();
    (b, c)
}

/// Balance of the single book of `kind` among `books` (zero when it does not exist yet).
pub fn of_kind(books: &[Book], kind: BookKind) -> Decimal {
    books
        .iter()
        .filter(|b| b.kind == kind)
        .map(|b| b.balance)
        .sum()
}
