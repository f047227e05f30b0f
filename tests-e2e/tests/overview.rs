//! The overview in the real app window, checked against `billfold overview --json` for the same
//! ledger file and instant.

use std::time::Duration;

use billfold_e2e::{en_us, repo_root, serial, Driver, Ledger, Session, ADD_E2E_ACCOUNT};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(20);

/// A prepaid USD account with something in every purse.
fn prepared_account(name: &str) -> Ledger {
    let l = Ledger::new(name);
    for args in [
        ADD_E2E_ACCOUNT,
        // Cash of 12,345.675 (a top-up is in whole cents; a charge is not): the figures'
        // display rounding is checked against it.
        &["topup", "e2e", "12346", "--at", "2026-05-02"],
        &[
            "charge",
            "e2e",
            "0.325",
            "--product",
            "CVM",
            "--at",
            "2026-05-02",
        ],
        &[
            "voucher",
            "add",
            "e2e",
            "200",
            "--kind",
            "regular",
            "--expires",
            "2026-12-10",
            "--at",
            "2026-05-02",
        ],
        &["card", "buy", "e2e", "300", "--at", "2026-05-03"],
        &[
            "coupon",
            "add",
            "e2e",
            "15.5",
            "--expires",
            "2027-01-01",
            "--at",
            "2026-05-03",
        ],
        &[
            "hold",
            "add",
            "e2e",
            "55.005",
            "--ref",
            "h1",
            "--at",
            "2026-07-01",
        ],
        &[
            "charge",
            "e2e",
            "1000.40",
            "--product",
            "CVM",
            "--at",
            "2026-10-10",
        ],
        &["alert", "set", "e2e", "--threshold", "20000"],
    ] {
        l.cli(args);
    }
    l
}

/// Checks every figure of the first currency block on screen against the CLI's JSON.
fn assert_block_matches(s: &Session, o: &Value, block: usize) {
    let c = &o["currencies"][block];
    let digits = match c["currency"].as_str().unwrap() {
        "JPY" | "KRW" => 0,
        _ => 2,
    };
    let money = |v: &Value| en_us(v.as_str().unwrap(), digits);
    let b = &c["balances"];
    for (testid, field) in [
        ("available-balance", "available"),
        ("balance-cash", "cash"),
        ("balance-complimentary", "complimentary"),
        ("balance-frozen", "frozen"),
        ("balance-arrears", "arrears"),
        ("balance-withdrawable", "withdrawable"),
    ] {
        let els = s.find_all(&format!("[data-testid=\"{testid}\"]"));
        let el = &els[block];
        assert_eq!(s.text(el), money(&b[field]), "{testid} on screen");
        assert_eq!(
            s.attr(el, "data-value").as_deref(),
            b[field].as_str(),
            "{testid} exact value"
        );
    }
    let count_amount = |testid: &str, v: &Value| {
        let text = &s.testid_texts(testid)[block];
        let expected = format!("{} · {}", v["count"], money(&v["amount"]));
        assert_eq!(text, &expected, "{testid}");
    };
    count_amount("unpaid-orders", &c["unpaid_orders"]);
    count_amount("cash-coupons", &c["cash_coupons"]);
    assert_eq!(
        s.testid_texts("invoiceable")[block],
        money(&c["invoiceable"])
    );
    // The trend's data table: one row per month, amount and net amount.
    let trend = c["trend"].as_array().unwrap();
    let chart = &s.find_all("[data-testid=\"trend-chart\"]")[block];
    assert_eq!(
        s.attr(chart, "data-months").as_deref(),
        Some(trend.len().to_string().as_str())
    );
    for m in trend {
        let month = m["month"].as_str().unwrap();
        let cells = s.execute(
            "const [chart, month] = arguments; const row = chart.querySelector(`tr[data-month='${month}']`);\
             return [...row.querySelectorAll('td .amount')].slice(0, 2).map(e => e.dataset.value);",
            serde_json::json!([{ "element-6066-11e4-a52e-4f735466cecf": chart }, month]),
        );
        assert_eq!(cells[0], m["amount"], "trend amount of {month}");
        assert_eq!(cells[1], m["net_amount"], "trend net amount of {month}");
    }
}

fn assert_renewals_and_alerts(s: &Session, o: &Value) {
    let r = &o["renewals"];
    assert_eq!(s.testid_text("renewals-due"), r["due_30d"].to_string());
    assert_eq!(s.testid_text("renewals-expired"), r["expired"].to_string());
    assert_eq!(s.testid_text("renewals-frozen"), r["frozen"].to_string());
    let alerts = s.find_all("[data-testid=\"alert\"]");
    let expected = o["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), expected.len(), "one element per alert");
    let rank = |sev: &str| match sev {
        "critical" => 0,
        "warning" => 1,
        _ => 2,
    };
    let severities: Vec<String> = alerts
        .iter()
        .map(|a| s.attr(a, "data-severity").unwrap())
        .collect();
    assert!(
        severities.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
        "alerts most severe first: {severities:?}"
    );
    for (el, a) in alerts.iter().zip(expected) {
        assert!(s.text(el).contains(a["message"].as_str().unwrap()));
    }
}

#[test]
fn account_overview_matches_the_cli() {
    let _one = serial();
    let ledger = prepared_account("account");
    let expected = ledger.overview(&["--account", "e2e"]);
    let driver = Driver::start();
    let s = driver.open(&ledger, &[]);
    s.wait_for("[data-testid=\"available-balance\"]", WAIT);
    assert_eq!(
        s.attr(&s.find("[data-testid=\"scope-select\"]"), "value")
            .as_deref(),
        Some("account:e2e")
    );
    assert_block_matches(&s, &expected, 0);
    assert_renewals_and_alerts(&s, &expected);
    // The balance alert the CLI set is on screen, switched on.
    assert!(s
        .text(&s.find("[data-testid=\"alert\"]"))
        .contains("20,000"));
}

#[test]
fn demo_ledger_overview_and_screenshot() {
    let _one = serial();
    let ledger = Ledger::new("demo");
    ledger.cli(&["demo", "--at", billfold_e2e::AT]);
    let orgs: Value =
        serde_json::from_str(&ledger.cli(&["account", "list", "--json"])).unwrap_or(Value::Null);
    let _ = orgs;
    let driver = Driver::start();
    let s = driver.open(&ledger, &[]);
    s.wait_for("[data-testid=\"available-balance\"]", WAIT);
    let started_to_figures = s.started.elapsed();
    let scope = s
        .attr(&s.find("[data-testid=\"scope-select\"]"), "value")
        .unwrap();
    let expected = match scope.split_once(':') {
        Some(("org", id)) => ledger.overview(&["--org", id]),
        Some(("account", id)) => ledger.overview(&["--account", id]),
        _ => ledger.overview(&[]),
    };
    let blocks = expected["currencies"].as_array().unwrap().len();
    assert!(blocks >= 1);
    assert_eq!(
        s.find_all("[data-testid=\"currency-block\"]").len(),
        blocks,
        "one block per currency"
    );
    for i in 0..blocks {
        assert_block_matches(&s, &expected, i);
    }
    assert_renewals_and_alerts(&s, &expected);
    // Let the chart (loaded after the figures) draw before the picture is taken.
    s.wait_for("[data-testid=\"trend-chart\"] canvas", WAIT);
    std::thread::sleep(Duration::from_millis(500));
    s.screenshot(&repo_root().join("assets/screenshot.png"));
    eprintln!(
        "e2e: demo overview with real figures {started_to_figures:?} after the session request"
    );
}

#[test]
fn empty_ledger_offers_import_and_demo() {
    let _one = serial();
    let ledger = Ledger::new("empty");
    let driver = Driver::start();
    let s = driver.open(&ledger, &[]);
    s.wait_for("[data-testid=\"empty\"]", WAIT);
    s.find("[data-testid=\"import-button\"]");
    s.click(&s.find("[data-testid=\"demo-button\"]"));
    s.wait_for("[data-testid=\"available-balance\"]", WAIT);
    // The demo was written into this ledger file: the CLI sees the same figures.
    let scope = s
        .attr(&s.find("[data-testid=\"scope-select\"]"), "value")
        .unwrap();
    let id = scope.split_once(':').map(|(_, id)| id.to_string()).unwrap();
    let flag = if scope.starts_with("org:") {
        "--org"
    } else {
        "--account"
    };
    let expected = ledger.overview(&[flag, &id]);
    assert_eq!(
        s.testid_texts("available-balance")[0],
        en_us(
            expected["currencies"][0]["balances"]["available"]
                .as_str()
                .unwrap(),
            2
        )
    );
}

#[test]
fn refused_withdrawal_shows_the_core_sentence_and_changes_nothing() {
    let _one = serial();
    let ledger = prepared_account("refusal");
    let before = ledger.overview(&["--account", "e2e"]);
    let sentence = ledger.cli_refused(&["withdraw", "e2e", "999999", "--at", billfold_e2e::AT]);
    let driver = Driver::start();
    let s = driver.open(&ledger, &[]);
    s.wait_for("[data-testid=\"available-balance\"]", WAIT);
    s.click(&s.find("[data-testid=\"record-button\"]"));
    s.wait_for("[data-testid=\"record-dialog\"]", WAIT);
    s.execute(
        "document.querySelector('[data-testid=movement-kind]').value = 'withdraw';\
         document.querySelector('[data-testid=movement-kind]').dispatchEvent(new Event('change'));",
        serde_json::json!([]),
    );
    let amount = s.find("[data-testid=\"movement-amount\"]");
    s.type_text(&amount, "999999");
    s.click(&s.find("[data-testid=\"movement-submit\"]"));
    let deadline = std::time::Instant::now() + WAIT;
    let shown = loop {
        let t = s.testid_text("movement-error");
        if !t.is_empty() {
            break t;
        }
        assert!(std::time::Instant::now() < deadline, "no refusal shown");
        std::thread::sleep(Duration::from_millis(50));
    };
    let core_sentence = sentence
        .trim()
        .trim_start_matches("error: ")
        .trim_start_matches("billfold: ");
    assert!(
        core_sentence.contains(&shown) || shown.contains(core_sentence),
        "UI shows {shown:?}, the CLI said {sentence:?}"
    );
    assert_eq!(
        ledger.overview(&["--account", "e2e"])["currencies"],
        before["currencies"]
    );
}

#[test]
fn topup_from_the_form_moves_the_figures() {
    let _one = serial();
    let ledger = prepared_account("topup");
    let driver = Driver::start();
    let s = driver.open(&ledger, &[]);
    s.wait_for("[data-testid=\"available-balance\"]", WAIT);
    let before = s.testid_text("balance-cash");
    s.click(&s.find("[data-testid=\"record-button\"]"));
    let amount = s.wait_for("[data-testid=\"movement-amount\"]", WAIT);
    // A top-up asks for no voucher kind and no expiry (black-box testing: both were shown).
    let shown = s.execute(
        "return ['movement-expires', 'movement-voucher-kind'].map(id => { \
           const el = document.querySelector(`[data-testid=\"${id}\"]`); \
           return el ? getComputedStyle(el.closest('label')).display : 'absent'; })",
        serde_json::json!([]),
    );
    assert_eq!(shown, serde_json::json!(["none", "none"]), "{shown}");
    s.type_text(&amount, "1000.05");
    s.click(&s.find("[data-testid=\"movement-submit\"]"));
    let deadline = std::time::Instant::now() + WAIT;
    while s.testid_text("balance-cash") == before {
        assert!(
            std::time::Instant::now() < deadline,
            "cash did not change after the top-up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let after = ledger.overview(&["--account", "e2e"]);
    assert_block_matches(&s, &after, 0);
}

#[test]
fn importing_and_settling_a_focus_file_through_the_ui_changes_the_trend_and_balance() {
    let _one = serial();
    let ledger = prepared_account("import");
    let file = ledger.dir.join("focus-2026-10.csv");
    std::fs::write(
        &file,
        "BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,ChargeCategory,ChargeClass,ChargeDescription,ChargeFrequency,ChargePeriodEnd,ChargePeriodStart,ContractedCost,EffectiveCost,ListCost,PricingQuantity,PricingUnit,ProviderName,PublisherName,InvoiceIssuerName,RegionId,ResourceId,ResourceName,ServiceCategory,ServiceName,SkuId,SubAccountId,SubAccountName,Tags\n\
         120.125,e2e,E2E Co,USD,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,Usage,,VM hours,Usage-Based,2026-10-02T00:00:00Z,2026-10-01T00:00:00Z,120.125,120.125,130,24,Hours,Tencent Cloud,Tencent Cloud,Tencent Cloud,ap-guangzhou,ins-1,vm1,Compute,CVM,SKU-A,e2e,E2E Co,\n\
         30.5,e2e,E2E Co,USD,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,Usage,,Storage,Usage-Based,2026-10-02T00:00:00Z,2026-10-01T00:00:00Z,30.5,30.5,31,100,GB,Tencent Cloud,Tencent Cloud,Tencent Cloud,ap-guangzhou,cos-1,bucket,Storage,COS,SKU-B,e2e,E2E Co,\n",
    )
    .unwrap();
    let before = ledger.overview(&["--account", "e2e"]);
    let driver = Driver::start();
    let path = file.display().to_string();
    let s = driver.open(&ledger, &["--pick", &path]);
    s.wait_for("[data-testid=\"available-balance\"]", WAIT);
    let october = |s: &Session| {
        s.execute(
            "return document.querySelector(\"[data-testid=trend-chart] tr[data-month='2026-10'] td .amount\").dataset.value",
            serde_json::json!([]),
        )
    };
    let shown_before = october(&s);
    // Settle imported bills: the prepaid account's purses pay the bill, as `import --settle`.
    s.click(&s.find("[data-testid=\"import-settle\"]"));
    s.click(&s.find("[data-testid=\"import-button\"]"));
    let report = s.wait_for("[data-testid=\"import-report\"]", WAIT);
    assert!(
        s.text(&report).contains("focus-2026-10.csv"),
        "{}",
        s.text(&report)
    );
    let notes = s.testid_texts("import-note");
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("settled 120.125 USD of 'e2e' 2026-10 CVM")),
        "{notes:?}"
    );
    let after = ledger.overview(&["--account", "e2e"]);
    let month = |o: &Value| {
        o["currencies"][0]["trend"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["month"] == "2026-10")
            .unwrap()["amount"]
            .clone()
    };
    assert_ne!(
        month(&before),
        month(&after),
        "the import changed the ledger's October"
    );
    let available = |o: &Value| o["currencies"][0]["balances"]["available"].clone();
    assert_ne!(
        available(&before),
        available(&after),
        "settling the bill moved the balance"
    );
    assert_eq!(shown_before, month(&before));
    let deadline = std::time::Instant::now() + WAIT;
    while october(&s) != month(&after) {
        assert!(
            std::time::Instant::now() < deadline,
            "October on screen did not follow the import"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_block_matches(&s, &after, 0);
}

/// A Huawei export whose header does not say its currency is refused with a choice of
/// currency; the one clicked imports it, as `billfold import --currency` would.
#[test]
fn a_file_without_its_currency_is_imported_in_the_currency_clicked() {
    let _one = serial();
    let ledger = Ledger::new("unmarked");
    let file = ledger.dir.join("huawei-unmarked.csv");
    std::fs::write(
        &file,
        "Billing Cycle,Account Name,Service Type,Amount Due,Cash Payment\n\
         2026-10,hw_intl01,Elastic Cloud Server,12.5,12.5\n\
         2026-10,hw_intl01,Object Storage Service,0.25,0.25\n",
    )
    .unwrap();
    let driver = Driver::start();
    let path = file.display().to_string();
    let s = driver.open(&ledger, &["--pick", &path]);
    s.wait_for("[data-testid=\"empty\"]", WAIT);
    s.click(&s.find("[data-testid=\"import-button\"]"));
    s.wait_for("[data-testid=\"import-read-as\"]", WAIT);
    let report = s.find("[data-testid=\"import-report\"]");
    assert!(
        s.text(&report).contains("does not say the currency"),
        "{}",
        s.text(&report)
    );
    s.click(&s.find("[data-testid=\"import-read-as\"][data-currency=\"USD\"]"));
    s.wait_until(
        // The progress of the import takes the report's place until it is done.
        "return !document.querySelector('[data-testid=import-read-as]') && \
         !!document.querySelector('[data-testid=import-report]')?.textContent.includes('2 lines imported')",
        serde_json::json!([]),
        WAIT,
    );
    let costs: Value =
        serde_json::from_str(&ledger.cli(&["costs", "--group-by", "account", "--json"])).unwrap();
    assert_eq!(costs["groups"][0]["account"], "hw_intl01", "{costs}");
    assert_eq!(costs["groups"][0]["currency"], "USD", "{costs}");
    assert_eq!(costs["groups"][0]["billed_cost"], "12.75", "{costs}");
}
