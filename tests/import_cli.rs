//! The `billfold import` and `billfold costs` commands, through the built binary.

use std::path::Path;
use std::process::Command;

fn billfold(db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_billfold"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fixture(name: &str) -> String {
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn import_then_costs_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.sqlite");
    let (code, out, err) = billfold(
        &db,
        &[
            "import",
            &fixture("huawei.csv"),
            "--json",
            "--at",
            "2025-01-01",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["files"][0]["status"], "imported");
    assert_eq!(v["files"][0]["format"], "huawei");
    assert_eq!(v["files"][0]["rows"], 4);
    assert_eq!(v["files"][0]["slices"][0]["status"], "final");
    assert_eq!(v["files"][0]["accounts_created"][0], "hw_user01");

    let (code, out, err) = billfold(&db, &["costs", "--group-by", "month,service", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    let rds = groups
        .iter()
        .find(|g| g["service"] == "云数据库RDS")
        .unwrap();
    assert_eq!(rds["month"], "2020-08");
    assert_eq!(rds["currency"], "CNY");
    assert_eq!(rds["billed_cost"], "500");
    assert_eq!(rds["lines"], 2);
    let ecs = groups
        .iter()
        .find(|g| g["service"] == "弹性云服务器")
        .unwrap();
    assert_eq!(ecs["billed_cost"], "0.323456789012");
    assert_eq!(ecs["net_cost"], "0.303456789012");

    // Again: nothing added.
    let (code, out, _) = billfold(&db, &["import", &fixture("huawei.csv")]);
    assert_eq!(code, 0);
    assert!(out.contains("already imported"), "{out}");
}

#[test]
fn a_bad_file_exits_6_and_names_line_and_column_while_the_good_one_imports() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.sqlite");
    let bad = fixture("errors/bad_amount.csv");
    let (code, _, err) = billfold(&db, &["import", &bad, &fixture("focus-1.0.csv")]);
    assert_eq!(code, 6);
    assert!(
        err.contains("bad_amount.csv: not imported, nothing was written: 3 bad values"),
        "{err}"
    );
    assert!(err.contains("line 3, column BilledCost: '12,50'"), "{err}");
    assert!(
        err.contains("imported: focus-1.0.csv: imported 3 lines as focus-1.0"),
        "{err}"
    );
    let (code, out, _) = billfold(&db, &["costs", "--group-by", "account", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["groups"][0]["account"], "ms-billing-01");
    assert_eq!(v["groups"][0]["billed_cost"], "13.15");
}

/// With `--json`, a command where one file fails still reports the files it imported (on
/// stdout, with the failures), and exits 6 with the failure on stderr.
#[test]
fn with_json_a_failed_file_is_reported_beside_the_imported_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.sqlite");
    let bad = fixture("errors/bad_amount.csv");
    let good = fixture("focus-1.0.csv");
    let (code, out, err) = billfold(&db, &["import", &good, &bad, "--json"]);
    assert_eq!(code, 6);
    assert!(err.contains("line 3, column BilledCost: '12,50'"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["files"].as_array().unwrap().len(), 1);
    assert_eq!(v["files"][0]["file"], "focus-1.0.csv");
    assert_eq!(v["files"][0]["status"], "imported");
    assert_eq!(v["failed"][0]["file"], "bad_amount.csv");
    assert_eq!(v["failed"][0]["path"], bad.as_str());
    assert_eq!(v["failed"][0]["code"], "import");
    let message = v["failed"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("line 3, column BilledCost: '12,50'"),
        "{message}"
    );
    // All good: the same shape, nothing failed, exit 0.
    let (code, out, err) = billfold(&db, &["import", &good, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["files"][0]["status"], "already_imported");
    assert_eq!(v["failed"], serde_json::json!([]));
}

#[test]
fn bad_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.sqlite");
    let (code, _, err) = billfold(&db, &["costs", "--group-by", "colour"]);
    assert_ne!(code, 0);
    assert!(err.contains("not a grouping"), "{err}");
    let (code, _, err) = billfold(&db, &["costs", "--from", "2024-9"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a month"), "{err}");
    let (code, _, err) = billfold(
        &db,
        &["import", &fixture("huawei-en.csv"), "--currency", "dollar"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("'DOLLAR' is not a currency code"), "{err}");
}

#[test]
fn currency_names_what_an_unmarked_export_is_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.sqlite");
    let text = std::fs::read_to_string(fixture("huawei-en.csv"))
        .unwrap()
        .replace(" ($)", "");
    let file = dir.path().join("unmarked.csv");
    std::fs::write(&file, text).unwrap();
    let file = file.display().to_string();
    let (code, _, err) = billfold(&db, &["import", &file]);
    assert_ne!(code, 0);
    assert!(err.contains("say it with --currency"), "{err}");
    let (code, _, err) = billfold(&db, &["import", &file, "--currency", "usd"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = billfold(&db, &["costs", "--group-by", "account", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["groups"][0]["currency"], "USD", "{out}");
}

#[test]
fn settle_prints_what_each_purse_paid() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.sqlite");
    let d = |args: &[&str]| {
        let (code, out, err) = billfold(&db, args);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    };
    d(&[
        "account",
        "add",
        "hw_user01",
        "--provider",
        "Huawei Cloud",
        "--currency",
        "CNY",
        "--mode",
        "prepaid",
        "--at",
        "2020-01-01",
    ]);
    d(&["topup", "hw_user01", "2000", "--at", "2020-01-02"]);
    d(&[
        "voucher",
        "add",
        "hw_user01",
        "1",
        "--kind",
        "regular",
        "--expires",
        "2030-01-01",
        "--at",
        "2020-01-02",
    ]);
    d(&["coupon", "add", "hw_user01", "1", "--at", "2020-01-02"]);
    d(&[
        "card",
        "buy",
        "hw_user01",
        "100",
        "--expires",
        "2030-01-01",
        "--at",
        "2020-01-02",
    ]);
    let out = d(&[
        "import",
        &fixture("huawei.csv"),
        "--settle",
        "--at",
        "2025-01-01",
    ]);
    assert!(out.contains("as the provider split it"), "{out}");
    assert!(
        out.contains("settled 500 CNY of 'hw_user01' 2020-08 云数据库RDS as the provider split it (cash 400, arrears 100)"),
        "{out}"
    );
    let out = d(&[
        "overview",
        "--account",
        "hw_user01",
        "--json",
        "--at",
        "2025-01-02",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // The purchase line left 100 owed (欠费金额), a usage line 0.1 on the credit line: arrears.
    assert_eq!(v["currencies"][0]["balances"]["arrears"], "100.1");
}

/// A file of many slices (a year of 40 accounts) is told in short on the terminal, and in full
/// in `--json`.
#[test]
fn a_file_of_many_slices_is_summed_up_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("year.csv");
    let mut text = String::from(
        "BilledCost,EffectiveCost,BillingAccountId,BillingCurrency,BillingPeriodStart,ChargeCategory,ProviderName,ServiceName\n",
    );
    for a in 0..40 {
        for m in 1..=12 {
            text.push_str(&format!(
                "1.5,1.5,{},USD,2025-{m:02}-01T00:00:00Z,Usage,AWS,Amazon EC2\n",
                100_000_000_000u64 + a
            ));
        }
    }
    std::fs::write(&file, text).unwrap();
    let db = dir.path().join("l.sqlite");
    let path = file.display().to_string();
    let (code, out, err) = billfold(&db, &["import", &path, "--at", "2026-01-15"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim_end(),
        "year.csv: imported 480 lines as focus-1.0: 480 slices: 40 accounts of AWS, 2025-01 to \
         2025-12, 480 final and 0 provisional (each: --json); 40 new accounts: 100000000000, \
         100000000001, 100000000002, 100000000003, 100000000004, 100000000005, 100000000006, … \
         100000000039"
    );
    let other = dir.path().join("m.sqlite");
    let (_, out, _) = billfold(&other, &["import", &path, "--json", "--at", "2026-01-15"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["files"][0]["slices"].as_array().unwrap().len(), 480);
}
