//! Importing bill files picked in the native dialog or dropped on the window. The web view
//! never sees a path it could choose: paths come from the dialog or the drop, both in Rust.
//! The import runs on its own connection (WAL lets the overview keep reading) and reports
//! progress as `import-progress` events.

use std::path::{Path, PathBuf};

use billfold::import::{self, Format, Options};
use billfold::money::Currency;
use billfold::ErrorCode;
use tauri::{AppHandle, Emitter};

use crate::dto::{self, CommandError};
use crate::Ledger;

pub const PROGRESS_EVENT: &str = "import-progress";
/// Sent when an import the UI did not start (a drop) has finished.
pub const FINISHED_EVENT: &str = "import-finished";

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// A file imported again after it was refused for want of a currency: the currency the user
/// chose, and the SHA-256 of the bytes refused (other bytes are refused).
pub struct Again {
    pub currency: Currency,
    pub sha256: String,
}

/// Imports each file all or nothing, in order; a refused file does not stop the others.
pub fn import_paths(
    app: &AppHandle,
    ledger: &Ledger,
    paths: &[PathBuf],
    again: Option<Again>,
) -> dto::ImportReport {
    let total = u32::try_from(paths.len()).unwrap_or(u32::MAX);
    let mut files = Vec::with_capacity(paths.len());
    // The import's own connection, and the user's choice of settling kept in the ledger (off
    // unless turned on); a ledger that cannot give them fails every file with the same error.
    let opened = billfold::store::open(&ledger.path)
        .and_then(|c| import::settles_imports(&c).map(|settle| (c, settle)));
    let (mut conn, settle) = match opened {
        Ok(x) => x,
        Err(e) => {
            let error: CommandError = e.into();
            return dto::ImportReport {
                files: paths.iter().map(|p| failed(p, error.clone())).collect(),
            };
        }
    };
    for (i, path) in paths.iter().enumerate() {
        let name = file_name(path);
        let index = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let progress = |rows: u32, per_mille: u32, done: bool| {
            let event = dto::ImportProgress {
                file: name.clone(),
                index,
                total,
                rows,
                per_mille,
                done,
            };
            // A window that is gone cannot show progress; the import goes on regardless.
            let _ = app.emit(PROGRESS_EVENT, event);
        };
        progress(0, 0, false);
        let opts = Options {
            format: Format::Auto,
            at: ledger.now(),
            progress: false,
            settle,
            currency: again.as_ref().map(|a| a.currency.clone()),
            expect_sha256: again.as_ref().map(|a| a.sha256.clone()),
        };
        let on_progress = |p: import::Progress| {
            let per_mille = (p.bytes_read.min(p.file_bytes) * 1000)
                .checked_div(p.file_bytes)
                .unwrap_or(0);
            progress(
                u32::try_from(p.lines).unwrap_or(u32::MAX),
                u32::try_from(per_mille).unwrap_or(1000),
                false,
            );
        };
        let file = match import::import_file_with_progress(&mut conn, path, &opts, &on_progress) {
            Ok(r) => dto::ImportedFile {
                notes: r.notes(),
                file: name.clone(),
                status: r.status,
                format: Some(r.format),
                rows: u32::try_from(r.rows).unwrap_or(u32::MAX),
                error: None,
                awaiting_currency: None,
            },
            // The bytes refused (the core hashed and read the same bytes) are remembered: the
            // currency chosen applies to them only (`Options::expect_sha256`).
            Err(import::ImportFailure {
                error,
                sha256: Some(sha),
            }) if error.code == ErrorCode::CurrencyUnstated => dto::ImportedFile {
                awaiting_currency: Some(ledger.await_currency(path, sha)),
                ..failed(path, error.into())
            },
            Err(refused) => failed(path, refused.error.into()),
        };
        progress(file.rows, 1000, true);
        files.push(file);
    }
    dto::ImportReport { files }
}

fn failed(path: &Path, error: CommandError) -> dto::ImportedFile {
    dto::ImportedFile {
        file: file_name(path),
        status: "failed".into(),
        format: None,
        rows: 0,
        error: Some(error),
        notes: Vec::new(),
        awaiting_currency: None,
    }
}
