//! Billfold's desktop shell: opens the window, holds the ledger connection, and exposes a few
//! thin commands over the `billfold` core. No money logic lives here.

mod commands;
mod convert;
pub mod dto;
mod import;

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use tauri::Manager;

use dto::CommandError;

/// The ledger the window shows: its path, and one connection the commands share.
pub struct Ledger {
    pub path: PathBuf,
    conn: Mutex<Connection>,
    /// A fixed "now" for tests (`BILLFOLD_AT`), so figures can be compared with
    /// `billfold overview --at`; the clock otherwise.
    fixed_now: Option<DateTime<Utc>>,
    /// Tests only (`--pick FILE`): the file the import dialog answers without opening, since
    /// a WebDriver cannot drive a native dialog.
    pub pick_override: Option<PathBuf>,
    /// Tests only (`--save-to PATH`): where the export's save dialog answers without opening
    /// (a directory: the suggested file name in it).
    pub save_override: Option<PathBuf>,
    /// Files refused because they do not say their amounts' currency, by the number the report
    /// gave them (`ImportedFile::awaiting_currency`), with the SHA-256 of the bytes refused:
    /// `import_in_currency` reads each once more. A taken number leaves `None`.
    awaiting_currency: Mutex<Vec<Option<(PathBuf, String)>>>,
}

impl Ledger {
    pub fn open(path: PathBuf, fixed_now: Option<DateTime<Utc>>) -> billfold::Result<Self> {
        let conn = billfold::store::open(&path)?;
        Ok(Ledger {
            path,
            conn: Mutex::new(conn),
            fixed_now,
            pick_override: None,
            save_override: None,
            awaiting_currency: Mutex::new(Vec::new()),
        })
    }

    /// Keeps a file refused for want of a currency, with the SHA-256 of the bytes that were
    /// refused; the number it is asked for by.
    pub fn await_currency(&self, path: &std::path::Path, sha256: String) -> u32 {
        let mut waiting = self.awaiting_currency();
        waiting.push(Some((path.to_path_buf(), sha256)));
        u32::try_from(waiting.len() - 1).unwrap_or(u32::MAX)
    }

    /// Takes the file kept under number `n` by [`Ledger::await_currency`], with the SHA-256 of
    /// the bytes refused (the import checks them: `Options::expect_sha256`). Each number is
    /// answered once.
    pub fn take_awaiting_currency(&self, n: u32) -> billfold::Result<(PathBuf, String)> {
        let mut waiting = self.awaiting_currency();
        usize::try_from(n)
            .ok()
            .and_then(|n| waiting.get_mut(n))
            .and_then(Option::take)
            .ok_or_else(|| {
                billfold::Error::new(
                    billfold::ErrorCode::NotFound,
                    format!("no refused file is waiting under the number {n}: import it again"),
                )
            })
    }

    /// The list of files awaiting a currency: a plain list, usable even after a command
    /// panicked while holding it.
    fn awaiting_currency(&self) -> MutexGuard<'_, Vec<Option<(PathBuf, String)>>> {
        self.awaiting_currency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    pub fn conn(&self) -> Result<MutexGuard<'_, Connection>, CommandError> {
        self.conn.lock().map_err(|_| {
            CommandError::internal(
                "an earlier command failed while holding the ledger; restart Billfold",
            )
        })
    }

    /// The time operations happen at: the core never reads the clock, the shell does.
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed_now.unwrap_or_else(Utc::now)
    }
}

/// Where the ledger is and what "now" is, from the command line or the environment:
/// `--db PATH` / `BILLFOLD_DB` (tests use temp files; default: the per-user ledger the CLI also
/// uses), `--at TIME` / `BILLFOLD_AT` (a fixed clock, for tests), `--demo-if-new` /
/// `BILLFOLD_DEMO_IF_NEW=1` (`make run`: fill a ledger that did not exist yet with the demo).
/// Unknown arguments are ignored (a WebDriver may add its own).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub db: Option<PathBuf>,
    pub at: Option<String>,
    pub demo_if_new: bool,
    pub pick: Option<PathBuf>,
    /// Tests only: the file (or directory) the export's save dialog answers.
    pub save_to: Option<PathBuf>,
    /// The UI's language and number format (`--locale zh-CN`); else the OS's LC_ALL,
    /// LC_MESSAGES or LANG.
    pub locale: Option<String>,
    /// Measurement only (`--blank`): the window shows a blank page instead of the UI, the
    /// baseline "empty Tauri window" the memory figure is compared with.
    pub blank: bool,
    /// `--gpu` / `BILLFOLD_GPU=1`: keep WebKitGTK's accelerated compositing (OpenGL), off by
    /// default (see `run`).
    pub gpu: bool,
}

impl Options {
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let mut o = Options {
            db: env("BILLFOLD_DB")
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
            at: env("BILLFOLD_AT").filter(|t| !t.is_empty()),
            demo_if_new: env("BILLFOLD_DEMO_IF_NEW").as_deref() == Some("1"),
            pick: None,
            save_to: None,
            blank: false,
            gpu: env("BILLFOLD_GPU").as_deref() == Some("1"),
            locale: ["LC_ALL", "LC_MESSAGES", "LANG"]
                .iter()
                .find_map(|k| env(k).filter(|v| !v.is_empty()))
                .and_then(|v| posix_to_bcp47(&v)),
        };
        let mut args = args.into_iter();
        while let Some(a) = args.next() {
            match a.as_str() {
                "--db" => o.db = args.next().map(PathBuf::from),
                "--at" => o.at = args.next(),
                "--demo-if-new" => o.demo_if_new = true,
                "--pick" => o.pick = args.next().map(PathBuf::from),
                "--save-to" => o.save_to = args.next().map(PathBuf::from),
                "--blank" => o.blank = true,
                "--gpu" => o.gpu = true,
                "--locale" => o.locale = args.next().and_then(|v| posix_to_bcp47(&v)),
                _ => {
                    if let Some(p) = a.strip_prefix("--db=") {
                        o.db = Some(PathBuf::from(p));
                    } else if let Some(t) = a.strip_prefix("--at=") {
                        o.at = Some(t.to_string());
                    }
                }
            }
        }
        o
    }
}

/// `zh_CN.UTF-8` → `zh-CN`; `C` and `POSIX` are no language. The web view's own
/// `navigator.language` is "C" when the C library lacks the locale, so the shell tells the UI.
fn posix_to_bcp47(v: &str) -> Option<String> {
    let tag = v.split(['.', '@']).next()?.replace('_', "-");
    let ok = !tag.is_empty()
        && tag != "C"
        && tag != "POSIX"
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    ok.then_some(tag)
}

/// Opens the ledger the options name, creating it (and the demo in it) when asked.
pub fn open_ledger(options: &Options) -> billfold::Result<Ledger> {
    let path = match &options.db {
        Some(p) => p.clone(),
        None => billfold::store::default_path()?,
    };
    let fixed_now = options
        .at
        .as_deref()
        .map(billfold::time::parse)
        .transpose()?;
    let is_new = !path.exists();
    let mut ledger = Ledger::open(path, fixed_now)?;
    ledger.pick_override = options.pick.clone();
    ledger.save_override = options.save_to.clone();
    if is_new && options.demo_if_new {
        let at = ledger.now();
        billfold::demo::populate(
            &mut *ledger
                .conn()
                .map_err(|e| billfold::Error::new(billfold::ErrorCode::Storage, e.message))?,
            at,
        )?;
    }
    Ok(ledger)
}

/// Milliseconds since the Unix epoch: the clock the web view's `performance.timeOrigin` uses,
/// so the app's start-up milestones and the page's can be put on one line.
fn epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// When this process was started (exec), in epoch milliseconds, to 10 ms (the kernel counts
/// a process's start in clock ticks since boot): now − (uptime − start ticks / 100).
#[cfg(target_os = "linux")]
fn process_start_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let after = &stat[stat.rfind(')')? + 2..];
    let ticks: f64 = after.split_whitespace().nth(19)?.parse().ok()?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(epoch_ms() - (uptime - ticks / 100.0) * 1000.0)
}

#[cfg(not(target_os = "linux"))]
fn process_start_ms() -> Option<f64> {
    None
}

/// `BILLFOLD_TRACE_STARTUP=1`: the shell prints its start-up milestones (ms since the
/// process's exec) on stderr, to see where the time goes with and without a WebDriver.
pub(crate) fn trace(what: &str) {
    static ON: std::sync::OnceLock<Option<f64>> = std::sync::OnceLock::new();
    if let Some(start) = ON
        .get_or_init(|| std::env::var_os("BILLFOLD_TRACE_STARTUP").and_then(|_| process_start_ms()))
    {
        eprintln!("billfold-desktop: {:>6.0} ms {what}", epoch_ms() - start);
    }
}

pub fn run() {
    let main_at = epoch_ms();
    trace("main");
    let options = Options::parse(std::env::args().skip(1), |k| std::env::var(k).ok());
    // WebKitGTK composites the page through OpenGL. Without a GPU (Xvfb, virtual machines,
    // remote desktops: Mesa's llvmpipe) that costs 60-120 MB more resident memory and shaders
    // compiled by LLVM before the first paint (docs/DESKTOP.md, "Measured"); the pages here
    // (figures, tables, one small chart) draw as well on the CPU. `--gpu` keeps WebKit's
    // default; a WEBKIT_DISABLE_COMPOSITING_MODE the user set is left as it is. Set before GTK
    // starts and before any thread exists.
    if !options.gpu && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    let ledger = match open_ledger(&options) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("billfold-desktop: {e}");
            std::process::exit(1);
        }
    };
    let blank = options.blank;
    // A JSON string literal: the tag was checked to be letters, digits and '-' only.
    let locale_script = options.locale.as_ref().map(|l| {
        format!(
            "window.__BILLFOLD_LOCALE__ = {};",
            serde_json::Value::from(l.as_str())
        )
    });
    trace("ledger open");
    tauri::Builder::default()
        .on_page_load(|_, payload| trace(&format!("page load {:?}", payload.event())))
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .setup(move |app| {
            trace("setup");
            app.manage(ledger);
            // The window is made here rather than from the config alone, so that `--blank`
            // can swap the UI for an empty page.
            let mut window = app
                .config()
                .app
                .windows
                .iter()
                .find(|w| w.label == "main")
                .cloned()
                .ok_or("tauri.conf.json has no main window")?;
            if blank {
                window.url = tauri::WebviewUrl::External("about:blank".parse()?);
            }
            // Start-up milestones for the measurement (epoch ms): the page adds its own.
            let startup = format!(
                "window.__BILLFOLD_STARTUP__ = {};",
                serde_json::json!({
                    "process": process_start_ms(),
                    "main": main_at,
                    "window": epoch_ms(),
                })
            );
            let mut builder = tauri::WebviewWindowBuilder::from_config(app.handle(), &window)?
                .initialization_script(&startup);
            if let Some(script) = &locale_script {
                builder = builder.initialization_script(script);
            }
            trace("building the window");
            builder.build()?;
            trace("window built");
            Ok(())
        })
        .on_window_event(|window, event| {
            // Files dropped on the window are imported in Rust: the web view gets no path.
            if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
                let app = window.app_handle().clone();
                let paths = paths.clone();
                std::thread::spawn(move || {
                    let ledger = app.state::<Ledger>();
                    let report = import::import_paths(&app, &ledger, &paths, None);
                    let _ = tauri::Emitter::emit(&app, import::FINISHED_EVENT, report);
                });
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::start,
            commands::overview,
            commands::set_balance_alert,
            commands::record_movement,
            commands::open_demo,
            commands::import_bills,
            commands::set_import_settle,
            commands::import_in_currency,
            commands::review_facets,
            commands::review_lines,
            commands::review_groups,
            commands::original_row,
            commands::review_diff,
            commands::review_mark,
            commands::review_marks,
            commands::reviewer,
            commands::set_reviewer,
            commands::reconciliation,
            commands::add_invoice,
            commands::add_assertion,
            commands::sign_off,
            commands::add_fx_rate,
            commands::fx_rates,
            commands::convert_amount,
            commands::export_review,
        ])
        .run(tauri::generate_context!())
        .expect("Billfold could not start its window");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file refused for want of a currency is answered once, with the hash of the bytes
    /// refused (the import refuses other bytes: `billfold::import::Options::expect_sha256`).
    #[test]
    fn a_file_awaiting_its_currency_is_answered_once() {
        let dir = std::env::temp_dir().join(format!("billfold-await-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ledger = Ledger::open(dir.join("ledger.sqlite"), None).unwrap();
        let file = dir.join("bill.csv");
        let n = ledger.await_currency(&file, "ab12".into());
        assert_eq!(
            ledger.take_awaiting_currency(n).unwrap(),
            (file.clone(), "ab12".to_string())
        );
        let again = ledger.take_awaiting_currency(n).unwrap_err();
        assert_eq!(again.code, billfold::ErrorCode::NotFound);
        let m = ledger.await_currency(&file, "cd34".into());
        assert_ne!(m, n);
        assert_eq!(ledger.take_awaiting_currency(m).unwrap().1, "cd34");
        assert!(ledger.take_awaiting_currency(99).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn options_from_args_override_the_environment() {
        let env = |k: &str| (k == "BILLFOLD_DB").then(|| "/env.sqlite".to_string());
        let o = Options::parse(["--at".into(), "2026-11-23".into()], env);
        assert_eq!(o.db, Some(PathBuf::from("/env.sqlite")));
        assert_eq!(o.at.as_deref(), Some("2026-11-23"));
        let o = Options::parse(
            [
                "--automation".into(),
                "--db=/arg.sqlite".into(),
                "--demo-if-new".into(),
                "--save-to".into(),
                "/tmp/out".into(),
            ],
            env,
        );
        assert_eq!(o.db, Some(PathBuf::from("/arg.sqlite")));
        assert!(o.demo_if_new);
        assert_eq!(o.save_to, Some(PathBuf::from("/tmp/out")));
        assert!(!o.gpu, "accelerated compositing is off unless asked for");
        let o = Options::parse(["--gpu".into()], |_| None);
        assert!(o.gpu);
        let o = Options::parse([], |k| (k == "BILLFOLD_GPU").then(|| "1".to_string()));
        assert!(o.gpu);
    }

    #[test]
    fn locale_from_posix_names() {
        assert_eq!(posix_to_bcp47("zh_CN.UTF-8").as_deref(), Some("zh-CN"));
        assert_eq!(posix_to_bcp47("de_DE@euro").as_deref(), Some("de-DE"));
        assert_eq!(posix_to_bcp47("C.UTF-8"), None);
        assert_eq!(posix_to_bcp47("POSIX"), None);
        assert_eq!(posix_to_bcp47("en\";alert(1)"), None);
    }
}
