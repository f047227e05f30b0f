//! Measures, on the release build under Xvfb: time to the painted overview, resident memory of
//! all the app's processes against the same binary showing a blank page (`--blank`, the empty
//! Tauri window), and the size of the overview's IPC payload. Prints the figures; asserts the
//! budgets of issue 4 loosely enough for a loaded 2-core CI machine.

use std::path::Path;
use std::time::{Duration, Instant};

use billfold_e2e::{app_binary, serial, Driver, Ledger};

/// Resident memory (kB) of the app process whose exe is `binary`, opened on `db`, and all its
/// descendants (WebKitWebProcess, WebKitNetworkProcess).
fn tree_rss_kb(binary: &Path, db: &Path) -> u64 {
    let mut procs = Vec::new(); // (pid, ppid, rss, is_app)
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(e.path().join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let is_app = std::fs::read_link(e.path().join("exe")).ok().as_deref() == Some(binary)
            && String::from_utf8_lossy(&cmdline).contains(&*db.to_string_lossy());
        procs.push((pid, field("PPid:") as u32, field("VmRSS:"), is_app));
    }
    let mut tree: Vec<u32> = procs.iter().filter(|p| p.3).map(|p| p.0).collect();
    assert_eq!(
        tree.len(),
        1,
        "exactly one app process should be running on this ledger"
    );
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(procs.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    procs
        .iter()
        .filter(|p| tree.contains(&p.0))
        .map(|p| p.2)
        .sum()
}

fn settled_rss(binary: &Path, db: &Path) -> u64 {
    std::thread::sleep(Duration::from_secs(2));
    tree_rss_kb(binary, db)
}

#[test]
fn startup_memory_and_payload() {
    let _one = serial();
    let app = app_binary().canonicalize().unwrap();
    let ledger = Ledger::new("perf");
    ledger.cli(&["demo", "--at", billfold_e2e::AT]);
    let driver = Driver::start();

    // The baseline: the same binary, an empty page.
    let blank = driver.open_blank(&ledger);
    let blank_rss = settled_rss(&app, &ledger.db);
    drop(blank);
    std::thread::sleep(Duration::from_secs(1));

    let t0 = Instant::now();
    let s = driver.open(&ledger, &[]);
    s.wait_for(
        "[data-testid=\"available-balance\"]",
        Duration::from_secs(30),
    );
    let to_figures = t0.elapsed();
    let painted_ms = s.execute(
        "return Number(document.body.dataset.painted)",
        serde_json::json!([]),
    );
    let rss = settled_rss(&app, &ledger.db);
    let payload = s.execute(
        "const scope = JSON.parse(JSON.stringify({kind: 'org', id: 'acme'}));\
         return window.__TAURI_INTERNALS__.invoke('overview', {scope}).then(o => JSON.stringify(o).length);",
        serde_json::json!([]),
    );
    // The Bills page's commands on the same ledger, every month of the organization.
    let bills = s.execute(
        "const filter = {scope: {kind: 'org', id: 'acme'}, account: null, provider: null, sub_account: null,\
           service: null, region: null, category: null, resource: null, from: null, to: null, tag: null, text: null};\
         const i = window.__TAURI_INTERNALS__;\
         return Promise.all([i.invoke('review_lines', {query: {filter, sort: 'billed', page: 1}}),\
           i.invoke('review_groups', {query: {filter, by: 'resource'}}), i.invoke('review_facets', {scope: filter.scope}),\
           i.invoke('review_diff', {query: {filter, from: '2026-10', to: '2026-11', by: 'service'}})])\
           .then(r => r.map(x => JSON.stringify(x).length));",
        serde_json::json!([]),
    );
    eprintln!(
        "perf: Bills payloads on the demo organization: a page of lines {} bytes, groups by resource {} bytes, \
         facets {} bytes, month over month by service {} bytes",
        bills[0], bills[1], bills[2], bills[3]
    );
    assert!(
        bills[0].as_u64().unwrap() < 100_000,
        "a page of 100 lines over 100 KB"
    );
    let ratio = rss as f64 / blank_rss as f64;
    eprintln!(
        "perf: session request to figures on screen {to_figures:?}; page load to paint {painted_ms} ms; \
         RSS app tree {rss} kB vs blank window {blank_rss} kB (x{ratio:.2}); overview payload {payload} bytes"
    );
    assert!(
        payload.as_u64().unwrap() < 50_000,
        "overview payload over 50 KB"
    );
    assert!(
        to_figures < Duration::from_secs(5),
        "start-up far over budget: {to_figures:?}"
    );
}

/// `BILLFOLD_E2E_LEDGER=FILE` times the overview on that ledger too (a large one, made with
/// `billfold bench --rows N`); without it this test only says it was skipped.
#[test]
fn startup_on_a_given_ledger() {
    let Some(db) = std::env::var_os("BILLFOLD_E2E_LEDGER") else {
        eprintln!("perf: BILLFOLD_E2E_LEDGER not set, no large-ledger measurement");
        return;
    };
    let _one = serial();
    let ledger = Ledger::existing(db.into());
    let driver = Driver::start();
    // BILLFOLD_E2E_AT: the instant to look from, so the trend covers the ledger's months.
    let at = std::env::var("BILLFOLD_E2E_AT").unwrap_or_else(|_| billfold_e2e::AT.to_string());
    let t0 = Instant::now();
    let s = driver.open(&ledger, &["--at", &at]);
    s.wait_for(
        "[data-testid=\"available-balance\"]",
        Duration::from_secs(60),
    );
    let to_figures = t0.elapsed();
    let payload = s.execute(
        "return window.__TAURI_INTERNALS__.invoke('overview', {scope: {kind: 'all'}}).then(o => JSON.stringify(o).length);",
        serde_json::json!([]),
    );
    eprintln!(
        "perf: {} at {at}: session request to figures on screen {to_figures:?}; overview payload (all) {payload} bytes",
        ledger.db.display()
    );
    assert!(
        payload.as_u64().unwrap() < 50_000,
        "overview payload over 50 KB"
    );
}
