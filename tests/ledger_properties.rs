//! Property tests of the ledger's invariants: after any random sequence of operations
//! - every entry balances per currency,
//! - no purse but arrears goes below zero (and arrears never above),
//! - credits are never withdrawn,
//! - a charge touches a purse only when every purse earlier in the deduction order is empty,
//! - replaying an operation id changes nothing, and a refused operation writes nothing.

use std::collections::BTreeMap;

use billfold::accounts::{self, FinanceMode, NewAccount, PaymentMode, Role};
use billfold::ledger::journal::{books, BookKind};
use billfold::ledger::settlement::{sources, Step};
use billfold::ledger::{self, NewVoucher, TopUpMethod, VoucherKind};
use billfold::money::Currency;
use billfold::store;
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use rusqlite::Connection;
use rust_decimal::Decimal;

const ACCOUNTS: [&str; 3] = ["solo", "admin", "member"];
const PRODUCTS: [&str; 3] = ["CVM", "COS", "SMS"];

#[derive(Debug, Clone)]
enum Op {
    Topup(usize, i64),
    Withdraw(usize, i64),
    Voucher(usize, i64, bool, i64, bool),
    Coupon(usize, i64),
    Card(usize, i64),
    Grant(usize, i64),
    Charge(usize, i64, usize),
    Hold(usize, i64),
    VoidHold(usize),
    PostHold(usize, i64),
    FinishWithdrawal(usize, bool),
    Replay(usize),
    Advance(i64),
}

fn op() -> impl Strategy<Value = Op> {
    let acc = 0usize..3;
    let cents = 1i64..200_000;
    prop_oneof![
        (acc.clone(), cents.clone()).prop_map(|(a, c)| Op::Topup(a, c)),
        (acc.clone(), cents.clone()).prop_map(|(a, c)| Op::Withdraw(a, c)),
        (
            acc.clone(),
            cents.clone(),
            any::<bool>(),
            1i64..90,
            any::<bool>()
        )
            .prop_map(|(a, c, d, days, scoped)| Op::Voucher(a, c, d, days, scoped)),
        (acc.clone(), cents.clone()).prop_map(|(a, c)| Op::Coupon(a, c)),
        (acc.clone(), 0i64..30).prop_map(|(a, h)| Op::Card(a, h)),
        (acc.clone(), cents.clone()).prop_map(|(a, c)| Op::Grant(a, c)),
        (acc.clone(), cents.clone(), 0usize..3).prop_map(|(a, c, p)| Op::Charge(a, c, p)),
        (acc.clone(), cents.clone()).prop_map(|(a, c)| Op::Hold(a, c)),
        (0usize..8).prop_map(Op::VoidHold),
        (0usize..8, 0i64..=100).prop_map(|(i, pct)| Op::PostHold(i, pct)),
        (0usize..8, any::<bool>()).prop_map(|(i, done)| Op::FinishWithdrawal(i, done)),
        (0usize..40).prop_map(Op::Replay),
        (1i64..2000).prop_map(Op::Advance),
    ]
}

fn setup() -> Connection {
    let conn = store::open_in_memory().unwrap();
    let t0 = start();
    let usd = Currency::parse("USD").unwrap();
    accounts::add_org(&conn, "org", FinanceMode::Unified).unwrap();
    let mk = |id: &str, org: Option<(String, Role)>| NewAccount {
        id: id.into(),
        provider: "Tencent Cloud".into(),
        currency: usd.clone(),
        mode: PaymentMode::Prepaid,
        name: None,
        org,
    };
    accounts::add_account(&conn, &mk("solo", None), t0).unwrap();
    accounts::add_account(&conn, &mk("admin", Some(("org".into(), Role::Admin))), t0).unwrap();
    accounts::add_account(&conn, &mk("member", Some(("org".into(), Role::Member))), t0).unwrap();
    ledger::restrict(&conn, "solo", "SMS", &["cash".into(), "card".into()]).unwrap();
    ledger::restrict(&conn, "admin", "SMS", &["cash".into()]).unwrap();
    conn
}

fn start() -> DateTime<Utc> {
    billfold::time::parse("2026-01-01").unwrap()
}

fn entry_count(conn: &Connection) -> i64 {
    conn.query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))
        .unwrap()
}

fn snapshot(conn: &Connection) -> Vec<(i64, Decimal)> {
    let ids: Vec<String> = ACCOUNTS.iter().map(|s| s.to_string()).collect();
    books(conn, &ids, None)
        .unwrap()
        .into_iter()
        .map(|b| (b.id, b.balance))
        .collect()
}

fn check_invariants(conn: &Connection) -> Result<(), TestCaseError> {
    // Every entry balances per currency.
    let mut stmt = conn
        .prepare("SELECT entry_id, currency, amount FROM postings")
        .unwrap();
    let mut sums: BTreeMap<(i64, String), Decimal> = BTreeMap::new();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (e, c, a) = row.unwrap();
        *sums.entry((e, c)).or_default() += a.parse::<Decimal>().unwrap();
    }
    for ((e, c), s) in &sums {
        prop_assert!(s.is_zero(), "entry {} is off by {} {}", e, s, c);
    }
    // The running balances kept beside the journal equal the sums of the postings.
    let mut by_book: BTreeMap<i64, Decimal> = BTreeMap::new();
    let mut stmt = conn
        .prepare("SELECT book_id, amount FROM postings")
        .unwrap();
    for row in stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
    {
        let (b, a) = row.unwrap();
        *by_book.entry(b).or_default() += a.parse::<Decimal>().unwrap();
    }
    let mut stmt = conn
        .prepare("SELECT book_id, balance FROM book_balances")
        .unwrap();
    let cached: BTreeMap<i64, Decimal> = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .map(|r| {
            let (b, a) = r.unwrap();
            (b, a.parse::<Decimal>().unwrap())
        })
        .collect();
    prop_assert_eq!(cached, by_book);
    // Purses never below zero; arrears never above.
    let ids: Vec<String> = ACCOUNTS.iter().map(|s| s.to_string()).collect();
    for b in books(conn, &ids, None).unwrap() {
        if b.kind.is_purse() {
            prop_assert!(
                b.balance >= Decimal::ZERO,
                "{:?} {} went to {}",
                b.kind,
                b.account_id,
                b.balance
            );
        }
        if b.kind == BookKind::Arrears {
            prop_assert!(b.balance <= Decimal::ZERO);
        }
    }
    // Credits are never withdrawn: withdrawals move cash only.
    let bad: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM postings p JOIN entries e ON e.id = p.entry_id
             JOIN books b ON b.id = p.book_id
             WHERE e.kind = 'withdraw' AND b.kind NOT IN ('cash', 'withdrawing')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    prop_assert_eq!(bad, 0);
    Ok(())
}

/// After a charge: no purse that comes before the last step it used still holds money.
fn check_order(
    conn: &Connection,
    entry_id: i64,
    account: &str,
    product: &str,
    at: DateTime<Utc>,
) -> Result<(), TestCaseError> {
    let max_step: Option<i64> = conn
        .query_row(
            "SELECT MAX(step) FROM postings WHERE entry_id = ?1 AND step > 0",
            [entry_id],
            |r| r.get(0),
        )
        .unwrap();
    let Some(max_step) = max_step else {
        return Ok(());
    };
    let acc = accounts::get_account(conn, account).unwrap();
    let payer = accounts::payer_of(conn, &acc).unwrap();
    let bs = books(conn, std::slice::from_ref(&payer.id), None).unwrap();
    let allowed: Option<String> = conn
        .query_row(
            "SELECT allowed FROM product_restrictions WHERE account_id = ?1 AND product = ?2",
            [&payer.id, product],
            |r| r.get(0),
        )
        .ok();
    let r = allowed.map(|a| billfold::ledger::settlement::Restriction {
        allow_card: a.contains("card"),
        allow_cash: a.contains("cash"),
    });
    for s in sources(&bs, product, at, payer.id == acc.id, r) {
        if s.step != Step::CashCoupon {
            prop_assert!(
                (s.step as i64) >= max_step,
                "charge {} used step {} while {:?} still holds {}",
                entry_id,
                max_step,
                s.step,
                s.balance
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn invariants_hold_after_any_sequence(ops in prop::collection::vec(op(), 1..60)) {
        let mut conn = setup();
        let mut at = start() + Duration::hours(1);
        let mut holds: Vec<String> = Vec::new();
        let mut withdrawals: Vec<String> = Vec::new();
        let mut applied: Vec<(usize, Op)> = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            at += Duration::minutes(7);
            let before_entries = entry_count(&conn);
            let before = snapshot(&conn);
            let op_id = format!("op-{i}");
            let money = |c: i64| Decimal::new(c, 2);
            let result: Result<(), billfold::Error> = match op {
                Op::Topup(a, c) => ledger::topup(&mut conn, ACCOUNTS[*a], money(*c), TopUpMethod::Online, at, Some(&op_id)).map(|_| ()),
                Op::Withdraw(a, c) => ledger::withdraw(&mut conn, ACCOUNTS[*a], money(*c), at, Some(&op_id)).map(|o| {
                    withdrawals.extend(o.reference);
                }),
                Op::Voucher(a, c, disc, days, scoped) => ledger::add_voucher(&mut conn, ACCOUNTS[*a], &NewVoucher {
                    amount: money(*c),
                    kind: if *disc { VoucherKind::Discount } else { VoucherKind::Regular },
                    expires: at + Duration::days(*days),
                    products: scoped.then(|| vec!["COS".to_string()]),
                    number: None,
                }, at, Some(&op_id)).map(|_| ()),
                Op::Coupon(a, c) => ledger::add_coupon(&mut conn, ACCOUNTS[*a], money(*c), Some(at + Duration::days(30)), at, Some(&op_id)).map(|_| ()),
                Op::Card(a, h) => ledger::buy_card(&mut conn, ACCOUNTS[*a], Decimal::from(*h * 100), Some(at + Duration::days(60)), at, Some(&op_id)).map(|_| ()),
                Op::Grant(a, c) => ledger::grant(&mut conn, ACCOUNTS[*a], money(*c), BookKind::Complimentary, at, Some(&op_id)).map(|_| ()),
                Op::Charge(a, c, p) => ledger::charge(&mut conn, ACCOUNTS[*a], money(*c), PRODUCTS[*p], at, Some(&op_id)).map(|s| {
                    check_order(&conn, s.entry_id, ACCOUNTS[*a], PRODUCTS[*p], at).unwrap();
                }),
                Op::Hold(a, c) => {
                    let r = format!("H{i}");
                    ledger::hold(&mut conn, ACCOUNTS[*a], money(*c), &r, at).map(|_| holds.push(r))
                }
                Op::VoidHold(k) => match holds.get(*k) {
                    Some(r) => ledger::void_hold(&mut conn, r, at).map(|_| ()),
                    None => Ok(()),
                },
                Op::PostHold(k, pct) => match holds.get(*k).cloned() {
                    Some(r) => {
                        let held: String = conn.query_row(
                            "SELECT p.amount FROM postings p JOIN entries e ON e.id = p.entry_id JOIN books b ON b.id = p.book_id
                             WHERE e.kind = 'hold' AND e.ref = ?1 AND b.kind = 'frozen'", [&r], |row| row.get(0)).unwrap();
                        let part = held.parse::<Decimal>().unwrap() * Decimal::from(*pct) / Decimal::from(100);
                        ledger::post_hold(&mut conn, &r, Some(part), "CVM", at).map(|_| ())
                    }
                    None => Ok(()),
                },
                Op::FinishWithdrawal(k, done) => match withdrawals.get(*k) {
                    Some(r) => ledger::finish_withdrawal(&mut conn, r, *done, at).map(|_| ()),
                    None => Ok(()),
                },
                Op::Replay(k) => {
                    if let Some((j, prev)) = applied.get(*k).cloned() {
                        let id = format!("op-{j}");
                        let m = |c: i64| Decimal::new(c, 2);
                        let replay = match prev {
                            Op::Topup(a, c) => Some(ledger::topup(&mut conn, ACCOUNTS[a], m(c), TopUpMethod::Online, at, Some(&id)).map(|o| o.replayed)),
                            Op::Charge(a, c, p) => Some(ledger::charge(&mut conn, ACCOUNTS[a], m(c), PRODUCTS[p], at, Some(&id)).map(|s| s.replayed)),
                            Op::Withdraw(a, c) => Some(ledger::withdraw(&mut conn, ACCOUNTS[a], m(c), at, Some(&id)).map(|o| o.replayed)),
                            Op::Grant(a, c) => Some(ledger::grant(&mut conn, ACCOUNTS[a], m(c), BookKind::Complimentary, at, Some(&id)).map(|o| o.replayed)),
                            _ => None,
                        };
                        if let Some(r) = replay {
                            prop_assert_eq!(r.ok(), Some(true), "replaying op-{} must be a no-op", j);
                            prop_assert_eq!(entry_count(&conn), before_entries);
                            prop_assert_eq!(snapshot(&conn), before.clone());
                        }
                    }
                    Ok(())
                }
                Op::Advance(minutes) => {
                    at += Duration::minutes(*minutes);
                    Ok(())
                }
            };
            match result {
                Ok(()) => applied.push((i, op.clone())),
                Err(_) => {
                    // A refused operation writes nothing.
                    prop_assert_eq!(entry_count(&conn), before_entries, "refused {:?} wrote entries", op);
                    prop_assert_eq!(snapshot(&conn), before, "refused {:?} moved money", op);
                }
            }
            check_invariants(&conn)?;
        }
    }
}
