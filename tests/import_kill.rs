//! A `kill -9` in the middle of an import leaves the ledger with the earlier imports intact and
//! the interrupted one absent: the import is one SQLite transaction (bulk mode included).
//! Spawns the built `billfold` binary on a large generated FOCUS file and kills it mid-way.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use billfold::import::{self, Format, Options};
use billfold::{store, time};

fn snapshot(conn: &rusqlite::Connection) -> (i64, i64, i64, String) {
    let n = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let groups = billfold::costs::group_costs(
        conn,
        &Default::default(),
        &[
            billfold::costs::GroupBy::Account,
            billfold::costs::GroupBy::Month,
        ],
    )
    .unwrap();
    (
        n("SELECT COUNT(*) FROM cost_lines"),
        n("SELECT COUNT(*) FROM imports"),
        n("SELECT COUNT(*) FROM accounts"),
        serde_json::to_string(&groups).unwrap(),
    )
}

#[test]
fn kill_9_mid_import_leaves_earlier_imports_and_nothing_of_the_interrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let fixture =
        Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/import/tencent-cn.csv");
    let before = {
        let mut conn = store::open(&db).unwrap();
        let opts = Options {
            format: Format::Auto,
            at: time::parse("2025-01-01").unwrap(),
            progress: false,
            settle: false,
            currency: None,
            expect_sha256: None,
        };
        import::import_file(&mut conn, &fixture, &opts).unwrap();
        snapshot(&conn)
    };
    assert_eq!(before.0, 4);

    // A file large enough to take seconds (and to use bulk mode: over 64 MB).
    let big = dir.path().join("big-focus.csv");
    billfold::bench::generate::generate_focus_12(std::fs::File::create(&big).unwrap(), 150_000)
        .unwrap();
    let start_size = std::fs::metadata(&db).unwrap().len();

    let mut child = Command::new(env!("CARGO_BIN_EXE_billfold"))
        .arg("--db")
        .arg(&db)
        .arg("import")
        .arg(&big)
        .arg("--json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the billfold binary runs");
    // Wait until the import is writing: the ledger (or its WAL) has grown by 8 MB.
    let deadline = Instant::now() + Duration::from_secs(120);
    let grown = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import finished before it could be killed: make the file larger"
        );
        let wal = dir.path().join("ledger.sqlite-wal");
        if grown(&db) > start_size + (8 << 20) || grown(&wal) > 8 << 20 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the import never started writing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());

    let conn = store::open(&db).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    assert_eq!(
        snapshot(&conn),
        before,
        "the earlier import is intact, nothing else is there"
    );
    assert!(billfold::accounts::get_account(&conn, "111122223333").is_err());
    // The ledger is usable afterwards (back in WAL mode).
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}
