//! A small WebDriver client and the fixtures the end-to-end tests share: the binaries, a
//! temp ledger prepared with the `billfold` CLI, a `tauri-driver` per test, and the en-US
//! formatting the tests expect on screen (written independently of the UI's formatter).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

/// The time every test runs at, so the app's figures and the CLI's are of the same instant.
pub const AT: &str = "2026-11-23T09:00:00Z";

/// `billfold` arguments that add the tests' usual account: `e2e`, a prepaid USD Tencent Cloud
/// account opened on 2026-05-01.
pub const ADD_E2E_ACCOUNT: &[&str] = &[
    "account",
    "add",
    "e2e",
    "--provider",
    "Tencent Cloud",
    "--currency",
    "USD",
    "--mode",
    "prepaid",
    "--name",
    "E2E Co",
    "--at",
    "2026-05-01",
];

/// One window at a time: the tests share the X display and WebKitWebDriver.
static SERIAL: Mutex<()> = Mutex::new(());

pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("..")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

fn binary(name: &str) -> PathBuf {
    let p = target_dir().join("release").join(name);
    assert!(
        p.exists(),
        "{} is missing: `make test-e2e` builds it (npm run build, then cargo build --release)",
        p.display()
    );
    p
}

pub fn app_binary() -> PathBuf {
    binary("billfold-desktop")
}

/// A ledger file in a fresh temp directory, removed when dropped.
pub struct Ledger {
    pub dir: PathBuf,
    pub db: PathBuf,
    keep: bool,
}

impl Ledger {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "billfold-e2e-{name}-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("ledger.sqlite");
        Ledger {
            dir,
            db,
            keep: false,
        }
    }

    /// A ledger file that exists already, left as it is.
    pub fn existing(db: PathBuf) -> Self {
        Ledger {
            dir: db.parent().unwrap().to_path_buf(),
            db,
            keep: true,
        }
    }

    /// Runs the `billfold` CLI on this ledger; panics with its stderr when it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(binary("billfold"))
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "billfold {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs the CLI expecting a refusal; answers its stderr.
    pub fn cli_refused(&self, args: &[&str]) -> String {
        let out = Command::new(binary("billfold"))
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "billfold {args:?} should have been refused"
        );
        String::from_utf8(out.stderr).unwrap()
    }

    /// `billfold overview ... --at AT --json`, parsed.
    pub fn overview(&self, scope: &[&str]) -> Value {
        let mut args = vec!["overview"];
        args.extend_from_slice(scope);
        args.extend_from_slice(&["--at", AT, "--json"]);
        serde_json::from_str(&self.cli(&args)).unwrap()
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `tauri-driver` (which starts WebKitWebDriver) for one test.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Driver {
    pub fn start() -> Self {
        let port = free_port();
        let native = free_port();
        let exe = std::env::var_os("TAURI_DRIVER").unwrap_or_else(|| "tauri-driver".into());
        let child = Command::new(&exe)
            .arg("--port")
            .arg(port.to_string())
            .arg("--native-port")
            .arg(native.to_string())
            // Deterministic formatting: WebKit reports this as "C", which the UI reads as en-US.
            .env("LANG", "C.UTF-8")
            .env("LC_ALL", "C.UTF-8")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {exe:?} ({e}): `make setup` installs it"));
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if ureq::get(&format!("{url}/status")).call().is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "tauri-driver did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, url }
    }

    /// Opens the app on `ledger` with extra arguments; answers the session and how long it
    /// took from the request until the window's first overview (or state) was painted.
    pub fn open(&self, ledger: &Ledger, extra: &[&str]) -> Session {
        let mut args = vec![
            "--db".to_string(),
            ledger.db.display().to_string(),
            "--at".to_string(),
            AT.to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "tauri:options": { "application": app_binary(), "args": args }
                }
            }
        });
        let started = Instant::now();
        let requested_ms = epoch_ms();
        let v = request("POST", &format!("{}/session", self.url), Some(caps))
            .unwrap_or_else(|e| panic!("new session failed: {e}"));
        let id = v["sessionId"].as_str().expect("a session id").to_string();
        let s = Session {
            base: format!("{}/session/{id}", self.url),
            started,
            requested_ms,
            answered_ms: epoch_ms(),
        };
        s.wait_for("body[data-painted]", Duration::from_secs(30));
        s
    }

    /// The same binary with `--blank`: a window with an empty page (the memory baseline),
    /// with extra arguments.
    pub fn open_blank(&self, ledger: &Ledger, extra: &[&str]) -> Session {
        let mut args = vec![
            "--db".to_string(),
            ledger.db.display().to_string(),
            "--blank".to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "tauri:options": { "application": app_binary(), "args": args }
                }
            }
        });
        let started = Instant::now();
        let requested_ms = epoch_ms();
        let v = request("POST", &format!("{}/session", self.url), Some(caps))
            .unwrap_or_else(|e| panic!("new session failed: {e}"));
        let id = v["sessionId"].as_str().expect("a session id").to_string();
        Session {
            base: format!("{}/session/{id}", self.url),
            started,
            requested_ms,
            answered_ms: epoch_ms(),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: tauri-driver then stops the WebKitWebDriver it started.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request(method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
    let req = ureq::request(method, url).timeout(Duration::from_secs(60));
    let res = match body {
        Some(b) => req.send_json(b),
        None if method == "POST" => req.send_json(json!({})),
        None => req.call(),
    };
    match res {
        Ok(r) => {
            let v: Value = r.into_json().map_err(|e| e.to_string())?;
            Ok(v["value"].clone())
        }
        Err(ureq::Error::Status(code, r)) => Err(format!(
            "{method} {url}: {code} {}",
            r.into_string().unwrap_or_default()
        )),
        Err(e) => Err(format!("{method} {url}: {e}")),
    }
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Milliseconds since the Unix epoch (the clock of the app's start-up milestones and of the
/// page's `performance.timeOrigin`).
pub fn epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// One WebDriver session: one app window.
pub struct Session {
    base: String,
    pub started: Instant,
    /// When the new-session request was sent and answered (epoch ms).
    pub requested_ms: f64,
    pub answered_ms: f64,
}

impl Session {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        request(method, &format!("{}{path}", self.base), body)
    }

    /// Every element matching a CSS selector.
    pub fn find_all(&self, css: &str) -> Vec<String> {
        let v = self
            .call(
                "POST",
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .unwrap();
        v.as_array()
            .unwrap_or_else(|| panic!("find {css}: unexpected answer {v}"))
            .iter()
            .map(|e| {
                e[ELEMENT]
                    .as_str()
                    .or_else(|| e["ELEMENT"].as_str())
                    .unwrap_or_else(|| panic!("not an element reference: {e}"))
                    .to_string()
            })
            .collect()
    }

    pub fn find(&self, css: &str) -> String {
        let all = self.find_all(css);
        assert!(!all.is_empty(), "no element matches {css}");
        all[0].clone()
    }

    /// Waits until an element matches; answers it.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.find_all(css).into_iter().next() {
                return e;
            }
            assert!(
                Instant::now() < deadline,
                "nothing matched {css} within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn text(&self, el: &str) -> String {
        self.call("GET", &format!("/element/{el}/text"), None)
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn attr(&self, el: &str, name: &str) -> Option<String> {
        self.call("GET", &format!("/element/{el}/attribute/{name}"), None)
            .unwrap()
            .as_str()
            .map(str::to_string)
    }

    pub fn click(&self, el: &str) {
        self.call("POST", &format!("/element/{el}/click"), None)
            .unwrap();
    }

    pub fn clear(&self, el: &str) {
        self.call("POST", &format!("/element/{el}/clear"), None)
            .unwrap();
    }

    pub fn type_text(&self, el: &str, text: &str) {
        self.call(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({"text": text})),
        )
        .unwrap();
    }

    /// Runs a script in the page; answers its return value.
    pub fn execute(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .unwrap()
    }

    /// The text of the first element with this `data-testid` (read in one script, so a
    /// re-render between finding and reading cannot make it stale).
    pub fn testid_text(&self, id: &str) -> String {
        let texts = self.testid_texts(id);
        assert!(!texts.is_empty(), "no element has data-testid={id}");
        texts[0].clone()
    }

    pub fn testid_texts(&self, id: &str) -> Vec<String> {
        let v = self.execute(
            "return [...document.querySelectorAll(`[data-testid=\"${arguments[0]}\"]`)].map(e => e.textContent)",
            json!([id]),
        );
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// A real pointer click (W3C actions) at a point of the viewport, in CSS pixels: what a
    /// user's click on a canvas does, where there is no element to click.
    pub fn click_at(&self, x: i64, y: i64) {
        let mouse = json!({
            "type": "pointer",
            "id": "mouse",
            "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "duration": 0, "origin": "viewport", "x": x, "y": y},
                {"type": "pointerDown", "button": 0},
                {"type": "pointerUp", "button": 0},
            ],
        });
        self.call("POST", "/actions", Some(json!({"actions": [mouse]})))
            .unwrap();
        let _ = self.call("DELETE", "/actions", None);
    }

    /// Waits until a script answers something other than null/false/""; answers it.
    pub fn wait_until(&self, script: &str, args: Value, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.execute(script, args.clone());
            let done = !(v.is_null() || v == json!(false) || v == json!(""));
            if done {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "still not true after {timeout:?}: {script}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Chooses an option of a `<select>` as a user does (value, then a change event).
    pub fn select(&self, css: &str, value: &str) {
        let ok = self.execute(
            "const s = document.querySelector(arguments[0]); if (!s) return false;\
             s.value = arguments[1]; s.dispatchEvent(new Event('change', {bubbles: true})); return s.value === arguments[1];",
            json!([css, value]),
        );
        assert_eq!(ok, json!(true), "cannot choose {value:?} in {css}");
    }

    /// A PNG of the window's content.
    pub fn screenshot(&self, path: &Path) {
        let v = self.call("GET", "/screenshot", None).unwrap();
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = request("DELETE", &self.base, None);
    }
}

/// What the overview should show for an exact decimal in en-US: rounded half away from zero
/// to `digits`, grouped by thousands, a minus sign (U+2212) when below zero.
pub fn en_us(amount: &str, digits: usize) -> String {
    let (neg, body) = match amount.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, amount),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let mut digits_all: Vec<u8> = int
        .bytes()
        .chain(frac.bytes().chain(std::iter::repeat(b'0')).take(digits))
        .map(|b| b - b'0')
        .collect();
    if frac.len() > digits && frac.as_bytes()[digits] >= b'5' {
        let mut i = digits_all.len();
        loop {
            if i == 0 {
                digits_all.insert(0, 1);
                break;
            }
            i -= 1;
            if digits_all[i] == 9 {
                digits_all[i] = 0;
            } else {
                digits_all[i] += 1;
                break;
            }
        }
    }
    let split = digits_all.len() - digits;
    let int_digits: String = digits_all[..split]
        .iter()
        .map(|d| (d + b'0') as char)
        .collect();
    let int_digits = int_digits.trim_start_matches('0');
    let int_digits = if int_digits.is_empty() {
        "0"
    } else {
        int_digits
    };
    let frac_digits: String = digits_all[split..]
        .iter()
        .map(|d| (d + b'0') as char)
        .collect();
    let mut grouped = String::new();
    for (i, c) in int_digits.chars().enumerate() {
        if i > 0 && (int_digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let zero = int_digits == "0" && frac_digits.bytes().all(|b| b == b'0');
    let sign = if neg && !zero { "\u{2212}" } else { "" };
    if digits == 0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac_digits}")
    }
}

#[cfg(test)]
mod tests {
    use super::en_us;

    #[test]
    fn en_us_formatting() {
        assert_eq!(en_us("1234567.891", 2), "1,234,567.89");
        assert_eq!(en_us("0.125", 2), "0.13");
        assert_eq!(en_us("-999.995", 2), "\u{2212}1,000.00");
        assert_eq!(en_us("-0.001", 2), "0.00");
        assert_eq!(en_us("5", 2), "5.00");
        assert_eq!(en_us("1234.5", 0), "1,235");
    }
}
