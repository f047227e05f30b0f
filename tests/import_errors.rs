//! The error catalogue: one small bad file per kind of error, and its pinned message
//! (tests/fixtures/import/errors/<kind>.csv and <kind>.expected). A file with any bad value
//! imports nothing. A file with a `<kind>.currency` beside it is imported as with `--currency`
//! and the code in that file. Regenerate the messages with `BLESS=1 cargo test --test import_errors`
//! after a deliberate change, and review the diff.

use std::path::{Path, PathBuf};

use billfold::import::{self, Format, Options};
use billfold::money::Currency;
use billfold::{store, time, ErrorCode};

fn dir() -> PathBuf {
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import/errors")
}

fn opts() -> Options {
    Options {
        format: Format::Auto,
        at: time::parse("2025-06-01T00:00:00Z").unwrap(),
        progress: false,
        settle: false,
        currency: None,
        expect_sha256: None,
    }
}

fn count(conn: &rusqlite::Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn every_bad_file_is_refused_with_its_pinned_message_and_writes_nothing() {
    let bless = std::env::var_os("BLESS").is_some();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "csv" || e == "zip" || e == "xls")
        })
        .collect();
    files.sort();
    assert!(files.len() >= 15, "the catalogue has {} files", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let mut conn = store::open_in_memory().unwrap();
        let mut o = opts();
        if let Ok(code) = std::fs::read_to_string(file.with_extension("currency")) {
            o.currency = Some(Currency::parse(code.trim()).unwrap());
        }
        let err = match import::import_file(&mut conn, file, &o) {
            Ok(r) => {
                failures.push(format!("{}: imported ({} rows)", file.display(), r.rows));
                continue;
            }
            Err(e) => e,
        };
        // The one refusal a currency named would lift has its own code (the desktop offers
        // the choice on it).
        let code = if file.to_string_lossy().ends_with("_no_currency.csv") {
            ErrorCode::CurrencyUnstated
        } else {
            ErrorCode::Import
        };
        assert_eq!(err.code, code, "{}: {}", file.display(), err.message);
        for table in [
            "cost_lines",
            "cost_rollups",
            "imports",
            "import_slices",
            "accounts",
        ] {
            assert_eq!(
                count(&conn, table),
                0,
                "{}: {table} written",
                file.display()
            );
        }
        let expected = file.with_extension("expected");
        if bless {
            std::fs::write(&expected, format!("{}\n", err.message)).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&expected)
            .unwrap_or_else(|_| panic!("{} has no .expected file", file.display()));
        if want.trim_end() != err.message {
            failures.push(format!(
                "{}:\n--- expected\n{}\n--- got\n{}",
                file.display(),
                want.trim_end(),
                err.message
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_forced_format_that_does_not_match_names_the_missing_columns() {
    let mut conn = store::open_in_memory().unwrap();
    let mut o = opts();
    o.format = Format::Huawei;
    let file =
        Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/import/focus-1.0.csv");
    let err = import::import_file(&mut conn, &file, &o).unwrap_err();
    assert_eq!(err.code, ErrorCode::Import);
    assert!(
        err.message
            .contains("the header has no 账期 (Billing Cycle), no 账号 (Account Name)"),
        "{}",
        err.message
    );
}
