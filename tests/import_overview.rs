//! The overview's expenditure trend (SPEC §5) made from imported bills: a fixture of
//! tests/fixtures/import imported into a fresh ledger through the public API, then the trend of
//! each of its billing accounts compared with sums computed here from the fixture's own rows
//! (csv + `Decimal::from_str`, months told by hand from the times as written), never from
//! Billfold's figures.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use billfold::import::{self, Format, Options};
use billfold::overview::{overview, Scope};
use billfold::{store, time};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

fn fixture(name: &str) -> PathBuf {
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn opts_at(at: DateTime<Utc>) -> Options {
    Options {
        format: Format::Auto,
        at,
        progress: false,
        settle: false,
        currency: None,
        expect_sha256: None,
    }
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|_| panic!("'{s}' is not a decimal"))
}

/// The value of a cell, `None` for the exports' nulls ("", "-", "NULL").
fn cell(v: &str) -> Option<&str> {
    let v = v.trim();
    (!v.is_empty() && v != "-" && v != "NULL").then_some(v)
}

/// A month's figures: billed, net (billed − cash coupons), and billed and net per service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct MonthSums {
    billed: Decimal,
    net: Decimal,
    services: BTreeMap<String, (Decimal, Decimal)>,
}

/// How to read a fixture by hand.
struct Spec {
    file: &'static str,
    account: &'static str,
    /// The month of a row, from the text of this column.
    month: (&'static str, fn(&str) -> String),
    service: &'static str,
    billed: &'static str,
    /// Cash coupons (Huawei's 现金券): net = billed − coupons.
    coupons: Option<&'static str>,
    currency: &'static str,
    /// The import's time and the overview's.
    at: &'static str,
    months: u32,
}

/// FOCUS: the month of BillingPeriodStart in UTC, read with chrono's RFC 3339 parser.
fn utc_month(t: &str) -> String {
    DateTime::parse_from_rfc3339(t)
        .unwrap_or_else(|_| panic!("'{t}' is not RFC 3339"))
        .with_timezone(&Utc)
        .format("%Y-%m")
        .to_string()
}

/// Tencent: a time written without a zone is China Standard Time, so its month is the one
/// written (`2024-08-31 23:59:59` is August in CST even though it is 15:59 UTC).
fn cst_month_as_written(t: &str) -> String {
    let b = t.as_bytes();
    assert!(
        t.len() == 19 && b[4] == b'-' && b[10] == b' ' && b[13] == b':',
        "'{t}' is not a CST time without a zone"
    );
    t[..7].to_string()
}

/// Huawei: 账期 is the month itself.
fn month_as_written(m: &str) -> String {
    assert!(
        m.len() == 7 && m.as_bytes()[4] == b'-',
        "'{m}' is not YYYY-MM"
    );
    m.to_string()
}

/// The figures of every (account, month) of a fixture, summed here from its rows.
fn sums_by_hand(spec: &Spec) -> BTreeMap<String, BTreeMap<String, MonthSums>> {
    let text = std::fs::read_to_string(fixture(spec.file)).unwrap();
    let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let h = rdr.headers().unwrap().clone();
    let col = |name: &str| {
        h.iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("{}: no column {name}", spec.file))
    };
    let (account, month, service, billed) = (
        col(spec.account),
        col(spec.month.0),
        col(spec.service),
        col(spec.billed),
    );
    let coupons = spec.coupons.map(col);
    let mut out: BTreeMap<String, BTreeMap<String, MonthSums>> = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let b = d(cell(&rec[billed]).expect("the billed amount is required"));
        let c = coupons.and_then(|c| cell(&rec[c])).map_or(Decimal::ZERO, d);
        let m = out
            .entry(rec[account].to_string())
            .or_default()
            .entry((spec.month.1)(cell(&rec[month]).expect("a month")))
            .or_default();
        m.billed += b;
        m.net += b - c;
        // A line with no service is shown as "(none)" (docs/IMPORT.md, §2).
        let s = m
            .services
            .entry(cell(&rec[service]).unwrap_or("(none)").to_string())
            .or_default();
        s.0 += b;
        s.1 += b - c;
    }
    out
}

/// Imports the fixture into a fresh ledger, then compares the overview's trend of each of its
/// accounts, month by month (the months without lines too: zero), with the sums by hand.
fn assert_trend_is_the_fixtures(spec: &Spec) {
    let want = sums_by_hand(spec);
    assert!(!want.is_empty(), "{}: no rows", spec.file);
    let at = time::parse(spec.at).unwrap();
    let mut conn = store::open_in_memory().unwrap();
    import::import_file(&mut conn, &fixture(spec.file), &opts_at(at))
        .unwrap_or_else(|e| panic!("{}: {}", spec.file, e.message));
    for (account, months) in &want {
        let o = overview(&conn, &Scope::Account(account.clone()), at, spec.months).unwrap();
        assert_eq!(o.currencies.len(), 1, "{} {account}", spec.file);
        let block = &o.currencies[0];
        assert_eq!(
            block.currency.code(),
            spec.currency,
            "{} {account}",
            spec.file
        );
        let got: Vec<(String, MonthSums)> = block
            .trend
            .iter()
            .map(|m| {
                (
                    m.month.clone(),
                    MonthSums {
                        billed: m.amount,
                        net: m.net_amount,
                        services: m
                            .services
                            .iter()
                            .map(|s| (s.service.clone(), (s.amount, s.net_amount)))
                            .collect(),
                    },
                )
            })
            .collect();
        let shown: Vec<&str> = got.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(
            shown,
            time::last_months(at, spec.months),
            "{} {account}",
            spec.file
        );
        // Every month of the fixture falls in the window, so none is left unchecked.
        for m in months.keys() {
            assert!(
                shown.contains(&m.as_str()),
                "{} {account}: {m} outside the trend",
                spec.file
            );
        }
        let want: Vec<(String, MonthSums)> = shown
            .iter()
            .map(|m| (m.to_string(), months.get(*m).cloned().unwrap_or_default()))
            .collect();
        assert_eq!(got, want, "{} {account}", spec.file);
    }
}

/// Tencent, Chinese site: a line deducted at 23:59:59 CST on 31 August is August's, a
/// subscription refund lowers September; the month after has nothing.
#[test]
fn the_trend_of_a_tencent_bill_is_its_lines_by_cst_month() {
    let spec = Spec {
        file: "tencent-cn.csv",
        account: "支付者UIN",
        month: ("扣费时间", cst_month_as_written),
        service: "产品名称",
        billed: "优惠后总价",
        coupons: None,
        currency: "CNY",
        at: "2024-10-15T00:00:00Z",
        months: 4,
    };
    // The figures by hand, beside the ones summed from the rows: August 1.23456789;
    // September 0.24 + 240.00000000 − 50.5.
    let by_hand = sums_by_hand(&spec);
    let months = &by_hand["100000000001"];
    assert_eq!(months["2024-08"].billed, d("1.23456789"));
    assert_eq!(months["2024-09"].billed, d("189.74"));
    assert_trend_is_the_fixtures(&spec);
}

/// FOCUS 1.4: two billing accounts, one over two months with a credit, the other with a tax line
/// that names no service.
#[test]
fn the_trend_of_a_focus_bill_is_each_accounts_lines_by_utc_month() {
    assert_trend_is_the_fixtures(&Spec {
        file: "focus-1.4.csv",
        account: "BillingAccountId",
        month: ("BillingPeriodStart", utc_month),
        service: "ServiceName",
        billed: "BilledCost",
        coupons: None,
        currency: "USD",
        at: "2025-05-10T00:00:00Z",
        months: 3,
    });
}

/// Huawei: the trend's net amount is billed less the cash coupons (现金券) that paid it.
#[test]
fn the_trend_of_a_huawei_bill_nets_its_cash_coupons() {
    let spec = Spec {
        file: "huawei.csv",
        account: "账号",
        month: ("账期", month_as_written),
        service: "产品类型",
        billed: "应付金额(¥)",
        coupons: Some("现金券抵扣(¥)"),
        currency: "CNY",
        at: "2020-09-10T00:00:00Z",
        months: 3,
    };
    let by_hand = sums_by_hand(&spec);
    let august = &by_hand["hw_user01"]["2020-08"];
    // 0.2000 + 0.123456789012 + 800 − 300; coupons 0.0200 (the second line's 0.023456789012
    // is a prepaid card's, 储值卡, which does not lower the net amount).
    assert_eq!(august.billed, d("500.323456789012"));
    assert_eq!(august.net, d("500.303456789012"));
    assert_trend_is_the_fixtures(&spec);
}
