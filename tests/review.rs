//! Bill review scenarios: explorer, month over month, marks that survive a re-issued bill,
//! orphaned marks, invoices, balance assertions, sign-offs, exchange rates, and the exported
//! workbook read back.

use billfold::accounts::{self, NewAccount, PaymentMode};
use billfold::costs::{insert_line, CostLine, PaymentSplit, RollupDelta};
use billfold::ledger::{self, TopUpMethod};
use billfold::money::Currency;
use billfold::review::{self, annotations, export, fx, reconcile, DiffBy, LineFilter, SortBy};
use billfold::store;
use calamine::{Reader, Xlsx};
use rusqlite::Connection;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn t(s: &str) -> chrono::DateTime<chrono::Utc> {
    billfold::time::parse(s).unwrap()
}

fn line(month: &str, service: &str, resource: &str, billed: &str, qty: Option<&str>) -> CostLine {
    CostLine {
        source_file: format!("bill-{month}.csv"),
        source_line: 2,
        provider: "AWS".into(),
        account_id: "111122223333".into(),
        sub_account_id: None,
        sub_account_name: None,
        month: month.into(),
        charge_start: Some(t(&format!("{month}-01"))),
        charge_end: Some(t(&format!("{month}-02"))),
        category: "Usage".into(),
        charge_class: None,
        description: Some(format!("{service} usage")),
        service: service.into(),
        service_category: None,
        resource_id: Some(resource.into()),
        resource_name: None,
        region: Some("us-east-1".into()),
        sku_id: Some("SKU1".into()),
        pricing_quantity: qty.map(d),
        pricing_unit: None,
        currency: Currency::parse("USD").unwrap(),
        list_cost: None,
        contracted_cost: None,
        effective_cost: d(billed),
        billed_cost: d(billed),
        paid: PaymentSplit::default(),
        invoice_id: Some(format!("INV-{month}")),
        tags: Some(r#"{"team":"web"}"#.into()),
    }
}

/// Writes a month's lines as a provider delivery would: the month's earlier lines are replaced.
fn deliver(conn: &mut Connection, month: &str, lines: &[CostLine]) {
    let tx = conn.transaction().unwrap();
    let mut delta = RollupDelta::default();
    delta.remove_stored(&tx, "111122223333", month).unwrap();
    tx.execute("DELETE FROM cost_lines WHERE month = ?1", [month])
        .unwrap();
    for l in lines {
        insert_line(&tx, l, None).unwrap();
        delta.add_line(&tx, l).unwrap();
    }
    delta.apply(&tx).unwrap();
    tx.commit().unwrap();
}

fn ledger() -> Connection {
    let mut c = store::open_in_memory().unwrap();
    accounts::add_account(
        &c,
        &NewAccount {
            id: "111122223333".into(),
            provider: "AWS".into(),
            currency: Currency::parse("USD").unwrap(),
            mode: PaymentMode::Prepaid,
            name: None,
            org: None,
        },
        t("2026-01-01"),
    )
    .unwrap();
    deliver(
        &mut c,
        "2026-09",
        &[
            line("2026-09", "Amazon EC2", "i-1", "100", Some("10")),
            line("2026-09", "Amazon S3", "bucket-a", "5.0000000001", None),
            line("2026-09", "AWS Lambda", "fn-old", "3", None),
        ],
    );
    let mut correction = line("2026-10", "Amazon EC2", "i-1", "-4", None);
    correction.charge_class = Some("Correction".into());
    deliver(
        &mut c,
        "2026-10",
        &[
            line("2026-10", "Amazon EC2", "i-1", "120", Some("10")),
            line("2026-10", "Amazon S3", "bucket-a", "5.0000000001", None),
            line("2026-10", "Amazon RDS", "db-1", "40", None),
            correction,
        ],
    );
    c
}

#[test]
fn the_explorer_filters_sorts_and_totals_exactly() {
    let c = ledger();
    let all = review::lines(&c, &LineFilter::default(), SortBy::Billed, 1).unwrap();
    assert_eq!(all.total_lines, 7);
    assert_eq!(all.totals[0].billed_cost, d("269.0000000002"));
    assert_eq!(all.lines[0].billed_cost, "120");
    assert_eq!(all.lines.last().unwrap().billed_cost, "-4");
    let f = LineFilter {
        service: Some("Amazon S3".into()),
        tag: Some("team=web".into()),
        ..Default::default()
    };
    let s3 = review::lines(&c, &f, SortBy::Source, 1).unwrap();
    assert_eq!(s3.total_lines, 2);
    let none = LineFilter {
        tag: Some("team=data".into()),
        ..Default::default()
    };
    assert_eq!(
        review::lines(&c, &none, SortBy::Billed, 1)
            .unwrap()
            .total_lines,
        0
    );
    let text = LineFilter {
        text: Some("LAMBDA".into()),
        ..Default::default()
    };
    assert_eq!(
        review::lines(&c, &text, SortBy::Billed, 1)
            .unwrap()
            .total_lines,
        1
    );
}

#[test]
fn month_over_month_finds_new_gone_changed_unit_prices_and_corrections() {
    let c = ledger();
    let diff = review::diff(
        &c,
        &LineFilter::default(),
        "2026-09",
        "2026-10",
        DiffBy::Service,
    )
    .unwrap();
    let row = |k: &str| diff.rows.iter().find(|r| r.key == k).unwrap();
    assert_eq!(row("Amazon RDS").status, "new");
    assert_eq!(row("AWS Lambda").status, "gone");
    assert_eq!(row("Amazon S3").status, "same");
    let ec2 = row("Amazon EC2");
    assert_eq!((ec2.status, ec2.change), ("changed", d("16")));
    assert_eq!(ec2.change_pct.as_deref(), Some("16.00"));
    assert_eq!(diff.movers_by_amount[0], "Amazon RDS");
    assert_eq!(diff.unit_price_changes.len(), 1);
    assert_eq!(diff.unit_price_changes[0].from_unit_price, "10");
    assert_eq!(diff.unit_price_changes[0].to_unit_price, "12");
    assert_eq!(diff.corrections.len(), 1);
    assert_eq!(diff.corrections_total, 1);
}

#[test]
fn a_mark_survives_a_reissued_bill_and_is_orphaned_when_its_charge_disappears() {
    let mut c = ledger();
    review::set_reviewer(&c, "Mei").unwrap();
    let f = LineFilter {
        resource: Some("bucket-a".into()),
        from: Some("2026-10".into()),
        to: Some("2026-10".into()),
        ..Default::default()
    };
    let s3 = &review::lines(&c, &f, SortBy::Billed, 1).unwrap().lines[0];
    annotations::mark(
        &c,
        &annotations::Target::Line(s3.id),
        "disputed",
        Some("double charge?"),
        t("2026-11-05"),
    )
    .unwrap();
    annotations::mark(
        &c,
        &annotations::Target::Service {
            service: "Amazon RDS".into(),
            month: "2026-10".into(),
            account: None,
        },
        "reviewed",
        None,
        t("2026-11-05"),
    )
    .unwrap();
    // The provider re-issues October with new line ids; RDS is gone from the final bill.
    deliver(
        &mut c,
        "2026-10",
        &[
            line("2026-10", "Amazon S3", "bucket-a", "5.0000000001", None),
            line("2026-10", "Amazon EC2", "i-1", "120", Some("10")),
        ],
    );
    let again = &review::lines(&c, &f, SortBy::Billed, 1).unwrap().lines[0];
    assert_ne!(again.id, s3.id, "the re-issued line has a new id");
    assert_eq!(
        again.review.as_deref(),
        Some("disputed"),
        "the mark follows the charge"
    );
    let marks = annotations::list(&c, None).unwrap();
    let s3_mark = marks.iter().find(|a| a.target == "line").unwrap();
    assert_eq!(
        (s3_mark.orphaned, s3_mark.reviewer.as_deref()),
        (false, Some("Mei"))
    );
    let rds = marks.iter().find(|a| a.target == "service").unwrap();
    assert!(
        rds.orphaned,
        "RDS left the bill: the mark is kept and shown orphaned"
    );
    assert_eq!(annotations::list(&c, Some("disputed")).unwrap().len(), 1);
    assert!(!s3_mark.amount_changed, "the same amount re-issued");
    assert_eq!(s3_mark.billed_when_marked, Some(d("5.0000000001")));

    // A later bill moves the disputed charge: the mark still follows it, and says so.
    deliver(
        &mut c,
        "2026-10",
        &[
            line("2026-10", "Amazon S3", "bucket-a", "7", None),
            line("2026-10", "Amazon EC2", "i-1", "120", Some("10")),
        ],
    );
    let marks = annotations::list(&c, None).unwrap();
    let s3_mark = marks.iter().find(|a| a.target == "line").unwrap();
    assert!(s3_mark.amount_changed);
    assert_eq!(
        (
            s3_mark.billed_when_marked,
            s3_mark.billed_now,
            s3_mark.currency.as_deref()
        ),
        (Some(d("5.0000000001")), Some(d("7")), Some("USD"))
    );
    // The review export carries it: then, now, the move, and a sentence.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("review.csv");
    export::review_csv(&c, None, &path).unwrap();
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let row = rdr
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[0] == "review mark" && &r[4] == "disputed")
        .unwrap();
    assert_eq!(
        (&row[5], &row[6], &row[7], &row[8]),
        ("USD", "5.0000000001", "7", "1.9999999999")
    );
    assert!(row[9].contains("amount changed"), "{row:?}");
}

#[test]
fn invoices_signoffs_and_balance_assertions_are_checked() {
    let mut c = ledger();
    reconcile::add_invoice(&c, "INV-2026-09", d("108.0000000001"), "111122223333").unwrap();
    reconcile::add_invoice(&c, "INV-2026-10", d("161"), "111122223333").unwrap();
    reconcile::sign_off(&c, "111122223333", "2026-10", t("2026-11-06")).unwrap();
    deliver(
        &mut c,
        "2026-10",
        &[line("2026-10", "Amazon EC2", "i-1", "121.5", Some("10"))],
    );
    ledger::topup(
        &mut c,
        "111122223333",
        d("50"),
        TopUpMethod::Online,
        t("2026-11-01"),
        None,
    )
    .unwrap();
    reconcile::add_assertion(&c, "111122223333", "cash", d("50"), t("2026-11-02")).unwrap();
    // After the matching assertion, a top-up the provider shows twice as large: the check
    // points at the entries since the last match.
    let late = ledger::topup(
        &mut c,
        "111122223333",
        d("5"),
        TopUpMethod::Online,
        t("2026-11-02T12:00:00Z"),
        None,
    )
    .unwrap();
    reconcile::add_assertion(&c, "111122223333", "cash", d("60"), t("2026-11-03")).unwrap();
    let r = reconcile::reconcile(&c, None).unwrap();
    let inv: Vec<(bool, Decimal)> = r
        .invoices
        .iter()
        .map(|i| (i.matches, i.difference))
        .collect();
    assert_eq!(inv, vec![(true, d("0")), (false, d("39.5"))]);
    let s = &r.signoffs[0];
    assert!(s.changed);
    assert_eq!(
        (s.signed_billed, s.current_billed, s.difference),
        (d("161.0000000001"), d("121.5"), d("-39.5000000001"))
    );
    let a: Vec<(bool, Decimal)> = r
        .assertions
        .iter()
        .map(|a| (a.matches, a.difference))
        .collect();
    assert_eq!(a, vec![(true, d("0")), (false, d("5"))]);
    assert_eq!(r.assertions[1].entries_since_last_match, [late.entry_id]);

    // The review as one CSV table, a row per finding.
    annotations::mark(
        &c,
        &annotations::Target::Service {
            service: "Amazon EC2".into(),
            month: "2026-10".into(),
            account: None,
        },
        "disputed",
        Some("price went up"),
        t("2026-11-07"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("review.csv");
    let n = export::review_csv(&c, None, &path).unwrap();
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), n);
    let find = |section: &str, subject: &str| {
        rows.iter()
            .find(|r| &r[0] == section && &r[3] == subject)
            .unwrap_or_else(|| panic!("no {section} row for {subject}: {rows:?}"))
    };
    let mark = find("review mark", "service Amazon EC2");
    assert_eq!((&mark[4], &mark[10]), ("disputed", "price went up"));
    let inv = find("invoice", "INV-2026-10");
    assert_eq!(
        (&inv[4], &inv[6], &inv[7], &inv[8]),
        ("differs", "161", "121.5", "39.5")
    );
    let check = rows
        .iter()
        .find(|r| &r[0] == "balance check" && &r[4] == "differs")
        .unwrap();
    assert!(check[9].contains(&late.entry_id.to_string()), "{check:?}");
    let signed = rows.iter().find(|r| &r[0] == "sign-off").unwrap();
    assert_eq!(
        (&signed[4], &signed[8]),
        ("changed since signed off", "-39.5000000001")
    );
}

#[test]
fn conversions_name_their_rate_and_date() {
    let c = ledger();
    let usd = Currency::parse("USD").unwrap();
    let cny = Currency::parse("CNY").unwrap();
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    fx::add(&c, &usd, &cny, d("7.1234"), day("2026-11-01")).unwrap();
    fx::add(&c, &usd, &cny, d("7.2"), day("2026-11-20")).unwrap();
    let x = fx::convert(&c, d("100"), &usd, &cny, day("2026-11-10")).unwrap();
    assert_eq!(
        (x.converted, x.rate, x.rate_date.as_str()),
        (d("712.34"), d("7.1234"), "2026-11-01")
    );
    let back = fx::convert(&c, d("72"), &cny, &usd, day("2026-11-21")).unwrap();
    assert!(back.inverted);
    assert_eq!(back.converted, d("10"));
    assert!(fx::convert(&c, d("1"), &usd, &cny, day("2026-10-01")).is_err());
    let kept: Vec<(String, String)> = fx::list(&c)
        .unwrap()
        .into_iter()
        .map(|r| (r.on, billfold::money::to_text(r.rate)))
        .collect();
    assert_eq!(
        kept,
        [
            ("2026-11-01".to_string(), "7.1234".to_string()),
            ("2026-11-20".to_string(), "7.2".to_string())
        ]
    );
}

#[test]
fn a_currency_narrows_to_the_accounts_billing_in_it() {
    let c = ledger();
    let usd = LineFilter {
        currency: Some("usd".into()),
        ..Default::default()
    };
    assert_eq!(
        review::lines(&c, &usd, SortBy::Billed, 1)
            .unwrap()
            .total_lines,
        7
    );
    let cny = LineFilter {
        currency: Some("CNY".into()),
        ..Default::default()
    };
    assert_eq!(
        review::lines(&c, &cny, SortBy::Billed, 1)
            .unwrap()
            .total_lines,
        0
    );
}

#[test]
fn the_exported_workbook_reads_back() {
    let c = ledger();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("review.xlsx");
    let n = export::workbook(&c, &LineFilter::default(), None, &path).unwrap();
    assert_eq!(n, 7);
    let mut wb: Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let names = wb.sheet_names().to_vec();
    assert_eq!(
        names,
        [
            "Lines",
            "Review marks",
            "Invoices",
            "Balance checks",
            "Payment split",
            "Completeness",
            "Sign-offs"
        ]
    );
    let lines = wb.worksheet_range("Lines").unwrap();
    assert_eq!(lines.height(), 8);
    let exact: Vec<String> = lines.rows().skip(1).map(|r| r[13].to_string()).collect();
    assert!(exact.contains(&"5.0000000001".to_string()), "{exact:?}");
    let csv_path = dir.path().join("lines.csv");
    assert_eq!(
        export::lines_csv(&c, &LineFilter::default(), &csv_path).unwrap(),
        7
    );
    let text = std::fs::read_to_string(&csv_path).unwrap();
    assert!(text.contains(",5.0000000001,"), "{text}");
}

#[test]
fn the_explorer_groups_a_filter_by_any_dimension_exactly() {
    use billfold::costs::GroupBy;
    let c = ledger();
    let october = LineFilter {
        from: Some("2026-10".into()),
        to: Some("2026-10".into()),
        ..Default::default()
    };
    let by_service = review::groups(&c, &october, &[GroupBy::Service]).unwrap();
    let ec2 = by_service
        .iter()
        .find(|g| g.keys["service"].as_deref() == Some("Amazon EC2"))
        .unwrap();
    assert_eq!((ec2.billed_cost, ec2.lines), (d("116"), 2));
    let by_region_tag = review::groups(
        &c,
        &october,
        &[GroupBy::Region, GroupBy::Tag("team".into())],
    )
    .unwrap();
    assert_eq!(by_region_tag.len(), 1);
    assert_eq!(by_region_tag[0].billed_cost, d("161.0000000001"));
    assert_eq!(by_region_tag[0].keys["tag:team"].as_deref(), Some("web"));
    // An organization the account is not in has no lines.
    let other_org = LineFilter {
        org: Some("nobody".into()),
        ..Default::default()
    };
    assert!(review::groups(&c, &other_org, &[GroupBy::Month])
        .unwrap()
        .is_empty());
}

/// Every grouping and total the explorer answers from the kept sums equals what the lines
/// themselves add up to, read one by one, for filters on every dimension.
#[test]
fn groupings_and_totals_agree_with_the_lines_for_every_filter() {
    use billfold::costs::GroupBy;
    use billfold::import::{self, Format, Options};
    use std::collections::BTreeMap;
    let mut c = store::open_in_memory().unwrap();
    let dir = std::path::Path::new(
        &std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("tests/fixtures/import");
    for f in [
        "focus-1.0.csv",
        "focus-1.2-deviations.csv",
        "focus-1.3.csv",
        "tencent-cn.csv",
        "huawei.csv",
    ] {
        let opts = Options {
            format: Format::Auto,
            at: t("2025-06-01"),
            progress: false,
            settle: false,
            currency: None,
            expect_sha256: None,
        };
        import::import_file(&mut c, &dir.join(f), &opts).unwrap();
    }
    let filters = vec![
        LineFilter::default(),
        LineFilter {
            from: Some("2024-09".into()),
            to: Some("2024-09".into()),
            ..Default::default()
        },
        LineFilter {
            region: Some("us-east-1".into()),
            ..Default::default()
        },
        LineFilter {
            category: Some("usage".into()),
            ..Default::default()
        },
        LineFilter {
            tag: Some("env".into()),
            ..Default::default()
        },
        LineFilter {
            tag: Some("env=prod".into()),
            ..Default::default()
        },
        LineFilter {
            text: Some("EC2".into()),
            ..Default::default()
        },
        LineFilter {
            text: Some("web".into()),
            service: Some("云服务器CVM".into()),
            ..Default::default()
        },
        LineFilter {
            provider: Some("AWS".into()),
            sub_account: Some("000011112222".into()),
            ..Default::default()
        },
        LineFilter {
            resource: Some("ecs-001".into()),
            ..Default::default()
        },
    ];
    for f in &filters {
        // The lines, one by one: billed and count per (service, region, currency).
        let mut want: BTreeMap<(String, Option<String>, String), (Decimal, i64)> = BTreeMap::new();
        review::for_each_line(&c, f, |l| {
            let e = want
                .entry((l.service.clone(), l.region.clone(), l.currency.clone()))
                .or_default();
            e.0 += d(&l.billed_cost);
            e.1 += 1;
            Ok(())
        })
        .unwrap();
        assert!(
            !want.is_empty(),
            "{f:?} matches no line: the test would prove nothing"
        );
        let got: BTreeMap<_, _> = review::groups(&c, f, &[GroupBy::Service, GroupBy::Region])
            .unwrap()
            .into_iter()
            .map(|g| {
                (
                    (
                        g.keys["service"].clone().unwrap(),
                        g.keys["region"].clone(),
                        g.currency,
                    ),
                    (g.billed_cost, g.lines),
                )
            })
            .collect();
        assert_eq!(got, want, "{f:?}");
        let page = review::lines(&c, f, SortBy::Billed, 1).unwrap();
        let lines: i64 = want.values().map(|v| v.1).sum();
        assert_eq!(page.total_lines as i64, lines, "{f:?}");
        assert_eq!(page.lines.len() as i64, lines.min(100), "{f:?}");
        // Largest first, each line really matching.
        for w in page.lines.windows(2) {
            assert!(d(&w[0].billed_cost) >= d(&w[1].billed_cost), "{f:?}");
        }
    }
}

/// Completeness counts the provider's own days (China Standard Time for Tencent) and only
/// usage lines: a monthly subscription does not hide a day without usage, nor reveal one.
#[test]
fn completeness_finds_the_day_a_daily_delivery_is_missing_in_the_providers_days() {
    use billfold::import::{self, Format, Options};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tencent-2024-09.csv");
    let header = "支付者UIN,使用者UIN,产品名称,计费模式,资源ID,交易类型,扣费时间,开始使用时间,结束使用时间,组件原价,优惠后总价,代金券支出(元),赠送账户支出(元),现金账户支出(元)";
    let usage = |day: &str| {
        format!(
            "100000000001,100000000001,云服务器CVM,按量计费,ins-1,按量计费小时结,2024-09-{day} 01:00:00,2024-09-{day} 00:00:00,2024-09-{day} 00:59:59,1.00,1.00,0,0,1.00"
        )
    };
    let rows = [
        header.to_string(),
        // The first hour of 1 September in Beijing is still 31 August in UTC.
        usage("01"),
        usage("02"),
        usage("04"),
        usage("05"),
        "100000000001,100000000001,云数据库MySQL,包年包月,cdb-1,包年包月新购,2024-09-03 10:00:00,2024-09-03 10:00:00,2024-10-03 10:00:00,300,240,0,0,240".to_string(),
    ];
    std::fs::write(&file, rows.join("\n")).unwrap();
    let mut c = store::open_in_memory().unwrap();
    let opts = Options {
        format: Format::Auto,
        at: t("2024-09-06"),
        progress: false,
        settle: false,
        currency: None,
        expect_sha256: None,
    };
    import::import_file(&mut c, &file, &opts).unwrap();
    let r = reconcile::reconcile(&c, None).unwrap();
    assert_eq!(r.completeness.len(), 1, "{:?}", r.completeness);
    let m = &r.completeness[0];
    assert_eq!(
        (m.month.as_str(), m.status.as_str()),
        ("2024-09", "provisional")
    );
    assert_eq!(m.missing_days, ["2024-09-03"]);
}

/// An import that changes a signed-off month says so in its own report, with the difference.
#[test]
fn an_import_that_changes_a_signed_off_month_reports_it() {
    use billfold::import::{self, Format, Options};
    let header = "支付者UIN,使用者UIN,产品名称,计费模式,资源ID,交易类型,扣费时间,开始使用时间,结束使用时间,组件原价,优惠后总价,代金券支出(元),赠送账户支出(元),现金账户支出(元)";
    let bill = |amount: &str| {
        format!("{header}\n100000000001,100000000001,云服务器CVM,按量计费,ins-1,按量计费小时结,2024-09-02 01:00:00,2024-09-02 00:00:00,2024-09-02 00:59:59,{amount},{amount},0,0,{amount}\n")
    };
    let opts = |at: &str| Options {
        format: Format::Auto,
        at: t(at),
        progress: false,
        settle: false,
        currency: None,
        expect_sha256: None,
    };
    let mut c = store::open_in_memory().unwrap();
    let first =
        import::import_bytes(&mut c, "v1.csv", bill("10").as_bytes(), &opts("2024-09-05")).unwrap();
    assert!(first.signoffs_changed.is_empty());
    reconcile::sign_off(&c, "100000000001", "2024-09", t("2024-09-06")).unwrap();
    let same = import::import_bytes(&mut c, "v2.csv", bill("10").as_bytes(), &opts("2024-09-07"))
        .unwrap_or_else(|e| panic!("{}", e.message));
    assert!(
        same.signoffs_changed.is_empty(),
        "the same amounts change nothing"
    );
    let newer = import::import_bytes(
        &mut c,
        "v3.csv",
        bill("12.5").as_bytes(),
        &opts("2024-09-08"),
    )
    .unwrap();
    let [s] = newer.signoffs_changed.as_slice() else {
        panic!("{:?}", newer.signoffs_changed)
    };
    assert_eq!(
        (
            s.month.as_str(),
            s.signed_billed,
            s.current_billed,
            s.difference
        ),
        ("2024-09", d("10"), d("12.5"), d("2.5"))
    );
    // A later delivery of the same amounts (other bytes) changes nothing more: not blamed.
    let again = format!("{}\n", bill("12.5"));
    let later = import::import_bytes(&mut c, "v4.csv", again.as_bytes(), &opts("2024-09-09"))
        .unwrap_or_else(|e| panic!("{}", e.message));
    assert_eq!(later.status, "imported");
    assert!(
        later.signoffs_changed.is_empty(),
        "{:?}",
        later.signoffs_changed
    );
    // Reconciliation still shows the month changed since its sign-off.
    let r = reconcile::reconcile(&c, None).unwrap();
    assert!(r.signoffs[0].changed);
}
