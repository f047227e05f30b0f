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
