//! The ledger file: one SQLite database in WAL mode with foreign keys on, its schema brought up
//! to date by embedded, append-only migrations (tracked in `PRAGMA user_version`).
//!
//! The file holds sensitive data, so it is created readable and writable by its owner only.

pub mod amount_key;
pub mod labels;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::error::{Error, ErrorCode, Result};

/// Embedded migrations, in order. Append only: a released migration is never edited.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_ledger.sql"),
    include_str!("migrations/0002_imports.sql"),
    include_str!("migrations/0003_review.sql"),
    include_str!("migrations/0004_book_balances.sql"),
    include_str!("migrations/0005_revenue_and_mark_amounts.sql"),
    include_str!("migrations/0006_resource_lists.sql"),
    include_str!("migrations/0007_physical_source_lines.sql"),
    include_str!("migrations/0008_settlement_named.sql"),
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The per-user ledger file the desktop app and the CLI share when no path is given:
/// `<data dir>/app.billfold.desktop/ledger.sqlite` (on Linux `~/.local/share/...`), the
/// directory Tauri gives the app for the identifier `app.billfold.desktop`.
pub fn default_path() -> Result<PathBuf> {
    let base = dirs::data_dir().ok_or_else(|| {
        Error::new(
            ErrorCode::Storage,
            "no per-user data directory is known here: pass --db PATH or set BILLFOLD_DB",
        )
    })?;
    Ok(base.join("app.billfold.desktop").join("ledger.sqlite"))
}

/// Opens (creating if needed) the ledger at `path` and migrates it to this binary's schema.
pub fn open(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    create_owner_only(path)?;
    let mut conn = Connection::open(path)?;
    configure(&conn)?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// A private in-memory ledger, for tests and benchmarks.
pub fn open_in_memory() -> Result<Connection> {
    let mut conn = Connection::open_in_memory()?;
    configure(&conn)?;
    migrate(&mut conn)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(())
}

#[cfg(unix)]
fn create_owner_only(path: &Path) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if !path.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
    }
    // An older file may have been created with a looser mode: tighten it.
    let mut perms = std::fs::metadata(path)?.permissions();
    if perms.mode() & 0o077 != 0 {
        perms.set_mode(0o600);
        std::fs::set_permissions(path, perms)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn create_owner_only(_path: &Path) -> Result<()> {
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(Error::new(
            ErrorCode::LedgerTooNew,
            format!(
                "this ledger was written by a newer Billfold (schema {current}, this one knows \
                 up to {SCHEMA_VERSION}); update Billfold to open it, the file was not changed"
            ),
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        if i + 1 == 4 {
            // Schema 4 adds the running balances: fill them from the postings, exactly, in Rust.
            crate::ledger::journal::rebuild_balances(&tx)?;
        }
        if i + 1 == 7 {
            // Schema 7 numbers imported lines by their physical lines: read back from the
            // imported files' own bytes, in Rust.
            crate::import::renumber::renumber_source_lines(&tx)?;
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_ledger_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        drop(open(&path).unwrap());
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = open(&path).unwrap_err();
        assert_eq!(err.code, ErrorCode::LedgerTooNew);
        assert!(err.message.contains("newer Billfold"), "{}", err.message);
        // Left alone: not migrated, not rewritten, still the newer version.
        assert_eq!(std::fs::read(&path).unwrap(), before);
        let c = Connection::open(&path).unwrap();
        let v: i64 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION + 1);
    }

    #[cfg(unix)]
    #[test]
    fn the_ledger_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        drop(open(&path).unwrap());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    /// Writes a ledger of schema `version` at `path` as an older Billfold would have (its
    /// migrations only), with `fill`'s rows; foreign keys checked or not.
    fn older_ledger(
        path: &Path,
        version: usize,
        foreign_keys: bool,
        fill: impl FnOnce(&rusqlite::Transaction<'_>),
    ) {
        let mut c = Connection::open(path).unwrap();
        c.pragma_update(None, "foreign_keys", foreign_keys).unwrap();
        let tx = c.transaction().unwrap();
        for sql in &MIGRATIONS[..version] {
            tx.execute_batch(sql).unwrap();
        }
        tx.pragma_update(None, "user_version", version as i64)
            .unwrap();
        fill(&tx);
        tx.commit().unwrap();
    }

    /// A ledger of schema 4 (the first to be released) with a mark and a settled bill opens
    /// with this binary: the appended migration adds its columns, the old rows read as before.
    #[test]
    fn a_ledger_of_schema_4_is_upgraded_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        older_ledger(&path, 4, true, |tx| {
            tx.execute(
                "INSERT INTO annotations (target, key, account_id, month, service, status, at)
                 VALUES ('service', 'service|a|2026-10|CVM', 'a', '2026-10', 'CVM', 'reviewed',
                         '2026-11-01T00:00:00Z')",
                [],
            )
            .unwrap();
        });
        let c = open(&path).unwrap();
        let v: i64 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let marks = crate::review::annotations::list(&c, None).unwrap();
        assert_eq!(marks.len(), 1);
        assert_eq!(
            (marks[0].billed_when_marked, marks[0].orphaned),
            (None, true)
        );
        let revenue: String = c
            .query_row(
                "SELECT dflt_value FROM pragma_table_info('bill_settlements') WHERE name = 'revenue'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(revenue, "'0'");
    }

    /// A ledger of schema 5 keeps its resource index: each resource's entries become one list
    /// per (resource, month, account, import), and a deleted line still takes its list along.
    #[test]
    fn a_ledger_of_schema_5_gets_its_resource_entries_as_lists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        // The lines point at no labels or accounts: foreign keys off.
        older_ledger(&path, 5, false, |tx| {
            for (id, import, resource, month) in [
                (1, Some(7), 50, "2026-01"),
                (2, Some(7), 50, "2026-01"),
                (3, Some(7), 51, "2026-01"),
                (4, Some(8), 50, "2026-02"),
                (5, None, 50, "2026-01"),
                (6, None, 50, "2026-01"),
            ] {
                tx.execute(
                    "INSERT INTO cost_lines (id, import_id, source, source_line, account_id,
                         month, service, currency, billed_cost, effective_cost, provider,
                         category, resource)
                     VALUES (?1, ?2, 1, ?1, 'a', ?3, 2, 'CNY', x'00', x'00', 3, 4, ?4)",
                    rusqlite::params![id, import, month, resource],
                )
                .unwrap();
                tx.execute(
                    "INSERT INTO cost_lines_resource VALUES (?1, ?2, 'a', ?3)",
                    rusqlite::params![resource, month, id],
                )
                .unwrap();
            }
        });
        let c = open(&path).unwrap();
        let lists = |c: &Connection| -> Vec<(i64, String, Option<i64>, String)> {
            let mut stmt = c
                .prepare(
                    "SELECT resource, month, import_id, json(ids) FROM cost_lines_resource_lists
                     ORDER BY resource, month, import_id, json(ids)",
                )
                .unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        let l = |r: i64, m: &str, i: Option<i64>, ids: &str| (r, m.to_string(), i, ids.to_string());
        assert_eq!(
            lists(&c),
            vec![
                l(50, "2026-01", None, "[5]"),
                l(50, "2026-01", None, "[6]"),
                l(50, "2026-01", Some(7), "[1,2]"),
                l(50, "2026-02", Some(8), "[4]"),
                l(51, "2026-01", Some(7), "[3]"),
            ]
        );
        // Deleting import 7's slice takes its lists; Billfold's own line keeps its own.
        c.execute("DELETE FROM cost_lines WHERE import_id = 7", [])
            .unwrap();
        assert_eq!(
            lists(&c),
            vec![
                l(50, "2026-01", None, "[5]"),
                l(50, "2026-01", None, "[6]"),
                l(50, "2026-02", Some(8), "[4]")
            ]
        );
        // Billfold's own lines were listed one per list: a deleted one takes only its own.
        c.execute("DELETE FROM cost_lines WHERE id = 5", [])
            .unwrap();
        assert_eq!(
            lists(&c),
            vec![
                l(50, "2026-01", None, "[6]"),
                l(50, "2026-02", Some(8), "[4]")
            ]
        );
    }

    #[test]
    fn migrations_are_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        drop(open(&path).unwrap());
        let c = open(&path).unwrap();
        let v: i64 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }
}
