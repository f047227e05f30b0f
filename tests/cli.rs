//! The `billfold` command line as a user runs it: the contract's names, its JSON, its refusals.

use std::path::Path;
use std::process::{Command, Output};

fn billfold(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_billfold"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("billfold runs")
}

fn ok(db: &Path, args: &[&str]) -> String {
    let out = billfold(db, args);
    assert!(
        out.status.success(),
        "billfold {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn prepared() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    ok(&db, &["org", "add", "acme", "--mode", "self-pay"]);
    ok(
        &db,
        &[
            "account",
            "add",
            "hq",
            "--provider",
            "Tencent Cloud",
            "--currency",
            "USD",
            "--mode",
            "prepaid",
            "--org",
            "acme",
            "--role",
            "admin",
            "--at",
            "2026-11-01",
        ],
    );
    ok(
        &db,
        &["topup", "hq", "100.10", "--at", "2026-11-02", "--id", "t1"],
    );
    ok(&db, &["grant", "hq", "20", "--at", "2026-11-02"]);
    ok(
        &db,
        &[
            "charge",
            "hq",
            "30.25",
            "--product",
            "CVM",
            "--at",
            "2026-11-03",
        ],
    );
    (dir, db)
}

/// Every refused operation exits non-zero, says one sentence naming what was wrong, and leaves
/// the ledger file byte-for-byte as it was.
#[test]
fn refused_operations_change_nothing() {
    let (_dir, db) = prepared();
    let before = std::fs::read(&db).unwrap();
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["withdraw", "hq", "90", "--at", "2026-11-04"],
            3,
            "withdrawable",
        ),
        (
            &["card", "buy", "hq", "150", "--at", "2026-11-04"],
            3,
            "multiples of 100",
        ),
        (
            &["topup", "nobody", "5", "--at", "2026-11-04"],
            4,
            "no account 'nobody'",
        ),
        (&["topup", "hq", "12,50"], 2, "not an amount"),
        (&["topup", "hq", "-5"], 2, "more than zero"),
        (&["topup", "hq", "5", "--at", "yesterday"], 2, "not a time"),
        (
            &["topup", "hq", "7", "--at", "2026-11-04", "--id", "t1"],
            5,
            "already used",
        ),
        (
            &[
                "charge",
                "hq",
                "1",
                "--product",
                "CVM",
                "--at",
                "2026-10-01",
            ],
            3,
            "cannot be dated earlier",
        ),
        (&["hold", "void", "nope"], 4, "no hold"),
    ];
    for (args, code, words) in cases {
        let out = billfold(&db, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {err}");
        assert!(err.contains(words), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
        assert_eq!(
            std::fs::read(&db).unwrap(),
            before,
            "{args:?} changed the file"
        );
    }
}

#[test]
fn overview_json_follows_the_contract() {
    let (_dir, db) = prepared();
    let out = ok(
        &db,
        &["overview", "--org", "acme", "--at", "2026-11-23", "--json"],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["as_of"], "2026-11-23T00:00:00Z");
    let c = &v["currencies"][0];
    assert_eq!(c["currency"], "USD");
    for key in [
        "available",
        "cash",
        "complimentary",
        "revenue",
        "vouchers",
        "prepaid_cards",
        "frozen",
        "arrears",
        "withdrawable",
    ] {
        assert!(
            c["balances"][key].is_string(),
            "{key} must be a decimal string"
        );
    }
    // 100.10 + 20 credit − 30.25 (20 from credit, 10.25 from cash) = 89.85, all cash.
    assert_eq!(c["balances"]["available"], "89.85");
    assert_eq!(c["balances"]["cash"], "89.85");
    assert_eq!(c["balances"]["complimentary"], "0");
    assert_eq!(c["invoiceable"], "10.25");
    assert!(c["unpaid_orders"]["count"].is_u64() && c["unpaid_orders"]["amount"].is_string());
    assert!(c["cash_coupons"]["count"].is_u64() && c["cash_coupons"]["amount"].is_string());
    let trend = c["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 6);
    assert_eq!(trend[5]["month"], "2026-11");
    assert_eq!(trend[5]["amount"], "30.25");
    for key in ["due_30d", "expired", "frozen"] {
        assert!(v["renewals"][key].is_u64());
    }
    assert!(v["alerts"].is_array());
}

#[test]
fn the_journal_shows_every_posting() {
    let (_dir, db) = prepared();
    let out = ok(&db, &["journal", "--account", "hq", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let kinds: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["topup", "grant", "charge"]);
    let charge = &v[2]["postings"];
    let amounts: Vec<&str> = charge
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["30.25", "-20", "-10.25"]);
}

#[test]
fn the_ledger_file_is_owner_only_and_the_env_variable_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("env.sqlite");
    let out = Command::new(env!("CARGO_BIN_EXE_billfold"))
        .env("BILLFOLD_DB", &db)
        .args(["org", "add", "x", "--mode", "unified"])
        .output()
        .unwrap();
    assert!(out.status.success());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[test]
fn the_demo_ledger_opens_with_figures_and_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    ok(&db, &["demo", "--at", "2026-11-23T09:00:00Z"]);
    let out = ok(&db, &["overview", "--at", "2026-11-23T09:00:00Z", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let blocks = v["currencies"].as_array().unwrap();
    assert_eq!(blocks.len(), 2, "CNY and USD are shown apart");
    assert!(v["alerts"].as_array().unwrap().len() >= 3);
    // Every purse of the overview has something to show.
    let cny = &blocks.iter().find(|b| b["currency"] == "CNY").unwrap()["balances"];
    for purse in [
        "cash",
        "complimentary",
        "vouchers",
        "prepaid_cards",
        "frozen",
    ] {
        assert_ne!(cny[purse], "0", "{purse}");
    }
    let cny = blocks.iter().find(|b| b["currency"] == "CNY").unwrap();
    assert_ne!(cny["cash_coupons"]["count"], 0);
    assert!(blocks.iter().all(|b| b["trend"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["amount"] != "0")));
    let again = billfold(&db, &["demo"]);
    assert_eq!(
        again.status.code(),
        Some(3),
        "the demo never writes over a ledger"
    );
}

/// A range whose first month is after its last is refused, not answered with nothing.
#[test]
fn a_reversed_month_range_is_refused() {
    let (_dir, db) = prepared();
    for args in [
        &["lines", "--since", "2024-10", "--until", "2024-09"][..],
        &["costs", "--from", "2024-10", "--to", "2024-09"][..],
    ] {
        let out = billfold(&db, args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is after"), "{args:?}: {err}");
    }
}

/// `org list` lists each organization with its admin and members, as its help says.
#[test]
fn org_list_names_the_admin_and_members() {
    let (_dir, db) = prepared();
    ok(&db, &["org", "add", "empty", "--mode", "unified"]);
    let out = ok(&db, &["org", "list"]);
    assert_eq!(
        out.trim_end(),
        "acme\tself-pay\tadmin: hq; members: none\nempty\tunified\tadmin: none; members: none"
    );
}

/// `lines --raw ID` shows the original row as text (a column and its value per line), and as
/// JSON with `--json`.
#[test]
fn lines_raw_shows_the_original_row_as_text() {
    let (dir, db) = prepared();
    let file = dir.path().join("bill.csv");
    std::fs::write(
        &file,
        "BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,ChargeCategory,EffectiveCost,ProviderName,ServiceName,Id\n\
         \"1.50\",111111111111,USD,2024-09-01 00:00:00,Usage,1.5,AWS,Amazon EC2,x-1\n",
    )
    .unwrap();
    ok(&db, &["import", file.to_str().unwrap()]);
    // The ledger's own charge of `prepared` has no original row.
    let own = ok(&db, &["lines", "--account", "hq", "--json"]);
    let own: serde_json::Value = serde_json::from_str(&own).unwrap();
    let own = ok(&db, &["lines", "--raw", &own["lines"][0]["id"].to_string()]);
    assert!(own.trim_end().ends_with("it has no original row"), "{own}");
    let id = ok(&db, &["lines", "--account", "111111111111", "--json"]);
    let id: serde_json::Value = serde_json::from_str(&id).unwrap();
    let id = id["lines"][0]["id"].to_string();
    let text = ok(&db, &["lines", "--raw", &id]);
    assert!(text.starts_with("bill.csv:2\nBilledCost\t1.50\n"), "{text}");
    assert!(text.contains("\nId\tx-1"), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&db, &["lines", "--raw", &id, "--json"])).unwrap();
    assert_eq!(json["row"]["BilledCost"], "1.50");
}
