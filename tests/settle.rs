//! `billfold import --settle` (issue 3): imported charges of a prepaid account deducted from its
//! purses — the provider's own split where the file states one, the SPEC order where it does
//! not — idempotent per account-month-service, all or nothing with the file.

use std::path::{Path, PathBuf};

use billfold::accounts::{self, FinanceMode, NewAccount, PaymentMode, Role};
use billfold::import::{self, FileReport, Format, Options};
use billfold::ledger::journal::BookKind;
use billfold::ledger::{self, NewVoucher, TopUpMethod, VoucherKind};
use billfold::money::Currency;
use billfold::overview::{overview, BalancesOut, Scope};
use billfold::{store, time};
use rusqlite::Connection;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn t(s: &str) -> chrono::DateTime<chrono::Utc> {
    time::parse(s).unwrap()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn settle_opts(at: &str) -> Options {
    Options {
        format: Format::Auto,
        at: t(at),
        progress: false,
        settle: true,
        currency: None,
        expect_sha256: None,
    }
}

fn balances(conn: &Connection, account: &str, at: &str) -> BalancesOut {
    let o = overview(conn, &Scope::Account(account.into()), t(at), 6).unwrap();
    o.currencies[0].balances.clone()
}

/// A prepaid Tencent account with cash 500, a regular voucher of 100 and complimentary 10.
fn tencent_ledger() -> Connection {
    let mut c = prepaid("100000000001", "Tencent Cloud", "CNY", "500");
    let a = "100000000001";
    let v = NewVoucher {
        amount: d("100"),
        kind: VoucherKind::Regular,
        expires: t("2027-01-01"),
        products: None,
        number: None,
    };
    ledger::add_voucher(&mut c, a, &v, t("2024-01-02"), None).unwrap();
    ledger::grant(
        &mut c,
        a,
        d("10"),
        BookKind::Complimentary,
        t("2024-01-02"),
        None,
    )
    .unwrap();
    c
}

fn settle(conn: &mut Connection, name: &str, bytes: &[u8], at: &str) -> FileReport {
    import::import_bytes(conn, name, bytes, &settle_opts(at))
        .unwrap_or_else(|e| panic!("{}", e.message))
}

#[test]
fn a_native_export_is_settled_with_the_providers_split() {
    let mut c = tencent_ledger();
    let bytes = std::fs::read(fixture("tencent-cn.csv")).unwrap();
    let r = settle(&mut c, "tencent-cn.csv", &bytes, "2025-06-01");
    let st = r.settlement.unwrap();
    // 2024-08 CVM (complimentary 1.23456789), 2024-09 CVM (voucher 0.04 + cash 0.2),
    // 2024-09 MySQL (240 = voucher 40 + cash 200; refund -50.5 to cash).
    assert_eq!(st.settled.len(), 3);
    assert!(st.settled.iter().all(|g| g.by == "provider_split"));
    let mysql = st
        .settled
        .iter()
        .find(|g| g.service == "云数据库MySQL")
        .unwrap();
    assert_eq!(mysql.amount, d("189.5"));
    let b = balances(&c, "100000000001", "2025-06-02");
    assert_eq!(b.cash, d("500") - d("0.2") - d("149.5"));
    assert_eq!(b.vouchers, d("100") - d("40.04"));
    assert_eq!(b.complimentary, d("10") - d("1.23456789"));
    assert_eq!(b.arrears, Decimal::ZERO);
    // The lines show the entry that settled them.
    let unsettled: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM cost_lines WHERE entry_id IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unsettled, 0);
    // Judged by the ledger's balances, cash paid while vouchers were left (lines 2 and 3), and
    // complimentary credit paid while vouchers were left (line 5); the refund departs nothing.
    let lines: Vec<u64> = st.departures.iter().map(|x| x.line).collect();
    assert_eq!(lines, [2, 3, 5]);
    assert!(
        st.departures[0].message.contains("vouchers"),
        "{}",
        st.departures[0].message
    );
}

#[test]
fn settling_again_adds_nothing_and_a_newer_export_settles_the_difference() {
    let mut c = tencent_ledger();
    let bytes = std::fs::read(fixture("tencent-cn.csv")).unwrap();
    settle(&mut c, "tencent-cn.csv", &bytes, "2025-06-01");
    let settled = balances(&c, "100000000001", "2025-06-02");
    let again = settle(&mut c, "tencent-cn.csv", &bytes, "2025-06-02");
    assert_eq!(again.status, "already_imported");
    // Nothing settled again, and no departure told again (judged on balances the first
    // settlement lowered, lines 2, 3 and 5 would all have looked like departures or not).
    let st = again.settlement.unwrap();
    assert!(st.settled.is_empty(), "{:?}", st.settled);
    assert!(st.departures.is_empty(), "{:?}", st.departures);
    let before = balances(&c, "100000000001", "2025-06-03");
    assert_eq!(before.cash, settled.cash);
    assert_eq!(before.vouchers, settled.vouchers);
    assert_eq!(before.complimentary, settled.complimentary);
    // A newer export of September: MySQL now 250 (voucher 40, cash 210) and no refund; CVM
    // as before.
    let text = std::str::from_utf8(&bytes).unwrap();
    let header = text.lines().next().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let newer = format!(
        "{header}\n{}\n{}\n",
        lines[1],
        lines[2]
            .replace(",240.00000000,40,0,200.00000000,", ",250,40,0,210,")
            .replace("2024091500002", "2024091500009")
    );
    let r = settle(&mut c, "tencent-cn-v2.csv", newer.as_bytes(), "2025-06-03");
    let st = r.settlement.unwrap();
    // MySQL: 250 now against 189.5 settled: 60.5 more, all cash (40 voucher unchanged, cash
    // 210 against 149.5). The month is settled again whole: CVM, unchanged, is reversed and
    // settled again as before (0 more), in name order after MySQL, as the export alone would.
    let got: Vec<(&str, Decimal)> = st
        .settled
        .iter()
        .map(|g| (g.service.as_str(), g.amount))
        .collect();
    assert_eq!(got, [("云数据库MySQL", d("60.5")), ("云服务器CVM", d("0"))]);
    assert_eq!(st.settled[1].replaced, Some(d("0.24")));
    let after = balances(&c, "100000000001", "2025-06-04");
    assert_eq!(after.cash, before.cash - d("60.5"));
    assert_eq!(after.vouchers, before.vouchers);
}

#[test]
fn bytes_imported_without_settling_are_settled_when_imported_again_with_settle() {
    let bytes = std::fs::read(fixture("tencent-cn.csv")).unwrap();
    // Imported and settled at once: the reference.
    let mut at_once = tencent_ledger();
    let first = settle(&mut at_once, "tencent-cn.csv", &bytes, "2025-06-01");
    // Imported without settling, then again with --settle.
    let mut later = tencent_ledger();
    let mut plain = settle_opts("2025-06-01");
    plain.settle = false;
    let r = import::import_bytes(&mut later, "tencent-cn.csv", &bytes, &plain).unwrap();
    assert!(r.settlement.is_none());
    let b = balances(&later, "100000000001", "2025-06-02");
    assert_eq!(b.cash, d("500"), "nothing settled yet");
    let again = settle(&mut later, "tencent-cn.csv", &bytes, "2025-06-01");
    assert_eq!(again.status, "already_imported");
    let (st, want) = (again.settlement.unwrap(), first.settlement.unwrap());
    let amounts = |s: &billfold::ledger::bills::SettleReport| {
        s.settled
            .iter()
            .map(|g| (g.month.clone(), g.service.clone(), g.amount, g.by))
            .collect::<Vec<_>>()
    };
    assert_eq!(amounts(&st), amounts(&want));
    let lines = |s: &billfold::ledger::bills::SettleReport| {
        s.departures.iter().map(|x| x.line).collect::<Vec<_>>()
    };
    assert_eq!(lines(&st), [2, 3, 5]);
    assert_eq!(lines(&st), lines(&want));
    let (b, w) = (
        balances(&later, "100000000001", "2025-06-02"),
        balances(&at_once, "100000000001", "2025-06-02"),
    );
    assert_eq!(
        (b.cash, b.vouchers, b.complimentary, b.arrears),
        (w.cash, w.vouchers, w.complimentary, w.arrears)
    );
    let unsettled: i64 = later
        .query_row(
            "SELECT COUNT(*) FROM cost_lines WHERE entry_id IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unsettled, 0);
}

#[test]
fn a_split_the_ledgers_purses_cannot_pay_refuses_the_whole_file() {
    let mut c = tencent_ledger();
    // Spend most of the cash first: the bill's 149.7 of cash cannot be paid from 100.
    ledger::withdraw(&mut c, "100000000001", d("400"), t("2024-02-01"), None).unwrap();
    let bytes = std::fs::read(fixture("tencent-cn.csv")).unwrap();
    let before: i64 = c
        .query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))
        .unwrap();
    let err = import::import_bytes(&mut c, "tencent-cn.csv", &bytes, &settle_opts("2025-06-01"))
        .unwrap_err();
    assert!(
        err.message
            .starts_with("tencent-cn.csv: not imported, nothing was written: it cannot be settled"),
        "{}",
        err.message
    );
    assert!(err.message.contains("paid by cash"), "{}", err.message);
    // The remedy names what records that kind of purse.
    assert!(
        err.message
            .contains("record it first (a top-up), or import without settling"),
        "{}",
        err.message
    );
    let n = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(n("SELECT COUNT(*) FROM entries"), before);
    assert_eq!(n("SELECT COUNT(*) FROM cost_lines"), 0);
    assert_eq!(n("SELECT COUNT(*) FROM imports"), 0);
}

/// A prepaid account `id` of `provider` in `currency`, topped up with `cash` (if any) on
/// 2024-01-02.
fn prepaid(id: &str, provider: &str, currency: &str, cash: &str) -> Connection {
    let mut c = store::open_in_memory().unwrap();
    let new = NewAccount {
        id: id.into(),
        provider: provider.into(),
        currency: Currency::parse(currency).unwrap(),
        mode: PaymentMode::Prepaid,
        name: None,
        org: None,
    };
    accounts::add_account(&c, &new, t("2024-01-01")).unwrap();
    if d(cash) > Decimal::ZERO {
        let online = TopUpMethod::Online;
        ledger::topup(&mut c, id, d(cash), online, t("2024-01-02"), None).unwrap();
    }
    c
}

/// A prepaid AWS account 111111111111 in USD with cash 20.
fn aws_ledger() -> Connection {
    prepaid("111111111111", "AWS", "USD", "20")
}

#[test]
fn a_focus_bill_of_a_prepaid_account_is_settled_in_the_deduction_order() {
    let mut c = aws_ledger();
    let a = "111111111111";
    let v = NewVoucher {
        amount: d("5"),
        kind: VoucherKind::Discount,
        expires: t("2027-01-01"),
        products: None,
        number: None,
    };
    ledger::add_voucher(&mut c, a, &v, t("2024-01-02"), None).unwrap();
    let bill = "BilledCost,EffectiveCost,BillingAccountId,BillingCurrency,BillingPeriodStart,ChargeCategory,ProviderName,ServiceName\n\
                12.5,12.5,111111111111,USD,2024-09-01T00:00:00Z,Usage,AWS,Amazon EC2\n\
                20,20,111111111111,USD,2024-09-01T00:00:00Z,Usage,AWS,Amazon S3\n";
    let r = settle(&mut c, "aws.csv", bill.as_bytes(), "2024-10-02");
    let st = r.settlement.unwrap();
    assert!(st.settled.iter().all(|g| g.by == "deduction_order"));
    // EC2 first (the groups go by service name): voucher 5 then cash 7.5; S3: cash 12.5, then
    // 7.5 arrears.
    let b = balances(&c, a, "2024-10-03");
    assert_eq!(b.vouchers, Decimal::ZERO);
    assert_eq!(b.cash, Decimal::ZERO);
    assert_eq!(b.arrears, d("7.5"));
    assert!(st.departures.is_empty());
}

#[test]
fn a_postpaid_accounts_final_month_is_settled_and_what_is_left_is_owed() {
    let mut c = store::open_in_memory().unwrap();
    // 012345678901: 2024-09 final (every line invoiced), 2024-10 provisional; the other account's
    // 2024-09 provisional (a line without an invoice id).
    let r = import::import_file(
        &mut c,
        &fixture("focus-1.2-deviations.csv"),
        &settle_opts("2025-06-01"),
    )
    .unwrap();
    let st = r.settlement.unwrap();
    let settled: Vec<(&str, &str)> = st
        .settled
        .iter()
        .map(|g| (g.account.as_str(), g.month.as_str()))
        .collect();
    assert!(
        settled.iter().all(|s| *s == ("012345678901", "2024-09")),
        "{settled:?}"
    );
    assert!(!settled.is_empty());
    assert_eq!(st.not_settled.len(), 2, "{:?}", st.not_settled);
    assert!(st.not_settled.iter().all(|n| n.contains("provisional")));
    // Nothing in its purses: the whole final month is owed, and shows as unpaid.
    let o = overview(
        &c,
        &Scope::Account("012345678901".into()),
        t("2025-06-02"),
        6,
    )
    .unwrap();
    let block = &o.currencies[0];
    let september: Decimal = st.settled.iter().map(|g| g.amount).sum();
    assert_eq!(block.balances.arrears, september);
    assert_eq!(block.unpaid_orders.amount, september);
    // Paying it repays the arrears (a payment is in whole cents: the amount owed, rounded up).
    let paid = september.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::AwayFromZero);
    ledger::topup(
        &mut c,
        "012345678901",
        paid,
        TopUpMethod::BankTransfer,
        t("2025-06-03"),
        None,
    )
    .unwrap();
    assert_eq!(
        balances(&c, "012345678901", "2025-06-04").arrears,
        Decimal::ZERO
    );
}

/// Tencent's revenue-share column (分成金账户支出; its API documents spell it 分成账户支出) says
/// part of a line was paid from the revenue account: settling takes it from the ledger's
/// revenue purse, not again from cash.
#[test]
fn the_revenue_share_part_of_a_tencent_line_is_paid_from_revenue_once() {
    for column in ["分成金账户支出(元)", "分成账户支出(元)"] {
        let header = format!("支付者UIN,使用者UIN,产品名称,计费模式,资源ID,交易类型,扣费时间,开始使用时间,结束使用时间,组件原价,优惠后总价,代金券支出(元),赠送账户支出(元),现金账户支出(元),{column}");
        let file = format!(
            "{header}\n100000000001,100000000001,云服务器CVM,按量计费,ins-1,按量计费小时结,2024-09-02 01:00:00,2024-09-02 00:00:00,2024-09-02 00:59:59,30,30,0,0,10,20\n"
        );
        let mut c = tencent_ledger();
        // Not enough revenue in the ledger: the file is refused, nothing is written.
        let e = import::import_bytes(
            &mut c,
            "rev.csv",
            file.as_bytes(),
            &settle_opts("2025-06-01"),
        )
        .unwrap_err();
        assert!(e.message.contains("revenue"), "{column}: {}", e.message);
        ledger::grant(
            &mut c,
            "100000000001",
            d("25"),
            BookKind::Revenue,
            t("2024-01-03"),
            None,
        )
        .unwrap();
        let r = settle(&mut c, "rev.csv", file.as_bytes(), "2025-06-01");
        let st = r.settlement.unwrap();
        assert_eq!(st.settled.len(), 1);
        assert_eq!(st.settled[0].unstated, Decimal::ZERO);
        let b = balances(&c, "100000000001", "2025-06-02");
        assert_eq!((b.cash, b.revenue), (d("490"), d("5")), "{column}");
        let line = billfold::costs::read_line(&c, 1).unwrap();
        assert_eq!(line.paid.revenue, Some(d("20")));
    }
}

/// A one-line Chinese-site Tencent bill of account 100000000001's 云服务器CVM, 2024-09: the
/// payment columns `columns` after the billed amount, `values` from the billed amount on.
fn cn_bill(columns: &str, values: &str) -> String {
    format!(
        "支付者UIN,使用者UIN,产品名称,交易类型,扣费时间,优惠后总价,{columns}\n\
         100000000001,100000000001,云服务器CVM,按量计费小时结,2024-09-02 01:00:00,{values}\n"
    )
}

/// A split that does not add up to the billed amount (a payment column Billfold does not
/// know): the rest goes in the deduction order, and the report does not call it the provider's.
#[test]
fn a_part_the_stated_split_does_not_cover_is_settled_in_the_deduction_order_and_said_so() {
    let file = cn_bill("现金账户支出(元),某某账户支出(元)", "30,10,20");
    let mut c = tencent_ledger();
    let r = settle(&mut c, "part.csv", file.as_bytes(), "2025-06-01");
    let notes = r.notes();
    let st = r.settlement.unwrap();
    assert_eq!(
        (st.settled[0].by, st.settled[0].unstated),
        ("provider_split", d("20"))
    );
    // Cash 10 as stated; the 20 left: vouchers first in the deduction order.
    let b = balances(&c, "100000000001", "2025-06-02");
    assert_eq!((b.cash, b.vouchers), (d("490"), d("80")));
    assert!(
        notes[0].starts_with(
            "settled 30 CNY of '100000000001' 2024-09 云服务器CVM as the provider split it, \
             and 20 CNY its split does not cover in the deduction order ("
        ),
        "{notes:?}"
    );
}

/// Tencent's English site states vouchers and no cash column: the part after vouchers comes
/// from the other purses, never from vouchers again (the file said what vouchers paid).
#[test]
fn the_part_a_split_leaves_uncovered_is_not_taken_from_the_kinds_it_names() {
    let header = "Payer Account ID,Owner Account ID,Product Name,Transaction Type,Transaction Time,Currency,Total Amount After Discount (Excluding Tax),Voucher Deduction";
    let file = format!(
        "{header}\n100000000001,100000000001,Cloud Virtual Machine,Hourly settlement,2024-09-02 01:00:00,CNY,30,5\n"
    );
    let mut c = tencent_ledger();
    let r = settle(&mut c, "en.csv", file.as_bytes(), "2025-06-01");
    let st = r.settlement.unwrap();
    assert_eq!(st.settled[0].unstated, d("25"));
    // Vouchers 5 as stated; the 25 left: complimentary 10, then cash 15 (not vouchers).
    let b = balances(&c, "100000000001", "2025-06-02");
    assert_eq!(
        (b.vouchers, b.complimentary, b.cash),
        (d("95"), d("0"), d("485"))
    );
}

/// The English site's tax (`Tax Amount`, on what vouchers leave to pay) is charged with the
/// line: settled with it, so that the account ends where Tencent's own total
/// (`Total Cost (Including Tax)`) says, not short of the tax.
#[test]
fn a_tencent_lines_tax_is_settled_with_it() {
    let header = "Payer Account ID,Owner Account ID,Product Name,Transaction Type,Transaction Time,Currency,Total Amount After Discount (Excluding Tax),Voucher Deduction,Amount Before Tax,Tax Rate,Tax Amount,Total Cost (Including Tax)";
    let file = format!(
        "{header}\n100000000001,100000000001,Cloud Virtual Machine,Hourly settlement,2024-09-02 01:00:00,CNY,30,5,25,0.09,2.25,27.25\n"
    );
    let mut c = tencent_ledger();
    let r = settle(&mut c, "tax.csv", file.as_bytes(), "2025-06-01");
    let st = r.settlement.unwrap();
    // Billed 30 + 2.25; vouchers 5 as stated; the rest, 27.25 (the file's total), in the
    // order: complimentary 10, then cash 17.25.
    assert_eq!(st.settled[0].unstated, d("27.25"));
    let b = balances(&c, "100000000001", "2025-06-02");
    assert_eq!(
        (b.vouchers, b.complimentary, b.cash),
        (d("95"), d("0"), d("482.75"))
    );
}

/// A split larger than the billed amount, and a refund with no split column for cash: what
/// goes beyond the split is given back to cash, and the report says so (not "the deduction
/// order").
#[test]
fn what_goes_beyond_a_split_is_given_back_to_cash_and_said_so() {
    let over = cn_bill("现金账户支出(元)", "30,40");
    let mut c = tencent_ledger();
    let r = settle(&mut c, "over.csv", over.as_bytes(), "2025-06-01");
    let notes = r.notes();
    assert_eq!(r.settlement.unwrap().settled[0].unstated, d("-10"));
    assert_eq!(
        notes[0],
        "settled 30 CNY of '100000000001' 2024-09 云服务器CVM as the provider split it, and 10 CNY \
         beyond its split given back (cash 40)"
    );
    // Cash: 500 − 40 + 10.
    let b = balances(&c, "100000000001", "2025-06-02");
    assert_eq!(b.cash, d("470"));

    let header = "Payer Account ID,Owner Account ID,Product Name,Transaction Type,Transaction Time,Currency,Total Amount After Discount (Excluding Tax),Voucher Deduction";
    let refund = format!(
        "{header}\n100000000001,100000000001,Cloud Virtual Machine,Refund,2024-10-02 01:00:00,CNY,-50.4,0\n"
    );
    let r = settle(&mut c, "refund.csv", refund.as_bytes(), "2025-06-01");
    let notes = r.notes();
    assert_eq!(
        notes[0],
        "gave back 50.4 CNY of '100000000001' 2024-10 Cloud Virtual Machine as the provider \
         split it, and 50.4 CNY beyond its split given back"
    );
    let b = balances(&c, "100000000001", "2025-06-02");
    assert_eq!(b.cash, d("520.4"));
}

const EN_HEADER: &str = "Payer Account ID,Owner Account ID,Product Name,Transaction Type,Transaction Time,Currency,Total Amount After Discount (Excluding Tax),Voucher Deduction";

/// A one-line English-site bill of 2024-09 CVM: billed, and what vouchers paid.
fn en_bill(billed: &str, voucher: &str) -> String {
    format!("{EN_HEADER}\n100000000001,100000000001,Cloud Virtual Machine,Hourly settlement,2024-09-02 01:00:00,CNY,{billed},{voucher}\n")
}

/// A newer export of a month reverses the earlier settlement, each purse getting back what it
/// paid, before settling: a prepaid card's money never becomes withdrawable cash.
#[test]
fn a_lowered_bill_gives_back_to_the_purses_it_was_taken_from() {
    let mut c = tencent_ledger();
    let until = Some(t("2027-01-01"));
    ledger::buy_card(
        &mut c,
        "100000000001",
        d("100"),
        until,
        t("2024-01-03"),
        None,
    )
    .unwrap();
    let before = balances(&c, "100000000001", "2025-06-02");
    // 30 billed, vouchers 5 as stated; the 25 left: complimentary 10, then the card 15.
    settle(&mut c, "a.csv", en_bill("30", "5").as_bytes(), "2025-06-01");
    let mid = balances(&c, "100000000001", "2025-06-02");
    assert_eq!(mid.prepaid_cards, before.prepaid_cards - d("15"));
    assert_eq!(mid.complimentary, before.complimentary - d("10"));
    // A newer export at 12: 18 less, beyond the stated split, given back card first.
    // A newer export at 12: the earlier settlement is reversed (the card gets its 15 back),
    // then vouchers 5 as stated and the 7 left from complimentary credit.
    let r = settle(&mut c, "b.csv", en_bill("12", "5").as_bytes(), "2025-06-01");
    let g = &r.settlement.as_ref().unwrap().settled[0];
    assert_eq!(
        (g.unstated, g.replaced, g.amount),
        (d("7"), Some(d("30")), d("-18"))
    );
    assert_eq!(
        r.notes()[0],
        "settled 12 CNY of '100000000001' 2024-09 Cloud Virtual Machine as the provider split \
         it, and 7 CNY its split does not cover in the deduction order (V-1 5, complimentary \
         7), replacing the 30 CNY settled before (reversed)"
    );
    let after = balances(&c, "100000000001", "2025-06-02");
    assert_eq!(after.prepaid_cards, before.prepaid_cards);
    assert_eq!(after.complimentary, before.complimentary - d("7"));
    assert_eq!(
        (after.cash, after.withdrawable),
        (before.cash, before.withdrawable)
    );
}

/// Whatever exports came before, a month's settlement ends where the last one alone would.
#[test]
fn exports_with_other_payment_columns_converge_on_the_last_one() {
    let full = cn_bill(
        "代金券支出(元),赠送账户支出(元),现金账户支出(元)",
        "30,5,0,25",
    )
    .replace("云服务器CVM", "Cloud Virtual Machine");
    let partial = en_bill("30", "5");
    let alone = |file: &str| {
        let mut c = tencent_ledger();
        settle(&mut c, "x.csv", file.as_bytes(), "2025-06-01");
        balances(&c, "100000000001", "2025-06-02")
    };
    for (first, last) in [(&partial, &full), (&full, &partial)] {
        let mut c = tencent_ledger();
        settle(&mut c, "1.csv", first.as_bytes(), "2025-06-01");
        settle(&mut c, "2.csv", last.as_bytes(), "2025-06-01");
        let b = balances(&c, "100000000001", "2025-06-02");
        let want = alone(last);
        assert_eq!(
            (b.cash, b.vouchers, b.complimentary, b.arrears),
            (want.cash, want.vouchers, want.complimentary, want.arrears)
        );
    }
}

/// Lines of one service where one states its split and another states nothing: the
/// uncovered part goes to the purses the file names only after the others, never to arrears
/// while they hold money.
#[test]
fn an_uncovered_part_is_not_left_owed_while_named_purses_hold_money() {
    let header =
        "支付者UIN,使用者UIN,产品名称,交易类型,扣费时间,优惠后总价,代金券支出(元),现金账户支出(元)";
    let file = format!(
        "{header}\n100000000001,100000000001,云服务器CVM,按量计费小时结,2024-09-02 01:00:00,10,10,0\n\
         100000000001,100000000001,云服务器CVM,按量计费小时结,2024-09-02 02:00:00,20,-,-\n"
    );
    let mut c = tencent_ledger();
    settle(&mut c, "mix.csv", file.as_bytes(), "2025-06-01");
    let b = balances(&c, "100000000001", "2025-06-02");
    // Vouchers 10 as stated; the 20: complimentary 10, then vouchers 10 (named, but holding).
    assert_eq!(
        (b.vouchers, b.complimentary, b.cash, b.arrears),
        (d("80"), d("0"), d("500"), d("0"))
    );
}

/// A FOCUS month settled into arrears, the arrears repaid by a top-up, then a lower export:
/// the reversal does not leave arrears below zero (owing negative) nor cash withdrawable twice.
#[test]
fn a_lowered_bill_after_its_arrears_were_repaid_gives_back_cash_once() {
    let mut c = aws_ledger();
    let a = "111111111111";
    let focus = |billed: &str| {
        format!("BilledCost,EffectiveCost,BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargeCategory,ProviderName,ServiceName\n{billed},{billed},{a},USD,2024-09-01T00:00:00Z,2024-10-01T00:00:00Z,Usage,AWS,Amazon EC2\n")
    };
    settle(&mut c, "50.csv", focus("50").as_bytes(), "2025-06-01");
    let b = balances(&c, a, "2025-06-01T00:00:01Z");
    assert_eq!((b.cash, b.arrears), (d("0"), d("30")));
    ledger::topup(
        &mut c,
        a,
        d("100"),
        TopUpMethod::Online,
        t("2025-06-02"),
        None,
    )
    .unwrap();
    settle(&mut c, "10.csv", focus("10").as_bytes(), "2025-06-03");
    let b = balances(&c, a, "2025-06-04");
    // As if only the 10 had been settled: 120 in, 10 out.
    assert_eq!(
        (b.cash, b.arrears, b.withdrawable),
        (d("110"), d("0"), d("110"))
    );
}

/// Exports of one month with and without a stated split, in any order, are never refused nor
/// left owed for want of money the earlier settlement had taken.
#[test]
fn a_stated_split_after_an_unstated_one_sees_the_money_given_back() {
    let line = |voucher: &str, cash: &str| {
        cn_bill(
            "代金券支出(元),现金账户支出(元)",
            &format!("100,{voucher},{cash}"),
        )
    };
    // Vouchers 100: the unstated line spends them in the order; the stated one says vouchers
    // paid 100 again: the reversal gave them back first.
    let mut c = tencent_ledger();
    settle(&mut c, "1.csv", line("-", "-").as_bytes(), "2025-06-01");
    settle(&mut c, "2.csv", line("100", "0").as_bytes(), "2025-06-01");
    let b = balances(&c, "100000000001", "2025-06-02");
    assert_eq!((b.vouchers, b.cash, b.arrears), (d("0"), d("500"), d("0")));
    // Cash paid as stated, then a line with empty cells: paid again from the cash given back.
    let mut c = tencent_ledger();
    settle(&mut c, "1.csv", line("0", "100").as_bytes(), "2025-06-01");
    settle(&mut c, "2.csv", line("-", "-").as_bytes(), "2025-06-01");
    let b = balances(&c, "100000000001", "2025-06-02");
    assert_eq!(
        (b.vouchers, b.complimentary, b.arrears),
        (d("0"), d("10"), d("0"))
    );
}

/// Reversing a refund an earlier export put on a purse since spent: taken back from cash, the
/// purse never below zero.
#[test]
fn reversing_a_refund_on_a_spent_purse_takes_it_from_cash() {
    let mut c = tencent_ledger();
    // September: a refund of a voucher-paid line: complimentary credit +10 (20 in all).
    let refund = cn_bill("代金券支出(元)", "-10,-10");
    settle(&mut c, "sep.csv", refund.as_bytes(), "2025-06-01");
    // October spends the complimentary credit.
    let october = cn_bill("赠送账户支出(元)", "20,20").replace("2024-09-02", "2024-10-02");
    settle(&mut c, "oct.csv", october.as_bytes(), "2025-06-01");
    assert_eq!(
        balances(&c, "100000000001", "2025-06-02").complimentary,
        d("0")
    );
    // A newer September: 5 in cash. The refund's 10 comes back from cash, not complimentary.
    let newer = cn_bill("现金账户支出(元)", "5,5");
    settle(&mut c, "sep-2.csv", newer.as_bytes(), "2025-06-01");
    let b = balances(&c, "100000000001", "2025-06-02");
    assert_eq!(
        (b.complimentary, b.cash, b.arrears),
        (d("0"), d("485"), d("0"))
    );
}

/// The money of `account`'s books of `kind` (summed exactly from the journal's postings).
fn book_total(conn: &Connection, account: &str, kind: &str) -> Decimal {
    let mut stmt = conn
        .prepare(
            "SELECT p.amount FROM postings p JOIN books b ON b.id = p.book_id
             WHERE b.account_id = ?1 AND b.kind = ?2",
        )
        .unwrap();
    let amounts: Vec<String> = stmt
        .query_map([account, kind], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    amounts.iter().map(|a| d(a)).sum()
}

/// A voucher that pays a month, then lapses before a newer export of the month says cash paid
/// it: its share comes back to it and lapses, as it would have in a ledger that only ever saw
/// the newer export. (It used to come back as complimentary credit, which could be spent.)
#[test]
fn a_voucher_that_lapsed_between_two_exports_gets_its_share_back_lapsed() {
    let ledger = || {
        let a = "100000000001";
        let mut c = prepaid(a, "Tencent Cloud", "CNY", "100");
        let v = NewVoucher {
            amount: d("30"),
            kind: VoucherKind::Regular,
            expires: t("2025-06-01T12:00:00Z"),
            products: None,
            number: None,
        };
        ledger::add_voucher(&mut c, a, &v, t("2024-01-02"), None).unwrap();
        c
    };
    let columns = "代金券支出(元),现金账户支出(元)";
    let by_voucher = cn_bill(columns, "30,30,0");
    let by_cash = cn_bill(columns, "30,0,30");
    let mut seq = ledger();
    settle(&mut seq, "1.csv", by_voucher.as_bytes(), "2025-06-01");
    settle(&mut seq, "2.csv", by_cash.as_bytes(), "2025-06-02");
    let mut fresh = ledger();
    settle(&mut fresh, "2.csv", by_cash.as_bytes(), "2025-06-02");
    let state = |c: &Connection| {
        let b = balances(c, "100000000001", "2025-06-03");
        let lapsed = book_total(c, "100000000001", "lapsed");
        (b.cash, b.complimentary, b.vouchers, b.available, lapsed)
    };
    assert_eq!(state(&fresh), (d("70"), d("0"), d("0"), d("70"), d("30")));
    assert_eq!(state(&seq), state(&fresh));
}

/// A refund the first export put on a prepaid card, which lapsed with the card before a newer
/// export of the month: taken back from what lapsed, not from cash, as in a ledger that only
/// ever saw the newer export.
#[test]
fn a_refund_that_lapsed_with_its_card_is_taken_back_from_what_lapsed() {
    let bill = |due: &str, cash: &str, card: &str| huawei_card_bill("2024-09", due, cash, card);
    let ledger = || {
        // A card is bought with cash: 100 of the 200 is left.
        let mut c = prepaid("hw1", "Huawei Cloud", "USD", "200");
        let expires = Some(t("2025-06-01T12:00:00Z"));
        ledger::buy_card(&mut c, "hw1", d("100"), expires, t("2024-01-03"), None).unwrap();
        c
    };
    let refund = bill("-10", "0", "-10");
    let by_cash = bill("5", "5", "0");
    let mut seq = ledger();
    settle(&mut seq, "1.csv", refund.as_bytes(), "2025-06-01");
    assert_eq!(
        balances(&seq, "hw1", "2025-06-01T01:00:00Z").prepaid_cards,
        d("110")
    );
    settle(&mut seq, "2.csv", by_cash.as_bytes(), "2025-06-02");
    let mut fresh = ledger();
    settle(&mut fresh, "2.csv", by_cash.as_bytes(), "2025-06-02");
    let state = |c: &Connection| {
        let b = balances(c, "hw1", "2025-06-03");
        (
            b.cash,
            b.complimentary,
            b.prepaid_cards,
            b.arrears,
            book_total(c, "hw1", "lapsed"),
        )
    };
    assert_eq!(state(&fresh), (d("95"), d("0"), d("0"), d("0"), d("100")));
    assert_eq!(state(&seq), state(&fresh));
}

/// A prepaid Huawei account (USD) with cash 100, and a bill of lines
/// `(amount due, cash, amount in arrears)`, one a day from September 1.
fn huawei_cash_ledger() -> Connection {
    prepaid("hw1", "Huawei Cloud", "USD", "100")
}

fn huawei_bill(lines: &[(&str, &str, &str)]) -> String {
    let mut s = String::from("Billing Cycle,Account Name,Service Type,Billing Mode,Expenditure Time,Amount Due ($),Cash Payment ($),Amount in Arrears ($)\n");
    for (i, (due, cash, arrears)) in lines.iter().enumerate() {
        let day = i + 1;
        s.push_str(&format!(
            "2024-09,hw1,ECS,Pay-per-use,2024-09-{day:02} 00:00:00 GMT+08:00 ~ 2024-09-{day:02} 01:00:00 GMT+08:00,{due},{cash},{arrears}\n"
        ));
    }
    s
}

/// A Huawei (international) bill of one line in `month`, paid in cash and by prepaid card.
fn huawei_card_bill(month: &str, due: &str, cash: &str, card: &str) -> String {
    format!(
        "Billing Cycle,Account Name,Service Type,Billing Mode,Expenditure Time,Amount Due ($),Cash Payment ($),Stored-Value Card Deduction ($)\n\
         {month},hw1,ECS,Pay-per-use,{month}-01 00:00:00 GMT+08:00 ~ {month}-01 01:00:00 GMT+08:00,{due},{cash},{card}\n"
    )
}

/// A refund line whose arrears cell is negative: less owed, and what was never owed is cash.
/// (It used to be posted to arrears as they were: owing -5, and 105 withdrawable of 100.)
#[test]
fn a_negative_arrears_part_repays_what_is_owed_and_the_rest_is_cash() {
    let mut c = huawei_cash_ledger();
    settle(
        &mut c,
        "1.csv",
        huawei_bill(&[("-5", "0", "-5")]).as_bytes(),
        "2025-06-01",
    );
    let b = balances(&c, "hw1", "2025-06-02");
    assert_eq!(
        (b.cash, b.arrears, b.withdrawable),
        (d("105"), d("0"), d("105"))
    );
}

/// An export with a line left owed and a refund in cash, then a newer one: the reversal forgives
/// the owed part and takes the refund back, each on its own (netted, 2 stayed owed while the
/// refunded 2 stayed as cash).
#[test]
fn a_reversal_keeps_what_was_owed_apart_from_cash_taken_back() {
    let first = huawei_bill(&[("12", "0", "12"), ("-2", "-2", "0")]);
    let newer = huawei_bill(&[("5", "5", "0")]);
    let mut seq = huawei_cash_ledger();
    settle(&mut seq, "1.csv", first.as_bytes(), "2025-06-01");
    settle(&mut seq, "2.csv", newer.as_bytes(), "2025-06-02");
    let mut fresh = huawei_cash_ledger();
    settle(&mut fresh, "2.csv", newer.as_bytes(), "2025-06-02");
    let state = |c: &Connection| {
        let b = balances(c, "hw1", "2025-06-03");
        (b.cash, b.arrears, b.available)
    };
    assert_eq!(state(&fresh), (d("95"), d("0"), d("95")));
    assert_eq!(state(&seq), state(&fresh));
}

/// A refund to complimentary credit that a sibling service of the month then spent: taken back
/// after that service's reversal refills the purse, not from cash (which turned 10 of cash into
/// complimentary credit, and accepted a split a fresh ledger refuses).
#[test]
fn a_refund_spent_by_a_sibling_service_is_taken_back_after_its_reversal() {
    let bill = |lines: &[(&str, &str, &str)]| {
        let mut s = String::from("支付者UIN,使用者UIN,产品名称,交易类型,扣费时间,优惠后总价,赠送账户支出(元),现金账户支出(元)\n");
        for (service, billed, complimentary) in lines {
            s.push_str(&format!("100000000001,100000000001,{service},按量计费小时结,2024-09-02 01:00:00,{billed},{complimentary},0\n"));
        }
        s
    };
    let ledger = || prepaid("100000000001", "Tencent Cloud", "CNY", "100");
    let first = bill(&[("云数据库MySQL", "-10", "-10"), ("云服务器CVM", "10", "10")]);
    let newer = bill(&[("云服务器CVM", "5", "5")]);
    let mut seq = ledger();
    settle(&mut seq, "1.csv", first.as_bytes(), "2025-06-01");
    let refused = import::import_bytes(
        &mut seq,
        "2.csv",
        newer.as_bytes(),
        &settle_opts("2025-06-02"),
    );
    let mut fresh = ledger();
    let refused_fresh = import::import_bytes(
        &mut fresh,
        "2.csv",
        newer.as_bytes(),
        &settle_opts("2025-06-02"),
    );
    assert!(refused_fresh.is_err() && refused.is_err());
    let b = balances(&seq, "100000000001", "2025-06-03");
    assert_eq!((b.cash, b.complimentary), (d("100"), d("0")));
}

/// A refund to a prepaid card when the only card has expired: it lapses with the card, not
/// money to spend, and is recorded as lapsed at once.
#[test]
fn a_card_refund_to_an_expired_card_lapses() {
    let mut c = huawei_cash_ledger();
    ledger::topup(
        &mut c,
        "hw1",
        d("100"),
        TopUpMethod::Online,
        t("2024-01-02"),
        None,
    )
    .unwrap();
    let expires = Some(t("2025-05-01"));
    ledger::buy_card(&mut c, "hw1", d("100"), expires, t("2024-01-03"), None).unwrap();
    let bill = huawei_card_bill("2024-09", "-10", "0", "-10");
    settle(&mut c, "1.csv", bill.as_bytes(), "2025-06-01");
    assert_eq!(book_total(&c, "hw1", "card"), d("0"));
    assert_eq!(book_total(&c, "hw1", "lapsed"), d("110"));
    assert_eq!(balances(&c, "hw1", "2025-06-02").available, d("100"));
}

/// A newer export with the same amounts that names other kinds (a zero where the older one had
/// an empty cell) is settled again: which kinds the file names decides how the part its split
/// does not cover is paid. (It was skipped as unchanged: 30 stayed on the voucher where the
/// newer export alone takes it from cash.)
#[test]
fn a_newer_export_naming_other_kinds_is_settled_again() {
    let columns = "代金券支出(元),现金账户支出(元)";
    let unnamed = cn_bill(columns, "30,-,-");
    let voucher_zero = cn_bill(columns, "30,0,-");
    let mut seq = tencent_ledger();
    settle(&mut seq, "1.csv", unnamed.as_bytes(), "2025-06-01");
    settle(&mut seq, "2.csv", voucher_zero.as_bytes(), "2025-06-02");
    let mut fresh = tencent_ledger();
    settle(&mut fresh, "2.csv", voucher_zero.as_bytes(), "2025-06-02");
    let state = |c: &Connection| {
        let b = balances(c, "100000000001", "2025-06-03");
        (b.cash, b.vouchers, b.complimentary)
    };
    // Complimentary 10 and cash 20 pay it; the named voucher pays nothing.
    assert_eq!(state(&fresh), (d("480"), d("100"), d("0")));
    assert_eq!(state(&seq), state(&fresh));
    // The same export again, under another name: unchanged, nothing posted.
    let entries = |c: &Connection| -> i64 {
        c.query_row("SELECT count(*) FROM entries", [], |r| r.get(0))
            .unwrap()
    };
    let before = entries(&seq);
    let again = voucher_zero.replace("01:00:00", "02:00:00");
    settle(&mut seq, "3.csv", again.as_bytes(), "2025-06-03");
    assert_eq!(entries(&seq), before);
}

/// A refund given back in cash and in less arrears while 10 is owed: the 10 is repaid once, and
/// the rest is cash (each part repaid the same 10: arrears of +10, owing less than nothing).
#[test]
fn a_refund_in_cash_and_in_arrears_repays_what_is_owed_once() {
    for refund in [("-20", "-10", "-10"), ("-20", "-10", "0")] {
        let mut c = prepaid("hw1", "Huawei Cloud", "USD", "0");
        let owed = huawei_bill(&[("10", "0", "10")]).replace("2024-09", "2024-08");
        settle(&mut c, "aug.csv", owed.as_bytes(), "2025-06-01");
        settle(
            &mut c,
            "sep.csv",
            huawei_bill(&[refund]).as_bytes(),
            "2025-06-02",
        );
        let b = balances(&c, "hw1", "2025-06-03");
        assert_eq!((b.cash, b.arrears), (d("10"), d("0")), "{refund:?}");
    }
}

/// A card refund spent before its card expired, taken back by a newer export: from cash, not
/// from what another card lapsed (the lapsed book holds every instrument's lapses).
#[test]
fn a_refund_taken_back_comes_from_what_lapsed_of_its_own_card_only() {
    let card = |due: &str, card: &str, month: &str| huawei_card_bill(month, due, "0", card);
    let mut c = prepaid("hw1", "Huawei Cloud", "USD", "400");
    let early = Some(t("2025-05-01"));
    ledger::buy_card(&mut c, "hw1", d("100"), early, t("2024-01-03"), None).unwrap();
    let later = Some(t("2025-06-01T12:00:00Z"));
    ledger::buy_card(&mut c, "hw1", d("100"), later, t("2024-01-04"), None).unwrap();
    // September: 10 refunded to the card usable now (the later one); the early card lapses 100.
    settle(
        &mut c,
        "sep.csv",
        card("-10", "-10", "2024-09").as_bytes(),
        "2025-06-01",
    );
    // August spends the later card's 110: it lapses nothing.
    let aug = card("110", "110", "2024-08");
    settle(&mut c, "aug.csv", aug.as_bytes(), "2025-06-01T01:00:00Z");
    // A newer September: 5 in cash, no refund.
    let newer = huawei_card_bill("2024-09", "5", "5", "0");
    settle(&mut c, "sep2.csv", newer.as_bytes(), "2025-06-02");
    let totals = ["cash", "arrears", "card", "lapsed"].map(|k| book_total(&c, "hw1", k));
    assert_eq!(totals, [d("185"), d("0"), d("0"), d("100")]);
}

/// A refund in cash that repaid what was owed, taken back by a newer export after a top-up:
/// owed again, and paid at once from the cash the top-up brought (money in repays arrears
/// first), as in a ledger that never had the refund. (It was owed while cash sat beside it.)
#[test]
fn a_refund_that_repaid_arrears_taken_back_is_paid_from_cash() {
    let bill = |month: &str, values: &str| {
        format!("支付者UIN,使用者UIN,产品名称,交易类型,扣费时间,优惠后总价,代金券支出(元),赠送账户支出(元),现金账户支出(元)\n\
                 100000000001,100000000001,云服务器CVM,按量计费小时结,{month}-02 01:00:00,{values}\n")
    };
    let run = |with_refund: bool| {
        let mut c = prepaid("100000000001", "Tencent Cloud", "CNY", "0");
        settle(
            &mut c,
            "aug.csv",
            bill("2024-08", "10,-,-,-").as_bytes(),
            "2025-06-01",
        );
        if with_refund {
            let refund = bill("2024-09", "-10,0,0,-10");
            settle(&mut c, "1.csv", refund.as_bytes(), "2025-06-01T01:00:00Z");
        }
        let online = TopUpMethod::Online;
        let at = t("2025-06-01T06:00:00Z");
        ledger::topup(&mut c, "100000000001", d("20"), online, at, None).unwrap();
        settle(
            &mut c,
            "2.csv",
            bill("2024-09", "1,-,-,-").as_bytes(),
            "2025-06-02",
        );
        let b = balances(&c, "100000000001", "2025-06-03");
        (b.cash, b.arrears, b.available)
    };
    assert_eq!(run(false), (d("9"), d("0"), d("9")));
    assert_eq!(run(true), run(false));
}

/// A member's line under unified payment is not judged against the admin's prepaid cards:
/// they never pay a member's bill.
#[test]
fn a_members_line_departs_nothing_for_the_admins_cards() {
    let mut c = store::open_in_memory().unwrap();
    accounts::add_org(&c, "org", FinanceMode::Unified).unwrap();
    for (id, role) in [("a", Role::Admin), ("m", Role::Member)] {
        let new = NewAccount {
            id: id.into(),
            provider: "Huawei Cloud".into(),
            currency: Currency::parse("USD").unwrap(),
            mode: PaymentMode::Prepaid,
            name: None,
            org: Some(("org".into(), role)),
        };
        accounts::add_account(&c, &new, t("2024-01-01")).unwrap();
    }
    ledger::topup(
        &mut c,
        "a",
        d("200"),
        TopUpMethod::Online,
        t("2024-01-02"),
        None,
    )
    .unwrap();
    let expires = Some(t("2027-01-01"));
    ledger::buy_card(&mut c, "a", d("100"), expires, t("2024-01-03"), None).unwrap();
    let bill = "Billing Cycle,Account Name,Service Type,Billing Mode,Expenditure Time,Amount Due ($),Cash Payment ($)\n\
                2024-09,m,ECS,Pay-per-use,2024-09-01 00:00:00 GMT+08:00 ~ 2024-09-01 01:00:00 GMT+08:00,8,8\n";
    let r = settle(&mut c, "1.csv", bill.as_bytes(), "2025-06-01");
    let departures = r.settlement.as_ref().map(|s| s.departures_total);
    assert_eq!(departures, Some(0), "{:?}", r.notes());
}

fn invoiceable(conn: &Connection, account: &str, at: &str) -> Decimal {
    let o = overview(conn, &Scope::Account(account.into()), t(at), 6).unwrap();
    o.currencies[0].invoiceable
}

/// A refund in a bill repays what the account owed; no cash was paid, so nothing becomes
/// invoiceable (found by black-box testing: 3 was).
#[test]
fn a_refund_repaying_arrears_is_not_invoiceable_cash() {
    let mut c = prepaid("100000000001", "Tencent Cloud", "CNY", "0");
    let charged = ledger::charge(&mut c, "100000000001", d("5"), "X", t("2024-08-05"), None);
    charged.unwrap();
    let refund = cn_bill("现金账户支出(元)", "-3,-3");
    let r = settle(&mut c, "refund.csv", refund.as_bytes(), "2025-06-01");
    let b = balances(&c, "100000000001", "2025-06-02");
    assert_eq!((b.cash, b.arrears), (d("0"), d("2")));
    assert_eq!(invoiceable(&c, "100000000001", "2025-06-02"), d("0"));
    // The step says where the money went (found by black-box testing: no step at all).
    assert_eq!(
        r.notes()[0],
        "gave back 3 CNY of '100000000001' 2024-09 云服务器CVM as the provider split it (cash -3)"
    );
    // A top-up then pays the 2 still owed: that is cash paid.
    let online = TopUpMethod::Online;
    ledger::topup(
        &mut c,
        "100000000001",
        d("2"),
        online,
        t("2025-06-03"),
        None,
    )
    .unwrap();
    assert_eq!(invoiceable(&c, "100000000001", "2025-06-04"), d("2"));
}

/// A service's line paid on credit and its refund in cash, in one bill: the refund repays
/// what the credit left owed (money in repays arrears first), and the report lists both parts
/// (found by black-box testing: cash 1.5 beside arrears 0.1, and no cash step).
#[test]
fn a_refund_in_a_group_repays_what_the_groups_own_credit_left_owed() {
    let mut c = prepaid("hw3", "Huawei Cloud", "CNY", "0");
    let bill = "账期,账号,产品类型,计费模式,消费时间,账单类型,资源ID,应付金额(¥),现金支付(¥),信用额度支付(¥)\n\
        2024-09,hw3,ECS,按需,2024-09-02 00:00:00 GMT+08:00,消费-使用,r1,0.1,,0.1\n\
        2024-09,hw3,ECS,按需,2024-09-03 00:00:00 GMT+08:00,退订,r1,-1.5,-1.5,\n";
    let r = settle(&mut c, "hw.csv", bill.as_bytes(), "2024-10-10");
    let b = balances(&c, "hw3", "2024-10-10");
    assert_eq!((b.cash, b.arrears), (d("1.4"), d("0")));
    assert_eq!(invoiceable(&c, "hw3", "2024-10-10"), d("0"));
    assert_eq!(
        r.notes()[0],
        "gave back 1.4 CNY of 'hw3' 2024-09 ECS as the provider split it (arrears 0.1, cash -1.5)"
    );
}

/// A service whose split the file states is settled before a service it leaves to the
/// deduction order, whatever their names: the order never spends the vouchers the provider
/// says paid the first (found by black-box testing: the file was refused when the unstated
/// service's name sorted first).
#[test]
fn stated_splits_are_settled_before_services_left_to_the_deduction_order() {
    // 云数据库MySQL sorts before 云服务器CVM; it states nothing.
    let bill = "支付者UIN,使用者UIN,产品名称,交易类型,扣费时间,优惠后总价,代金券支出(元),现金账户支出(元)\n\
        100000000001,100000000001,云数据库MySQL,按量计费小时结,2024-09-02 01:00:00,50,-,-\n\
        100000000001,100000000001,云服务器CVM,按量计费小时结,2024-09-02 01:00:00,100,100,0\n";
    let mut c = tencent_ledger();
    let r = settle(&mut c, "two.csv", bill.as_bytes(), "2025-06-01");
    let notes = r.notes();
    assert!(
        notes[0].contains("云服务器CVM as the provider split it"),
        "{notes:?}"
    );
    assert!(
        notes[1].contains("云数据库MySQL in the deduction order"),
        "{notes:?}"
    );
    // Vouchers 100 for CVM; MySQL: complimentary 10, then cash 40.
    let b = balances(&c, "100000000001", "2025-06-02");
    assert_eq!(
        (b.vouchers, b.complimentary, b.cash),
        (d("0"), d("0"), d("460"))
    );
}
