//! The Bills page in the real app window, checked against the `billfold` CLI on the same ledger
//! file: the explorer opened from a trend bar, a line marked disputed, the exports.

use std::time::Duration;

use billfold_e2e::{repo_root, serial, Driver, Ledger, Session, ADD_E2E_ACCOUNT, AT};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

const FOCUS_HEADER: &str = "BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,ChargeCategory,ChargeClass,ChargeDescription,ChargeFrequency,ChargePeriodEnd,ChargePeriodStart,ContractedCost,EffectiveCost,ListCost,PricingQuantity,PricingUnit,ProviderName,PublisherName,InvoiceIssuerName,RegionId,ResourceId,ResourceName,ServiceCategory,ServiceName,SkuId,SubAccountId,SubAccountName,Tags";

/// One FOCUS row of a month (`YYYY-MM`), the first day of it.
struct Row<'a> {
    account: &'a str,
    provider: &'a str,
    month: &'a str,
    cost: &'a str,
    class: &'a str,
    service: &'a str,
    resource: &'a str,
    region: &'a str,
    sku: &'a str,
    quantity: &'a str,
    member: &'a str,
    team: &'a str,
}

fn focus_file(ledger: &Ledger, name: &str, rows: &[Row]) -> String {
    focus_file_in(ledger, name, "USD", rows)
}

/// A FOCUS file billed in `currency`.
fn focus_file_in(ledger: &Ledger, name: &str, currency: &str, rows: &[Row]) -> String {
    let mut text = format!("{FOCUS_HEADER}\n");
    for r in rows {
        let (y, m) = r.month.split_once('-').unwrap();
        let (ny, nm) = if m == "12" {
            (y.parse::<u32>().unwrap() + 1, 1)
        } else {
            (y.parse::<u32>().unwrap(), m.parse::<u32>().unwrap() + 1)
        };
        let start = format!("{}-01T00:00:00Z", r.month);
        let end = format!("{ny}-{nm:02}-01T00:00:00Z");
        let day_end = format!("{}-02T00:00:00Z", r.month);
        text.push_str(&format!(
            "{cost},{acct},{acct} Co,{currency},{end},{start},Usage,{class},{service} for {res},Usage-Based,{day_end},{start},{cost},{cost},{cost},{q},Hours,{p},{p},{p},{region},{res},{res},Compute,{service},{sku},{member},{member},\"{{\"\"team\"\":\"\"{team}\"\"}}\"\n",
            cost = r.cost,
            acct = r.account,
            class = r.class,
            service = r.service,
            res = r.resource,
            q = r.quantity,
            p = r.provider,
            region = r.region,
            sku = r.sku,
            member = r.member,
            team = r.team,
        ));
    }
    let path = ledger.dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A prepaid USD account with a charge recorded in Billfold (a `ledger` line) and an imported
/// FOCUS bill over September and October.
fn prepared(name: &str) -> Ledger {
    let l = Ledger::new(name);
    for args in [
        ADD_E2E_ACCOUNT,
        &["topup", "e2e", "5000", "--at", "2026-05-02"],
        &[
            "charge",
            "e2e",
            "1000.40",
            "--product",
            "CVM",
            "--at",
            "2026-10-10",
        ],
    ] {
        l.cli(args);
    }
    let row = |month, cost, class, service, resource, quantity| Row {
        account: "e2e",
        provider: "Tencent Cloud",
        month,
        cost,
        class,
        service,
        resource,
        region: "ap-guangzhou",
        sku: "SKU-A",
        quantity,
        member: "e2e",
        team: "web",
    };
    let file = focus_file(
        &l,
        "focus-e2e.csv",
        &[
            row("2026-09", "100.10", "", "CVM", "ins-1", "24"),
            row("2026-10", "120.125", "", "CVM", "ins-1", "24"),
            row("2026-10", "80.5", "", "CVM", "ins-2", "20"),
            row("2026-10", "30.5", "", "COS", "cos-1", "100"),
            row("2026-10", "-5.25", "Correction", "CVM", "ins-1", "0"),
        ],
    );
    l.cli(&["import", &file]);
    l
}

fn lines_json(ledger: &Ledger, args: &[&str]) -> Value {
    let mut all = vec!["lines"];
    all.extend_from_slice(args);
    all.push("--json");
    serde_json::from_str(&ledger.cli(&all)).unwrap()
}

/// The explorer's lines on screen: (line id, source, exact billed, review status).
fn shown_lines(s: &Session) -> Vec<(i64, String, String, String)> {
    let v = s.execute(
        "return [...document.querySelectorAll('[data-testid=line]')].map(r => [Number(r.dataset.lineId),\
           r.querySelector('[data-testid=line-source]').textContent,\
           r.querySelector('[data-testid=line-billed]').dataset.value,\
           r.querySelector('[data-testid=line-review]').dataset.status])",
        json!([]),
    );
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_i64().unwrap(),
                r[1].as_str().unwrap().to_string(),
                r[2].as_str().unwrap().to_string(),
                r[3].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Waits until the explorer shows `n` lines and is not loading.
fn wait_lines(s: &Session, n: usize) {
    s.wait_until(
        "const t = document.querySelector('[data-testid=lines]'); const b = document.querySelector('.lines-body');\
         return !!t && !b.hasAttribute('aria-busy') && t.querySelectorAll('[data-testid=line]').length === arguments[0];",
        json!([n]),
        WAIT,
    );
}

#[test]
fn a_trend_bar_opens_the_explorer_on_its_month_service_and_currency() {
    let _one = serial();
    let ledger = prepared("bills-trend");
    // A second account billing in yuan, with CVM lines in October too: the USD bar must not
    // open them.
    ledger.cli(&[
        "account",
        "add",
        "e2e-cn",
        "--provider",
        "Tencent Cloud",
        "--currency",
        "CNY",
        "--mode",
        "prepaid",
        "--at",
        "2026-05-01",
    ]);
    let yuan = |month, cost, resource| Row {
        account: "e2e-cn",
        provider: "Tencent Cloud",
        month,
        cost,
        class: "",
        service: "CVM",
        resource,
        region: "ap-shanghai",
        sku: "SKU-C",
        quantity: "24",
        member: "e2e-cn",
        team: "web",
    };
    let file = focus_file_in(
        &ledger,
        "focus-cn.csv",
        "CNY",
        &[
            yuan("2026-09", "700.70", "ins-cn-1"),
            yuan("2026-10", "720.72", "ins-cn-1"),
        ],
    );
    ledger.cli(&["import", &file]);
    let both = lines_json(&ledger, &["--month", "2026-10", "--service", "CVM"]);
    assert_eq!(
        both["lines"].as_array().unwrap().len(),
        5,
        "October's CVM lines of both currencies"
    );

    let driver = Driver::start();
    let s = driver.open(&ledger, &[]);
    s.wait_for("[data-testid=\"available-balance\"]", WAIT);
    assert_eq!(
        s.attr(&s.find("[data-testid=\"scope-select\"]"), "value")
            .as_deref(),
        Some("all"),
        "two accounts outside an organization: every account"
    );
    // The chart draws after the figures; it says where its bars are. One chart per currency.
    let bars = s.wait_until(
        "const c = document.querySelector('[data-testid=trend-chart][data-currency=USD] .chart-host');\
         return c && c.dataset.bars && c.querySelector('canvas') ? c.dataset.bars : null",
        json!([]),
        WAIT,
    );
    let bars: Value = serde_json::from_str(bars.as_str().unwrap()).unwrap();
    let bar = bars
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["month"] == "2026-10" && b["service"] == "CVM")
        .unwrap_or_else(|| panic!("no October CVM bar in {bars}"))
        .clone();
    let origin = s.execute(
        "const c = document.querySelector('[data-testid=trend-chart][data-currency=USD] canvas');\
         c.scrollIntoView({block: 'center'}); const r = c.getBoundingClientRect(); return [r.left, r.top];",
        json!([]),
    );
    let x = origin[0].as_f64().unwrap() + bar["x"].as_f64().unwrap();
    let y = origin[1].as_f64().unwrap() + bar["y"].as_f64().unwrap();
    s.click_at(x.round() as i64, y.round() as i64);

    // The Bills page, filtered to that month and service.
    s.wait_for("[data-testid=\"lines\"]", WAIT);
    let nav = s.find("[data-testid=\"nav-bills\"]");
    assert_eq!(s.attr(&nav, "aria-selected").as_deref(), Some("true"));
    let value = |css: &str| {
        s.execute(
            "return document.querySelector(arguments[0]).value",
            json!([css]),
        )
    };
    assert_eq!(value("[data-testid=filter-from]"), "2026-10");
    assert_eq!(value("[data-testid=filter-to]"), "2026-10");
    assert_eq!(value("[data-testid=filter-service]"), "CVM");
    assert_eq!(
        value("[data-testid=filter-currency]"),
        "USD",
        "the bar's currency"
    );

    // The same figures as `billfold lines` on the same file, in the bar's currency.
    let expected = lines_json(
        &ledger,
        &[
            "--currency",
            "USD",
            "--month",
            "2026-10",
            "--service",
            "CVM",
        ],
    );
    let lines = expected["lines"].as_array().unwrap();
    assert_eq!(
        lines.len(),
        4,
        "the ledger's charge, two imported lines and a correction"
    );
    wait_lines(&s, lines.len());
    let shown = shown_lines(&s);
    for (row, line) in shown.iter().zip(lines) {
        assert_eq!(
            row.0,
            line["id"].as_i64().unwrap(),
            "the CLI's order (largest first)"
        );
        assert_eq!(
            row.1,
            format!(
                "{}:{}",
                line["source_file"].as_str().unwrap(),
                line["source_line"]
            )
        );
        assert_eq!(row.2, line["billed_cost"].as_str().unwrap());
    }
    let totals = s.execute(
        "return [...document.querySelectorAll('[data-testid=line-total]')].map(t => [t.dataset.currency, t.dataset.value, Number(t.dataset.lines)])",
        json!([]),
    );
    let want: Vec<Value> = expected["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| json!([t["currency"], t["billed_cost"], t["lines"]]))
        .collect();
    assert_eq!(totals, Value::Array(want), "totals per currency");
    assert_eq!(
        s.testid_text("lines-count"),
        format!("1–{n} of {n}", n = lines.len())
    );
    // The grouped view (by service) sums to the same exact total.
    let group = s.wait_until(
        "const g = document.querySelector('[data-testid=group-row][data-value=CVM] [data-testid=group-billed]'); return g && g.dataset.value",
        json!([]),
        WAIT,
    );
    assert_eq!(group, expected["totals"][0]["billed_cost"]);

    // The original row of the imported line, on demand.
    let imported = lines
        .iter()
        .find(|l| l["billed_cost"] == "120.125")
        .unwrap();
    let id = imported["id"].as_i64().unwrap();
    s.click(&s.find(&format!(
        "[data-testid=line][data-line-id='{id}'] [data-testid=line-details-button]"
    )));
    let original = s.wait_until(
        "const o = document.querySelector(`[data-testid=line-details][data-line-id='${arguments[0]}'] [data-testid=original-row]`);\
         return o && o.querySelector('table') ? o.textContent : null",
        json!([id]),
        WAIT,
    );
    let original = original.as_str().unwrap();
    assert!(
        original.contains("BilledCost") && original.contains("120.125"),
        "{original}"
    );
    assert!(original.contains("focus-e2e.csv:3"), "{original}");
}

#[test]
fn a_line_marked_disputed_in_the_window_is_in_the_cli_review_list() {
    let _one = serial();
    let ledger = prepared("bills-mark");
    let driver = Driver::start();
    let s = driver.open(&ledger, &[]);
    s.wait_for("[data-testid=\"available-balance\"]", WAIT);
    s.click(&s.find("[data-testid=\"nav-bills\"]"));
    // The latest month with lines, every line of the scope: October.
    let october = lines_json(&ledger, &["--account", "e2e", "--month", "2026-10"]);
    wait_lines(&s, october["lines"].as_array().unwrap().len());

    // The reviewer's name, a local setting kept in the ledger.
    let name = s.find("[data-testid=\"reviewer-name\"]");
    s.clear(&name);
    s.type_text(&name, "Li Wei");
    s.click(&s.find("[data-testid=\"reviewer-save\"]"));
    s.wait_until(
        "return document.querySelector('[data-testid=reviewer-note]').textContent",
        json!([]),
        WAIT,
    );

    let line = october["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["resource_id"] == "ins-2")
        .unwrap()
        .clone();
    let id = line["id"].as_i64().unwrap();
    s.click(&s.find(&format!(
        "[data-testid=line][data-line-id='{id}'] [data-testid=line-details-button]"
    )));
    let form = format!("[data-testid=line-details][data-line-id='{id}'] [data-testid=mark-form]");
    s.wait_for(&form, WAIT);
    s.select(&format!("{form} [data-testid=mark-status]"), "disputed");
    let note = "ins-2 was stopped on 3 Oct; 80.5 is not ours";
    s.type_text(&s.find(&format!("{form} [data-testid=mark-note]")), note);
    s.click(&s.find(&format!("{form} [data-testid=mark-submit]")));
    s.wait_for("[data-testid=\"mark-done\"]", WAIT);
    // The line shows its new mark once the page reloaded.
    s.wait_until(
        "const r = document.querySelector(`[data-testid=line][data-line-id='${arguments[0]}'] [data-testid=line-review]`);\
         return r && r.dataset.status === 'disputed'",
        json!([id]),
        WAIT,
    );

    let marks: Value = serde_json::from_str(&ledger.cli(&["review", "list", "--json"])).unwrap();
    let marks = marks.as_array().unwrap();
    assert_eq!(marks.len(), 1, "{marks:?}");
    let m = &marks[0];
    assert_eq!(m["status"], "disputed");
    assert_eq!(m["note"], note);
    assert_eq!(m["target"], "line");
    assert_eq!(m["resource_id"], "ins-2");
    assert_eq!(m["month"], "2026-10");
    assert_eq!(m["reviewer"], "Li Wei");
    assert_eq!(
        m["at"].as_str().unwrap(),
        "2026-11-23T09:00:00Z",
        "the app's clock (--at)"
    );
    assert_eq!(m["orphaned"], false);
    // The CLI's explorer sees the mark on that line too.
    let after = lines_json(&ledger, &["--account", "e2e", "--month", "2026-10"]);
    let marked = after["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"].as_i64() == Some(id))
        .unwrap();
    assert_eq!(marked["review"], "disputed");

    // And the marks view lists it with its note.
    s.click(&s.find("[data-testid=\"bills-view-marks\"]"));
    let shown = s.wait_until(
        "const r = document.querySelector('[data-testid=mark-row]'); return r && r.textContent",
        json!([]),
        WAIT,
    );
    assert!(shown.as_str().unwrap().contains(note), "{shown}");
}

#[test]
fn exports_write_the_view_as_csv_and_the_review_as_a_workbook() {
    let _one = serial();
    let ledger = Ledger::new("bills-export");
    ledger.cli(&["demo", "--at", AT]);
    // The demo's lines are charges recorded in Billfold; add an AWS bill to its data account.
    let mut rows = Vec::new();
    let costs = [
        (
            "Amazon EC2",
            "i-0a17c3",
            "us-east-1",
            "412.3712",
            "analytics",
        ),
        ("Amazon EC2", "i-0b42d9", "us-east-1", "233.10", "analytics"),
        ("Amazon EC2", "i-0c93e1", "eu-west-1", "187.5", "data-eng"),
        (
            "Amazon S3",
            "bucket-logs",
            "us-east-1",
            "18.4411",
            "data-eng",
        ),
        (
            "Amazon S3",
            "bucket-lake",
            "eu-west-1",
            "64.02",
            "analytics",
        ),
        ("Amazon RDS", "db-main", "us-east-1", "96.00", "data-eng"),
        ("AWS Lambda", "fn-ingest", "us-east-1", "7.812", "data-eng"),
    ];
    for month in ["2026-10", "2026-11"] {
        for (service, resource, region, cost, member) in costs {
            rows.push(Row {
                account: "acme-data",
                provider: "AWS",
                month,
                cost,
                class: "",
                service,
                resource,
                region,
                sku: "SKU-1",
                quantity: "10",
                member,
                team: if member == "analytics" {
                    "bi"
                } else {
                    "platform"
                },
            });
        }
    }
    let file = focus_file(&ledger, "aws-2026.csv", &rows);
    ledger.cli(&["import", &file]);
    let out = ledger.dir.join("exports");
    std::fs::create_dir_all(&out).unwrap();

    let driver = Driver::start();
    let s = driver.open(&ledger, &["--save-to", &out.display().to_string()]);
    s.wait_for("[data-testid=\"available-balance\"]", WAIT);
    s.click(&s.find("[data-testid=\"nav-bills\"]"));
    let scope = s
        .attr(&s.find("[data-testid=\"scope-select\"]"), "value")
        .unwrap();
    let (flag, id) = match scope.split_once(':') {
        Some(("org", id)) => ("--org", id.to_string()),
        Some((_, id)) => ("--account", id.to_string()),
        None => panic!("the demo opens on an organization or an account: {scope}"),
    };
    let november = lines_json(&ledger, &[flag, &id, "--month", "2026-11"]);
    let total = november["total_lines"].as_u64().unwrap();
    wait_lines(&s, total.min(100) as usize);
    // A picture of the Bills page for the README: the latest month, grouped by service.
    std::thread::sleep(Duration::from_millis(300));
    s.screenshot(&repo_root().join("assets/screenshot-bills.png"));

    // The view as CSV: a header and one record per line of the filter.
    s.click(&s.find("[data-testid=\"export-csv\"]"));
    let path = s.wait_until(
        "const r = document.querySelector('[data-testid=export-result][data-format=csv]'); return r && r.dataset.path",
        json!([]),
        WAIT,
    );
    let csv = std::fs::read_to_string(path.as_str().unwrap()).unwrap();
    assert_eq!(csv.lines().count() as u64, total + 1, "{csv}");
    assert!(csv.starts_with("line id,source file,source line"));
    assert!(csv.contains("412.3712"), "exact amounts");

    // The review as a workbook: an XLSX (a zip) with a sheet per section.
    s.click(&s.find("[data-testid=\"export-xlsx\"]"));
    let path = s.wait_until(
        "const r = document.querySelector('[data-testid=export-result][data-format=xlsx]'); return r && r.dataset.path",
        json!([]),
        WAIT,
    );
    let path = std::path::PathBuf::from(path.as_str().unwrap());
    assert_eq!(path, out.join("billfold-review.xlsx"));
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 1000, "{} bytes", bytes.len());
    assert_eq!(&bytes[..4], b"PK\x03\x04", "an XLSX is a zip file");
    let names = String::from_utf8_lossy(&bytes);
    for part in [
        "xl/workbook.xml",
        "xl/worksheets/sheet1.xml",
        "xl/worksheets/sheet7.xml",
    ] {
        assert!(names.contains(part), "the workbook has {part}");
    }
    eprintln!(
        "e2e: exported {} lines as CSV and a {}-byte workbook",
        total,
        bytes.len()
    );
}
