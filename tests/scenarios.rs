//! One scenario per SPEC.md rule, with figures worked out by hand.

use billfold::accounts::{self, FinanceMode, NewAccount, PaymentMode, Role};
use billfold::ledger::journal::BookKind;
use billfold::ledger::{self, AutopayRule, NewVoucher, TopUpMethod, VoucherKind};
use billfold::money::Currency;
use billfold::overview::{overview, Scope};
use billfold::{store, ErrorCode};
use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn t(s: &str) -> DateTime<Utc> {
    billfold::time::parse(s).unwrap()
}

/// (id, currency, mode, organization and role)
type AccountSpec<'a> = (&'a str, &'a str, PaymentMode, Option<(&'a str, Role)>);

fn ledger_with(accounts_: &[AccountSpec<'_>]) -> Connection {
    let conn = store::open_in_memory().unwrap();
    for (id, cur, mode, org) in accounts_ {
        if let Some((org_id, _)) = org {
            let _ = accounts::add_org(&conn, org_id, FinanceMode::Unified);
        }
        accounts::add_account(
            &conn,
            &NewAccount {
                id: id.to_string(),
                provider: "Huawei Cloud".into(),
                currency: Currency::parse(cur).unwrap(),
                mode: *mode,
                name: None,
                org: org.map(|(o, r)| (o.to_string(), r)),
            },
            t("2026-01-01"),
        )
        .unwrap();
    }
    conn
}

fn solo() -> Connection {
    ledger_with(&[("a", "USD", PaymentMode::Prepaid, None)])
}

fn balances(conn: &Connection, id: &str, at: &str) -> billfold::overview::BalancesOut {
    let o = overview(conn, &Scope::Account(id.into()), t(at), 6).unwrap();
    o.currencies[0].balances.clone()
}

#[test]
fn a_top_up_repays_arrears_first() {
    let mut c = solo();
    ledger::topup(
        &mut c,
        "a",
        d("10"),
        TopUpMethod::Online,
        t("2026-01-02"),
        None,
    )
    .unwrap();
    let s = ledger::charge(&mut c, "a", d("13"), "CVM", t("2026-01-03"), None).unwrap();
    assert_eq!(s.arrears, d("3"));
    assert_eq!(balances(&c, "a", "2026-01-03").available, d("-3"));
    ledger::topup(
        &mut c,
        "a",
        d("5"),
        TopUpMethod::BankTransfer,
        t("2026-01-04"),
        None,
    )
    .unwrap();
    let b = balances(&c, "a", "2026-01-04");
    assert_eq!((b.cash, b.arrears, b.available), (d("2"), d("0"), d("2")));
}

#[test]
fn withdrawal_takes_only_free_cash_and_is_pending_until_completed() {
    let mut c = solo();
    let at = t("2026-01-02");
    ledger::topup(&mut c, "a", d("100"), TopUpMethod::Online, at, None).unwrap();
    ledger::grant(&mut c, "a", d("50"), BookKind::Complimentary, at, None).unwrap();
    ledger::hold(&mut c, "a", d("30"), "H1", at).unwrap();
    // 100 cash − 30 frozen = 70 withdrawable; the 50 of credit never is.
    let e = ledger::withdraw(&mut c, "a", d("70.01"), at, None).unwrap_err();
    assert_eq!(e.code, ErrorCode::Refused);
    assert!(
        e.message.contains("only 70.00 USD is withdrawable"),
        "{}",
        e.message
    );
    let w = ledger::withdraw(&mut c, "a", d("70"), at, Some("W1")).unwrap();
    assert_eq!(w.reference.as_deref(), Some("W1"));
    let b = balances(&c, "a", "2026-01-02");
    assert_eq!(
        (b.cash, b.pending_withdrawals, b.withdrawable),
        (d("100"), d("70"), d("0"))
    );
    assert_eq!(
        b.available,
        d("50"),
        "100 cash + 50 credit − 30 frozen − 70 pending"
    );
    ledger::finish_withdrawal(&mut c, "W1", true, t("2026-01-05")).unwrap();
    let b = balances(&c, "a", "2026-01-05");
    assert_eq!((b.cash, b.pending_withdrawals), (d("30"), d("0")));
    let again = ledger::finish_withdrawal(&mut c, "W1", false, t("2026-01-05")).unwrap_err();
    assert_eq!(again.code, ErrorCode::Refused);
}

#[test]
fn a_hold_is_pending_then_posted_or_voided() {
    let mut c = solo();
    let at = t("2026-01-02");
    ledger::topup(&mut c, "a", d("100"), TopUpMethod::Online, at, None).unwrap();
    ledger::hold(&mut c, "a", d("40"), "H1", at).unwrap();
    ledger::hold(&mut c, "a", d("10"), "H2", at).unwrap();
    let b = balances(&c, "a", "2026-01-02");
    assert_eq!(
        (b.cash, b.frozen, b.available),
        (d("100"), d("50"), d("50"))
    );
    ledger::post_hold(&mut c, "H1", Some(d("25.5")), "GPU", t("2026-01-03")).unwrap();
    ledger::void_hold(&mut c, "H2", t("2026-01-03")).unwrap();
    let b = balances(&c, "a", "2026-01-03");
    assert_eq!(
        (b.cash, b.frozen, b.available),
        (d("74.5"), d("0"), d("74.5"))
    );
    assert_eq!(
        ledger::void_hold(&mut c, "H1", t("2026-01-04"))
            .unwrap_err()
            .code,
        ErrorCode::Refused
    );
    assert_eq!(
        ledger::post_hold(&mut c, "nope", None, "GPU", t("2026-01-04"))
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
}

#[test]
fn a_charge_is_paid_in_the_spec_order_with_coupons_first() {
    let mut c = solo();
    let at = t("2026-02-01");
    let v = |amount: &str, kind, days| NewVoucher {
        amount: d(amount),
        kind,
        expires: at + Duration::days(days),
        products: None,
        number: None,
    };
    ledger::topup(&mut c, "a", d("1000"), TopUpMethod::Online, at, None).unwrap();
    ledger::buy_card(
        &mut c,
        "a",
        d("100"),
        Some(at + Duration::days(90)),
        at,
        None,
    )
    .unwrap();
    ledger::add_voucher(&mut c, "a", &v("20", VoucherKind::Discount, 10), at, None).unwrap();
    ledger::add_voucher(&mut c, "a", &v("5", VoucherKind::Regular, 30), at, None).unwrap();
    ledger::add_voucher(&mut c, "a", &v("7", VoucherKind::Regular, 5), at, None).unwrap();
    ledger::grant(&mut c, "a", d("8"), BookKind::Complimentary, at, None).unwrap();
    ledger::add_coupon(&mut c, "a", d("3"), None, at, None).unwrap();
    let s = ledger::charge(&mut c, "a", d("150"), "CVM", at + Duration::hours(1), None).unwrap();
    let steps: Vec<(&str, Decimal)> = s
        .steps
        .iter()
        .map(|x| (x.purse.as_str(), x.amount))
        .collect();
    assert_eq!(
        steps,
        vec![
            ("CC-1", d("3")), // the cash coupon first: amount 150, net amount 147
            ("V-3", d("7")),  // regular vouchers, earliest expiry first
            ("V-2", d("5")),
            ("V-1", d("20")), // then discount vouchers
            ("complimentary", d("8")),
            ("PC-1", d("100")), // then prepaid cards
            ("cash", d("7")),   // then cash
        ]
    );
    assert_eq!(
        (s.amount, s.cash_coupons, s.net_amount),
        (d("150"), d("3"), d("147"))
    );
    let by_step: Vec<(String, Decimal)> = s
        .steps
        .iter()
        .map(|x| (format!("{:?}", x.step), x.amount))
        .collect();
    assert_eq!(
        by_step,
        vec![
            ("CashCoupon".into(), d("3")),
            ("RegularVoucher".into(), d("7")),
            ("RegularVoucher".into(), d("5")),
            ("DiscountVoucher".into(), d("20")),
            ("Complimentary".into(), d("8")),
            ("PrepaidCard".into(), d("100")),
            ("Cash".into(), d("7")),
        ]
    );
}

#[test]
fn cash_or_card_products_skip_vouchers_and_credit() {
    let mut c = solo();
    let at = t("2026-02-01");
    ledger::topup(&mut c, "a", d("10"), TopUpMethod::Online, at, None).unwrap();
    ledger::grant(&mut c, "a", d("10"), BookKind::Complimentary, at, None).unwrap();
    ledger::restrict(&c, "a", "SMS", &["cash".into(), "card".into()]).unwrap();
    let s = ledger::charge(&mut c, "a", d("12"), "SMS", at, None).unwrap();
    assert_eq!(s.steps.len(), 2);
    assert_eq!(
        (s.steps[0].purse.as_str(), s.steps[0].amount),
        ("cash", d("10"))
    );
    assert_eq!(
        s.arrears,
        d("2"),
        "credit was not allowed to pay, so 2 is owed"
    );
}

#[test]
fn an_expired_voucher_pays_nothing_and_its_balance_lapses() {
    let mut c = solo();
    let at = t("2026-03-01");
    ledger::add_voucher(
        &mut c,
        "a",
        &NewVoucher {
            amount: d("50"),
            kind: VoucherKind::Regular,
            expires: t("2026-03-10"),
            products: None,
            number: Some("V-OLD".into()),
        },
        at,
        None,
    )
    .unwrap();
    assert_eq!(balances(&c, "a", "2026-03-09").vouchers, d("50"));
    assert_eq!(
        balances(&c, "a", "2026-03-10").vouchers,
        d("0"),
        "expired: counts for nothing"
    );
    let s = ledger::charge(&mut c, "a", d("5"), "CVM", t("2026-03-11"), None).unwrap();
    assert_eq!(s.arrears, d("5"));
    let lapsed: String = c
        .query_row("SELECT memo FROM entries WHERE kind = 'lapse'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(lapsed.contains("V-OLD"), "{lapsed}");
}

#[test]
fn prepaid_cards_are_sold_by_the_hundred_and_earn_tiered_bonus_vouchers() {
    let mut c = solo();
    let at = t("2026-04-01");
    ledger::topup(&mut c, "a", d("40000"), TopUpMethod::BankTransfer, at, None).unwrap();
    for bad in ["50", "150", "99.99"] {
        let e = ledger::buy_card(&mut c, "a", d(bad), None, at, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::Refused, "{bad}");
    }
    let o = ledger::buy_card(&mut c, "a", d("30000"), None, at, None).unwrap();
    assert!(
        o.summary.contains("bonus discount voucher"),
        "{}",
        o.summary
    );
    let b = balances(&c, "a", "2026-04-01");
    assert_eq!(
        (b.prepaid_cards, b.vouchers, b.cash),
        (d("30000"), d("5000"), d("10000"))
    );
    assert_eq!(
        b.withdrawable,
        d("10000"),
        "a card is never redeemable for cash"
    );
    // The card was bought with cash: invoiceable on the amount paid.
    let ov = overview(&c, &Scope::Account("a".into()), at, 6).unwrap();
    assert_eq!(ov.currencies[0].invoiceable, d("30000"));
    let e = ledger::buy_card(&mut c, "a", d("20000"), None, at, None).unwrap_err();
    assert!(e.message.contains("bought with cash"), "{}", e.message);
}

#[test]
fn unified_payment_the_admin_pays_for_members_but_not_with_its_cards() {
    let mut c = ledger_with(&[
        (
            "hq",
            "CNY",
            PaymentMode::Prepaid,
            Some(("org", Role::Admin)),
        ),
        (
            "m",
            "CNY",
            PaymentMode::Prepaid,
            Some(("org", Role::Member)),
        ),
    ]);
    let at = t("2026-05-01");
    ledger::topup(&mut c, "m", d("300"), TopUpMethod::Online, at, None).unwrap();
    let b = balances(&c, "hq", "2026-05-01");
    assert_eq!(b.cash, d("300"), "a member's top-up goes to the admin");
    assert_eq!(balances(&c, "m", "2026-05-01").cash, d("0"));
    ledger::buy_card(&mut c, "hq", d("200"), None, at, None).unwrap();
    let s = ledger::charge(&mut c, "m", d("150"), "ECS", at, None).unwrap();
    assert_eq!(s.steps.len(), 2);
    assert_eq!(
        (s.steps[0].purse.as_str(), s.steps[0].amount),
        ("cash", d("100"))
    );
    assert_eq!(
        s.arrears,
        d("50"),
        "the admin's card pays only the admin's own consumption"
    );
    // The member's expenditure shows on the member; the admin's overview includes it.
    let m = overview(&c, &Scope::Account("m".into()), at, 1).unwrap();
    assert_eq!(m.currencies[0].trend[0].amount, d("150"));
    let org = overview(&c, &Scope::Org("org".into()), at, 1).unwrap();
    assert_eq!(org.currencies[0].trend[0].amount, d("150"));
    assert_eq!(org.currencies[0].balances.arrears, d("50"));
}

#[test]
fn a_unified_member_in_another_currency_is_refused() {
    let c = ledger_with(&[(
        "hq",
        "CNY",
        PaymentMode::Prepaid,
        Some(("org", Role::Admin)),
    )]);
    let e = accounts::add_account(
        &c,
        &NewAccount {
            id: "m".into(),
            provider: "AWS".into(),
            currency: Currency::parse("USD").unwrap(),
            mode: PaymentMode::Prepaid,
            name: None,
            org: Some(("org".into(), Role::Member)),
        },
        t("2026-01-01"),
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Refused);
}

/// The same rule seen from an admin joining members already there (it was let in, and then
/// paid a CNY member's bills with USD cash, one for one).
#[test]
fn a_unified_admin_in_another_currency_than_its_members_is_refused() {
    let c = ledger_with(&[(
        "m",
        "CNY",
        PaymentMode::Prepaid,
        Some(("org", Role::Member)),
    )]);
    let admin = |currency: &str| NewAccount {
        id: "hq".into(),
        provider: "AWS".into(),
        currency: Currency::parse(currency).unwrap(),
        mode: PaymentMode::Prepaid,
        name: None,
        org: Some(("org".into(), Role::Admin)),
    };
    let e = accounts::add_account(&c, &admin("USD"), t("2026-01-02")).unwrap_err();
    assert_eq!(e.code, ErrorCode::Refused);
    assert!(
        e.message.contains("member 'm' bills in CNY"),
        "{}",
        e.message
    );
    accounts::add_account(&c, &admin("CNY"), t("2026-01-02")).unwrap();
}

/// An account owing 3.00 at the end of June, with the SPEC's automatic charge rule (trigger
/// 1.00, target 30.00).
fn owing_3_with_autopay() -> Connection {
    let mut c = solo();
    ledger::set_autopay(
        &c,
        "a",
        &AutopayRule {
            trigger: d("1.00"),
            target: Some(d("30.00")),
            card: "Visa 4242".into(),
        },
    )
    .unwrap();
    ledger::charge(&mut c, "a", d("3"), "CVM", t("2026-06-30T23:00:00Z"), None).unwrap();
    c
}

#[test]
fn automatic_charge_clears_what_is_owed_and_tops_up_to_the_target() {
    let mut c = owing_3_with_autopay();
    // A declined card leaves the balance negative and raises an alert.
    ledger::run_autopay(&mut c, "a", t("2026-07-01"), true).unwrap();
    let o = overview(&c, &Scope::Account("a".into()), t("2026-07-01"), 1).unwrap();
    assert_eq!(o.currencies[0].balances.available, d("-3"));
    assert!(o.alerts.iter().any(|a| a.kind == "autopay_failed"));
    let out = ledger::run_autopay(&mut c, "a", t("2026-07-01T01:00:00Z"), false).unwrap();
    assert!(out.summary.contains("33.00 USD"), "{}", out.summary);
    let o = overview(
        &c,
        &Scope::Account("a".into()),
        t("2026-07-01T01:00:00Z"),
        1,
    )
    .unwrap();
    let b = &o.currencies[0].balances;
    assert_eq!((b.available, b.cash, b.arrears), (d("30"), d("30"), d("0")));
    assert!(!o.alerts.iter().any(|a| a.kind == "autopay_failed"));
}

#[test]
fn a_failed_automatic_charge_stands_until_the_account_is_topped_up_by_hand() {
    let mut c = owing_3_with_autopay();
    ledger::run_autopay(&mut c, "a", t("2026-07-01"), true).unwrap();
    let failed = |c: &rusqlite::Connection, at: &str| {
        overview(c, &Scope::Account("a".into()), t(at), 1)
            .unwrap()
            .alerts
            .iter()
            .any(|a| a.kind == "autopay_failed")
    };
    assert!(failed(&c, "2026-07-02"));
    // A top-up that leaves the account owing does not settle the matter.
    ledger::topup(
        &mut c,
        "a",
        d("1"),
        TopUpMethod::Online,
        t("2026-07-02T12:00:00Z"),
        None,
    )
    .unwrap();
    assert!(failed(&c, "2026-07-02T13:00:00Z"));
    ledger::topup(
        &mut c,
        "a",
        d("50"),
        TopUpMethod::Online,
        t("2026-07-03"),
        None,
    )
    .unwrap();
    assert!(
        failed(&c, "2026-07-02"),
        "as of before the top-up it stands"
    );
    assert!(!failed(&c, "2026-07-03"));
    assert!(!failed(&c, "2026-09-01"));
}

#[test]
fn a_negative_balance_says_when_services_stop() {
    let mut c = solo();
    ledger::charge(&mut c, "a", d("3"), "CVM", t("2026-08-01T10:00:00Z"), None).unwrap();
    let o = overview(
        &c,
        &Scope::Account("a".into()),
        t("2026-08-01T11:00:00Z"),
        1,
    )
    .unwrap();
    let a = o
        .alerts
        .iter()
        .find(|a| a.kind == "negative_balance")
        .unwrap();
    assert_eq!(a.due_at.as_deref(), Some("2026-08-01T12:00:00Z"));
    assert!(
        a.message.contains("stop at 2026-08-01 12:00 UTC"),
        "{}",
        a.message
    );
    assert!(
        a.message.contains("Top up at least 3.00 USD"),
        "{}",
        a.message
    );
}

#[test]
fn replaying_an_operation_id_is_a_no_op_and_reusing_it_is_refused() {
    let mut c = solo();
    let at = t("2026-01-02");
    ledger::topup(&mut c, "a", d("10"), TopUpMethod::Online, at, Some("op1")).unwrap();
    let again = ledger::topup(&mut c, "a", d("10"), TopUpMethod::Online, at, Some("op1")).unwrap();
    assert!(again.replayed);
    assert_eq!(balances(&c, "a", "2026-01-02").cash, d("10"));
    let e = ledger::topup(&mut c, "a", d("11"), TopUpMethod::Online, at, Some("op1")).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
}

#[test]
fn operations_are_chronological_per_account() {
    let mut c = solo();
    ledger::topup(
        &mut c,
        "a",
        d("10"),
        TopUpMethod::Online,
        t("2026-01-05"),
        None,
    )
    .unwrap();
    let e = ledger::charge(&mut c, "a", d("1"), "CVM", t("2026-01-04"), None).unwrap_err();
    assert_eq!(e.code, ErrorCode::Refused);
}

#[test]
fn the_database_refuses_to_edit_or_delete_a_posted_entry() {
    let mut c = solo();
    ledger::topup(
        &mut c,
        "a",
        d("10"),
        TopUpMethod::Online,
        t("2026-01-02"),
        None,
    )
    .unwrap();
    for sql in [
        "UPDATE entries SET at = '2020-01-01T00:00:00Z'",
        "DELETE FROM entries",
        "UPDATE postings SET amount = '1000000'",
        "DELETE FROM postings",
    ] {
        let e = c.execute(sql, []).unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
}

#[test]
fn currencies_are_never_added_together() {
    let mut c = ledger_with(&[
        ("cny", "CNY", PaymentMode::Prepaid, None),
        ("usd", "USD", PaymentMode::Prepaid, None),
    ]);
    ledger::topup(
        &mut c,
        "cny",
        d("700"),
        TopUpMethod::Online,
        t("2026-01-02"),
        None,
    )
    .unwrap();
    ledger::topup(
        &mut c,
        "usd",
        d("100"),
        TopUpMethod::Online,
        t("2026-01-02"),
        None,
    )
    .unwrap();
    let o = overview(&c, &Scope::All, t("2026-01-02"), 6).unwrap();
    let figures: Vec<(String, Decimal)> = o
        .currencies
        .iter()
        .map(|b| (b.currency.code().to_string(), b.balances.available))
        .collect();
    assert_eq!(
        figures,
        vec![("CNY".into(), d("700")), ("USD".into(), d("100"))]
    );
}

/// The overview of a small postpaid + prepaid organization, every figure worked out by hand.
#[test]
fn overview_agrees_with_a_hand_worked_scenario() {
    let mut c = ledger_with(&[
        (
            "hq",
            "USD",
            PaymentMode::Prepaid,
            Some(("grp", Role::Admin)),
        ),
        (
            "dev",
            "USD",
            PaymentMode::Postpaid,
            Some(("grp", Role::Member)),
        ),
    ]);
    // Self-pay would be more usual for mixed modes, but unified keeps the arithmetic on hq.
    let at = |s: &str| t(s);
    ledger::topup(
        &mut c,
        "hq",
        d("1000"),
        TopUpMethod::Online,
        at("2026-06-01"),
        None,
    )
    .unwrap();
    ledger::add_voucher(
        &mut c,
        "hq",
        &NewVoucher {
            amount: d("50"),
            kind: VoucherKind::Regular,
            expires: at("2026-12-15"),
            products: None,
            number: None,
        },
        at("2026-06-01"),
        None,
    )
    .unwrap();
    ledger::add_coupon(&mut c, "hq", d("20"), None, at("2026-06-01"), None).unwrap();
    ledger::add_coupon(&mut c, "hq", d("5"), None, at("2026-06-01"), None).unwrap();
    ledger::charge(&mut c, "hq", d("100.005"), "CVM", at("2026-07-10"), None).unwrap(); // coupons 20 + 5, voucher 50, cash 25.005
    ledger::charge(&mut c, "dev", d("200"), "COS", at("2026-10-10"), None).unwrap(); // no coupon left: cash 200
    ledger::hold(&mut c, "hq", d("55"), "H", at("2026-11-01")).unwrap();
    billfold::resources::upsert(
        &c,
        &billfold::resources::Resource {
            id: "ins-1".into(),
            account_id: "hq".into(),
            product: "CVM".into(),
            region: None,
            expires_at: at("2026-11-30"),
            auto_renew: false,
            status: "running".into(),
        },
    )
    .unwrap();
    let o = overview(&c, &Scope::Org("grp".into()), at("2026-11-23"), 6).unwrap();
    let v = serde_json::to_value(&o).unwrap();
    let cur = &v["currencies"][0];
    assert_eq!(cur["currency"], "USD");
    // cash 1000 − 25.005 − 200 = 774.995; frozen 55 (still cash); available = 774.995 − 55
    assert_eq!(cur["balances"]["cash"], "774.995");
    assert_eq!(cur["balances"]["frozen"], "55");
    assert_eq!(cur["balances"]["available"], "719.995");
    assert_eq!(cur["balances"]["withdrawable"], "719.995");
    assert_eq!(cur["balances"]["vouchers"], "0");
    assert_eq!(cur["cash_coupons"]["count"], 0);
    assert_eq!(cur["invoiceable"], "225.005");
    assert_eq!(cur["unpaid_orders"]["count"], 0);
    let trend: Vec<(String, String, String)> = cur["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap().to_string(),
                m["amount"].as_str().unwrap().to_string(),
                m["net_amount"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        trend,
        vec![
            ("2026-06".into(), "0".into(), "0".into()),
            ("2026-07".into(), "100.005".into(), "75.005".into()),
            ("2026-08".into(), "0".into(), "0".into()),
            ("2026-09".into(), "0".into(), "0".into()),
            ("2026-10".into(), "200".into(), "200".into()),
            ("2026-11".into(), "0".into(), "0".into()),
        ]
    );
    assert_eq!(v["renewals"]["due_30d"], 1);
    let kinds: Vec<&str> = o.alerts.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, vec!["renewal_due"]);
}

#[test]
fn upgrading_a_ledger_fills_the_running_balances_from_the_postings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    {
        let mut c = store::open(&path).unwrap();
        accounts::add_account(
            &c,
            &NewAccount {
                id: "a".into(),
                provider: "AWS".into(),
                currency: Currency::parse("USD").unwrap(),
                mode: PaymentMode::Prepaid,
                name: None,
                org: None,
            },
            t("2026-01-01"),
        )
        .unwrap();
        ledger::topup(
            &mut c,
            "a",
            d("10.5"),
            TopUpMethod::Online,
            t("2026-01-02"),
            None,
        )
        .unwrap();
        ledger::charge(&mut c, "a", d("0.25"), "CVM", t("2026-01-03"), None).unwrap();
        // Back to schema 3, as a ledger written before the running balances existed (and
        // before schema 5's columns, schema 6's resource lists and schema 8's column).
        c.execute_batch(
            "DROP TRIGGER cost_lines_unindex; DROP TABLE cost_lines_resource_lists;
             CREATE TABLE cost_lines_resource (resource, month, account_id, id);
             CREATE TRIGGER cost_lines_unindex AFTER DELETE ON cost_lines
             BEGIN DELETE FROM cost_lines_resource WHERE id = old.id; END;
             ALTER TABLE cost_lines DROP COLUMN paid_revenue;
             ALTER TABLE bill_settlements DROP COLUMN revenue;
             ALTER TABLE bill_settlements DROP COLUMN named;
             ALTER TABLE annotations DROP COLUMN billed;
             ALTER TABLE annotations DROP COLUMN currency;
             DROP TABLE book_balances; DROP INDEX entries_at; PRAGMA user_version = 3;",
        )
        .unwrap();
    }
    let c = store::open(&path).unwrap();
    assert_eq!(balances(&c, "a", "2026-01-03").cash, d("10.25"));
    assert_eq!(
        balances(&c, "a", "2026-01-02").cash,
        d("10.5"),
        "history still comes from postings"
    );
}

#[test]
fn a_card_purchase_retried_later_with_its_id_is_not_bought_twice() {
    let mut c = solo();
    ledger::topup(
        &mut c,
        "a",
        d("1000"),
        TopUpMethod::Online,
        t("2026-04-01"),
        None,
    )
    .unwrap();
    let first =
        ledger::buy_card(&mut c, "a", d("300"), None, t("2026-04-02"), Some("card-1")).unwrap();
    // The same request a few seconds later (a retried click): no end date given either time.
    let again = ledger::buy_card(
        &mut c,
        "a",
        d("300"),
        None,
        t("2026-04-02T00:00:07Z"),
        Some("card-1"),
    )
    .unwrap();
    assert!(again.replayed);
    assert_eq!(again.entry_id, first.entry_id);
    let b = balances(&c, "a", "2026-04-03");
    assert_eq!((b.prepaid_cards, b.cash), (d("300"), d("700")));
}

fn unified_pair() -> Connection {
    ledger_with(&[
        (
            "hq",
            "CNY",
            PaymentMode::Prepaid,
            Some(("org", Role::Admin)),
        ),
        (
            "m",
            "CNY",
            PaymentMode::Prepaid,
            Some(("org", Role::Member)),
        ),
    ])
}

/// Under self-pay, one account's cash never repays another's debt: an organization may
/// withdraw what each of its accounts may (found by black-box testing: 20, not 50).
#[test]
fn an_organizations_withdrawable_is_the_sum_of_its_accounts() {
    let mut c = store::open_in_memory().unwrap();
    accounts::add_org(&c, "s", FinanceMode::SelfPay).unwrap();
    for (id, role) in [("sa", Role::Admin), ("sm", Role::Member)] {
        let new = NewAccount {
            id: id.into(),
            provider: "Huawei Cloud".into(),
            currency: Currency::parse("CNY").unwrap(),
            mode: PaymentMode::Prepaid,
            name: None,
            org: Some(("s".into(), role)),
        };
        accounts::add_account(&c, &new, t("2026-01-01")).unwrap();
    }
    let online = TopUpMethod::Online;
    ledger::topup(&mut c, "sa", d("50"), online, t("2026-01-02"), None).unwrap();
    ledger::charge(&mut c, "sm", d("30"), "CVM", t("2026-01-03"), None).unwrap();
    let org = overview(&c, &Scope::Org("s".into()), t("2026-01-04"), 1).unwrap();
    let b = &org.currencies[0].balances;
    assert_eq!(
        (b.cash, b.arrears, b.withdrawable),
        (d("50"), d("30"), d("50"))
    );
    ledger::withdraw(&mut c, "sa", d("50"), t("2026-01-05"), None).unwrap();
}

/// What is owed is charged to the card whatever the trigger (SPEC §4), and a member's
/// automatic charge reads and tops up the balance that pays it: its admin's (found by
/// black-box testing: 30 owed beside 70 available was left owed; a member's charge of 50 left
/// its admin owing 15).
#[test]
fn an_automatic_charge_clears_what_is_owed_whatever_the_trigger() {
    let mut c = solo();
    let rule = AutopayRule {
        trigger: d("1"),
        target: Some(d("30")),
        card: "Visa".into(),
    };
    ledger::set_autopay(&c, "a", &rule).unwrap();
    let online = TopUpMethod::Online;
    ledger::topup(&mut c, "a", d("100"), online, t("2026-01-02"), None).unwrap();
    ledger::buy_card(&mut c, "a", d("100"), None, t("2026-01-02"), None).unwrap();
    // A cash-only product: the card cannot pay it, so 30 is owed beside the card's 100.
    ledger::restrict(&c, "a", "GPU", &["cash".to_string()]).unwrap();
    ledger::charge(&mut c, "a", d("30"), "GPU", t("2026-01-03"), None).unwrap();
    let b = balances(&c, "a", "2026-01-03");
    assert_eq!((b.arrears, b.available), (d("30"), d("70")));
    let out = ledger::run_autopay(&mut c, "a", t("2026-01-04"), false).unwrap();
    assert!(out.summary.contains("30.00 USD"), "{}", out.summary);
    let b = balances(&c, "a", "2026-01-04");
    assert_eq!((b.arrears, b.available), (d("0"), d("100")));

    let mut c = unified_pair();
    ledger::set_autopay(
        &c,
        "m",
        &AutopayRule {
            target: Some(d("50")),
            ..rule
        },
    )
    .unwrap();
    ledger::charge(&mut c, "m", d("65"), "CVM", t("2026-01-02"), None).unwrap();
    let out = ledger::run_autopay(&mut c, "m", t("2026-01-03"), false).unwrap();
    assert!(out.summary.contains("115.00 CNY"), "{}", out.summary);
    let b = balances(&c, "hq", "2026-01-03");
    assert_eq!((b.arrears, b.available, b.cash), (d("0"), d("50"), d("50")));
}

/// A member's posted hold was paid with its admin's frozen cash: invoiceable on the admin,
/// as the member's charges are (found by black-box testing: on the member).
#[test]
fn a_members_posted_hold_is_invoiceable_on_the_admin() {
    let mut c = unified_pair();
    let online = TopUpMethod::Online;
    ledger::topup(&mut c, "m", d("100"), online, t("2026-01-02"), None).unwrap();
    ledger::hold(&mut c, "m", d("40"), "HM", t("2026-01-03")).unwrap();
    ledger::post_hold(&mut c, "HM", Some(d("25")), "CVM", t("2026-01-04")).unwrap();
    ledger::charge(&mut c, "m", d("5"), "CVM", t("2026-01-05"), None).unwrap();
    let inv = |id: &str| {
        let o = overview(&c, &Scope::Account(id.into()), t("2026-01-06"), 1).unwrap();
        o.currencies.first().map(|c| c.invoiceable)
    };
    assert_eq!(inv("hq"), Some(d("30")));
    assert_ne!(inv("m"), Some(d("25")));
    ledger::request_invoice(&mut c, "hq", d("30"), t("2026-01-07"), None).unwrap();
}

/// A refusal shows the amounts exactly where rounding them for display would hide why.
#[test]
fn a_refused_invoice_request_shows_the_amounts_that_differ() {
    let mut c = solo();
    let online = TopUpMethod::Online;
    ledger::topup(&mut c, "a", d("40"), online, t("2026-01-02"), None).unwrap();
    ledger::charge(&mut c, "a", d("39.995"), "CVM", t("2026-01-03"), None).unwrap();
    let e = ledger::request_invoice(&mut c, "a", d("40"), t("2026-01-04"), None).unwrap_err();
    assert_eq!(
        e.message,
        "only 39.995 USD of cash paid on 'a' is not yet invoiced; 40 USD cannot be invoiced"
    );
    let e = ledger::request_invoice(&mut c, "a", d("41"), t("2026-01-04"), None).unwrap_err();
    assert!(
        e.message.starts_with("only 40.00 USD of cash"),
        "{}",
        e.message
    );
}

/// Money that crosses a payment method is in whole minor units (found by black-box testing: a
/// top-up of 100.005 CNY was stored so and shown as 100.01).
#[test]
fn top_ups_withdrawals_and_invoices_are_in_whole_minor_units() {
    let mut c = solo();
    let online = TopUpMethod::Online;
    let e = ledger::topup(&mut c, "a", d("100.005"), online, t("2026-01-02"), None).unwrap_err();
    assert_eq!(
        e.message,
        "'100.005' has more decimal places than USD has (2): a top-up is in whole minor units, \
         such as 100.00"
    );
    ledger::topup(&mut c, "a", d("100.010"), online, t("2026-01-02"), None).unwrap();
    let e = ledger::withdraw(&mut c, "a", d("0.001"), t("2026-01-03"), None).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let e = ledger::request_invoice(&mut c, "a", d("1.001"), t("2026-01-03"), None).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(balances(&c, "a", "2026-01-03").cash, d("100.01"));
}

/// Released frozen cash repays arrears first, and says so.
#[test]
fn a_voided_hold_repays_arrears_and_says_how_much() {
    let mut c = solo();
    let online = TopUpMethod::Online;
    ledger::topup(&mut c, "a", d("60"), online, t("2026-01-02"), None).unwrap();
    ledger::hold(&mut c, "a", d("60"), "H", t("2026-01-02")).unwrap();
    ledger::charge(&mut c, "a", d("10"), "CVM", t("2026-01-03"), None).unwrap();
    let out = ledger::void_hold(&mut c, "H", t("2026-01-04")).unwrap();
    assert_eq!(
        out.summary,
        "hold H released: 60.00 USD is free again; 10.00 USD of it repaid arrears"
    );
    let b = balances(&c, "a", "2026-01-04");
    assert_eq!((b.cash, b.arrears), (d("50"), d("0")));
}

/// Revenue "can be transferred in as a cloud fee" and is neither withdrawable nor invoiceable
/// (SPEC §3): in cash, it pays fees first, and neither it nor the fees it paid can be withdrawn,
/// spent on a card or invoiced (found by black-box testing: transferred revenue became
/// withdrawable and invoiceable cash).
#[test]
fn revenue_transferred_in_pays_fees_and_is_never_withdrawn_or_invoiced() {
    let mut c = solo();
    let rev = BookKind::Revenue;
    ledger::grant(&mut c, "a", d("100"), rev, t("2026-01-02"), None).unwrap();
    ledger::transfer_revenue(&mut c, "a", d("100"), t("2026-01-03"), None).unwrap();
    ledger::charge(&mut c, "a", d("40"), "CVM", t("2026-01-04"), None).unwrap();
    let inv = |c: &Connection, at: &str| {
        let o = overview(c, &Scope::Account("a".into()), t(at), 1).unwrap();
        o.currencies[0].invoiceable
    };
    let b = balances(&c, "a", "2026-01-05");
    assert_eq!((b.cash, b.withdrawable), (d("60"), d("0")));
    assert_eq!(inv(&c, "2026-01-05"), d("0"));
    let e = ledger::withdraw(&mut c, "a", d("60"), t("2026-01-05"), None).unwrap_err();
    assert_eq!(e.code, ErrorCode::Refused);
    let e = ledger::buy_card(&mut c, "a", d("100"), None, t("2026-01-05"), None).unwrap_err();
    assert_eq!(e.code, ErrorCode::Refused);
    // The account's own cash beside it is: a top-up of 50, then a charge of 70 spends the 60
    // of revenue first and 10 of the top-up, which is invoiceable.
    let online = TopUpMethod::Online;
    ledger::topup(&mut c, "a", d("50"), online, t("2026-01-06"), None).unwrap();
    assert_eq!(balances(&c, "a", "2026-01-06").withdrawable, d("50"));
    ledger::charge(&mut c, "a", d("70"), "CVM", t("2026-01-07"), None).unwrap();
    let b = balances(&c, "a", "2026-01-07");
    assert_eq!((b.cash, b.withdrawable), (d("40"), d("40")));
    assert_eq!(inv(&c, "2026-01-07"), d("10"));
    ledger::withdraw(&mut c, "a", d("40"), t("2026-01-08"), None).unwrap();
}

/// Revenue transferred in repays what is owed first, as any money in does; that repayment is
/// not invoiceable either.
#[test]
fn revenue_repaying_arrears_is_not_invoiceable() {
    let mut c = solo();
    ledger::charge(&mut c, "a", d("30"), "CVM", t("2026-01-02"), None).unwrap();
    let rev = BookKind::Revenue;
    ledger::grant(&mut c, "a", d("100"), rev, t("2026-01-03"), None).unwrap();
    ledger::transfer_revenue(&mut c, "a", d("100"), t("2026-01-04"), None).unwrap();
    let b = balances(&c, "a", "2026-01-05");
    assert_eq!(
        (b.cash, b.arrears, b.withdrawable),
        (d("70"), d("0"), d("0"))
    );
    let o = overview(&c, &Scope::Account("a".into()), t("2026-01-05"), 1).unwrap();
    assert_eq!(o.currencies[0].invoiceable, d("0"));
}
