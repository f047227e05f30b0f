//! The deduction order of a pay-as-you-go charge (SPEC §4), as a pure function so that it can
//! be tested on its own and by properties:
//!
//! 0. cash coupons reduce the bill first (amount → net amount),
//! 1. regular vouchers, 2. discount vouchers (each earliest expiry first),
//! 3. complimentary balance, 4. prepaid cards (earliest expiry first), 5. cash,
//! 6. what is left unpaid becomes arrears.
//!
//! Products restricted to "cash or card" skip steps 1–3. A prepaid card pays only for its own
//! account's consumption, so under unified payment the admin's cards do not pay for members.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::journal::{Book, BookKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    CashCoupon = 0,
    RegularVoucher = 1,
    DiscountVoucher = 2,
    Complimentary = 3,
    PrepaidCard = 4,
    Cash = 5,
    Arrears = 6,
    /// Not a step of the order: the revenue-share account, which pays only where a provider's
    /// bill says it did (Tencent's 分成金账户支出, posted by `import --settle`).
    Revenue = 7,
}

/// What a product may be paid with, kept as data per account (`billfold restrict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restriction {
    pub allow_card: bool,
    pub allow_cash: bool,
}

/// A purse that may pay, in deduction order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub book: i64,
    pub step: Step,
    pub balance: Decimal,
    pub expires: Option<DateTime<Utc>>,
}

/// How a charge is paid.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// (book, step, amount taken), in the order taken.
    pub takes: Vec<(i64, Step, Decimal)>,
    /// What no purse could pay: becomes arrears.
    pub unpaid: Decimal,
}

impl Plan {
    pub fn taken_by(&self, step: Step) -> Decimal {
        self.takes.iter().filter(|t| t.1 == step).map(|t| t.2).sum()
    }
}

/// The purses of the payer that may pay for `product` at `at`, sorted in deduction order.
pub fn sources(
    books: &[Book],
    product: &str,
    at: DateTime<Utc>,
    payer_is_consumer: bool,
    restriction: Option<Restriction>,
) -> Vec<Source> {
    let restricted = restriction.is_some();
    let allow_card = restriction.is_none_or(|r| r.allow_card) && payer_is_consumer;
    let allow_cash = restriction.is_none_or(|r| r.allow_cash);
    let mut out: Vec<Source> = books
        .iter()
        .filter(|b| b.balance > Decimal::ZERO)
        .filter_map(|b| {
            let step = match b.kind {
                BookKind::Coupon if b.valid_at(at) => Step::CashCoupon,
                BookKind::Voucher if !restricted && b.valid_at(at) && in_scope(b, product) => {
                    if b.voucher_kind.as_deref() == Some("discount") {
                        Step::DiscountVoucher
                    } else {
                        Step::RegularVoucher
                    }
                }
                BookKind::Complimentary if !restricted => Step::Complimentary,
                BookKind::Card if allow_card && b.valid_at(at) => Step::PrepaidCard,
                BookKind::Cash if allow_cash => Step::Cash,
                _ => return None,
            };
            Some((step, b.valid_until, b.id, b.balance))
        })
        .map(|(step, expires, book, balance)| Source {
            book,
            step,
            balance,
            expires,
        })
        .collect();
    // Earliest expiry first within a step; no expiry last; then the older purse first.
    out.sort_by_key(|s| (s.step, s.expires.is_none(), s.expires, s.book));
    out
}

fn in_scope(b: &Book, product: &str) -> bool {
    b.products
        .as_ref()
        .is_none_or(|ps| ps.iter().any(|p| p.eq_ignore_ascii_case(product)))
}

/// Takes `amount` from `sources` in their order; the rest is unpaid.
pub fn plan(amount: Decimal, sources: &[Source]) -> Plan {
    let mut left = amount.max(Decimal::ZERO);
    let mut takes = Vec::new();
    for s in sources {
        if left.is_zero() {
            break;
        }
        let take = s.balance.min(left);
        if take > Decimal::ZERO {
            takes.push((s.book, s.step, take));
            left -= take;
        }
    }
    Plan {
        takes,
        unpaid: left,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn book(id: i64, kind: BookKind, balance: &str, until: Option<&str>, vk: Option<&str>) -> Book {
        Book {
            id,
            account_id: "a".into(),
            kind,
            currency: Currency::parse("USD").unwrap(),
            label: None,
            voucher_kind: vk.map(str::to_string),
            face_value: None,
            products: None,
            valid_from: None,
            valid_until: until.map(|u| crate::time::parse(u).unwrap()),
            created_at: crate::time::parse("2026-01-01").unwrap(),
            balance: d(balance),
        }
    }

    fn at() -> DateTime<Utc> {
        crate::time::parse("2026-06-01").unwrap()
    }

    #[test]
    fn follows_the_spec_order() {
        let books = vec![
            book(1, BookKind::Cash, "100", None, None),
            book(2, BookKind::Card, "50", Some("2027-01-01"), None),
            book(3, BookKind::Complimentary, "5", None, None),
            book(
                4,
                BookKind::Voucher,
                "7",
                Some("2026-12-01"),
                Some("discount"),
            ),
            book(
                5,
                BookKind::Voucher,
                "3",
                Some("2026-12-01"),
                Some("regular"),
            ),
            book(
                6,
                BookKind::Voucher,
                "2",
                Some("2026-07-01"),
                Some("regular"),
            ),
            book(7, BookKind::Coupon, "1", None, None),
        ];
        let s = sources(&books, "cvm", at(), true, None);
        let p = plan(d("200"), &s);
        let order: Vec<i64> = p.takes.iter().map(|t| t.0).collect();
        assert_eq!(order, [7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(p.unpaid, d("32"));
    }

    #[test]
    fn restricted_products_skip_vouchers_and_credit() {
        let books = vec![
            book(1, BookKind::Cash, "10", None, None),
            book(3, BookKind::Complimentary, "5", None, None),
            book(
                5,
                BookKind::Voucher,
                "3",
                Some("2026-12-01"),
                Some("regular"),
            ),
        ];
        let r = Restriction {
            allow_card: true,
            allow_cash: true,
        };
        let p = plan(d("4"), &sources(&books, "sms", at(), true, Some(r)));
        assert_eq!(p.takes, vec![(1, Step::Cash, d("4"))]);
    }

    #[test]
    fn expired_vouchers_and_others_cards_do_not_pay() {
        let books = vec![
            book(2, BookKind::Card, "50", Some("2027-01-01"), None),
            book(
                6,
                BookKind::Voucher,
                "2",
                Some("2026-05-01"),
                Some("regular"),
            ),
        ];
        let p = plan(d("4"), &sources(&books, "cvm", at(), false, None));
        assert!(p.takes.is_empty());
        assert_eq!(p.unpaid, d("4"));
    }

    fn arb_book() -> impl Strategy<Value = Book> {
        (
            0usize..6,
            0i64..10_000,
            prop::option::of(0i64..400),
            any::<bool>(),
        )
            .prop_map(|(k, cents, days, disc)| {
                let kind = [
                    BookKind::Cash,
                    BookKind::Complimentary,
                    BookKind::Voucher,
                    BookKind::Card,
                    BookKind::Coupon,
                    BookKind::Revenue,
                ][k];
                let mut b = book(0, kind, "0", None, None);
                b.balance = Decimal::new(cents, 2);
                if matches!(kind, BookKind::Voucher | BookKind::Card | BookKind::Coupon) {
                    b.valid_until = days.map(|d| at() + chrono::Duration::days(d - 100));
                }
                b.voucher_kind = Some(if disc { "discount" } else { "regular" }.into());
                b
            })
    }

    proptest! {
        #[test]
        fn a_plan_pays_exactly_and_respects_the_order(
            mut books in prop::collection::vec(arb_book(), 0..12),
            cents in 0i64..50_000,
            restricted in any::<bool>(),
        ) {
            for (i, b) in books.iter_mut().enumerate() { b.id = i as i64 + 1; }
            let amount = Decimal::new(cents, 2);
            let r = restricted.then_some(Restriction { allow_card: true, allow_cash: true });
            let srcs = sources(&books, "cvm", at(), true, r);
            let p = plan(amount, &srcs);
            // Exact: what is taken plus what is unpaid is the amount.
            let taken: Decimal = p.takes.iter().map(|t| t.2).sum();
            prop_assert_eq!(taken + p.unpaid, amount);
            // No purse gives more than it holds, nor anything it may not give.
            for (book, step, x) in &p.takes {
                let b = books.iter().find(|b| b.id == *book).unwrap();
                prop_assert!(*x > Decimal::ZERO && *x <= b.balance);
                prop_assert!(b.kind != BookKind::Revenue);
                prop_assert!(b.valid_at(at()));
                if restricted { prop_assert!(*step >= Step::PrepaidCard || *step == Step::CashCoupon); }
            }
            // Order: a source is touched only when every earlier source is emptied.
            for (i, (book, _, _)) in p.takes.iter().enumerate() {
                let pos = srcs.iter().position(|s| s.book == *book).unwrap();
                for earlier in &srcs[..pos] {
                    let used = p.takes[..i].iter().find(|t| t.0 == earlier.book).map(|t| t.2).unwrap_or_default();
                    prop_assert_eq!(used, earlier.balance);
                }
            }
            // Unpaid only when every source is exhausted.
            if p.unpaid > Decimal::ZERO {
                prop_assert_eq!(taken, srcs.iter().map(|s| s.balance).sum::<Decimal>());
            }
        }
    }
}
