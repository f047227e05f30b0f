//! The 1,000,000-row FOCUS 1.2 import benchmark, as an ignored test so that it runs without the
//! CLI: `cargo test --release --test import_bench -- --ignored --nocapture`
//! (`BILLFOLD_BENCH_ROWS` changes the row count). `billfold bench import` runs the same code.

#[test]
#[ignore = "a benchmark: run it in release with --ignored --nocapture"]
fn import_one_million_focus_rows() {
    let rows = std::env::var("BILLFOLD_BENCH_ROWS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::var_os("BILLFOLD_BENCH_DIR").map(std::path::PathBuf::from);
    let report = billfold::bench::import::run(rows, dir.as_deref(), true).unwrap();
    println!("{report}");
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}

/// The benchmark itself works, on a file small enough for every test run: the import, the
/// parse-only pass and SQLite's floor each see every row (each fails the run otherwise).
#[test]
fn the_import_benchmark_runs_on_a_small_file() {
    let report = billfold::bench::import::run(2_000, None, false).unwrap();
    assert_eq!(report.rows, 2_000);
    assert!(report.db_bytes > 0 && report.store_floor_secs.0 > 0.0);
}

/// `costs --group-by month,service` on the rollups of a 10,000,000-line ledger. The query reads
/// `cost_rollups` only, so its cost depends on the number of distinct (account, sub account,
/// month, service, currency) keys, not on the lines: this builds the rollups such a ledger has
/// (`accounts × subs × 24 months × services` keys whose `lines` add up to 10,000,000) and times
/// the query over all of them.
#[test]
#[ignore = "a benchmark: run it in release with --ignored --nocapture"]
fn costs_group_by_on_a_ten_million_line_ledger() {
    use billfold::costs::{group_costs, CostFilter, GroupBy};
    for (accounts, subs, services) in [(2, 12, 100), (20, 10, 50)] {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = billfold::store::open(&dir.path().join("l.sqlite")).unwrap();
        let keys = accounts * subs * 24 * services;
        let per_key = 10_000_000 / keys;
        let tx = conn.transaction().unwrap();
        {
            let mut acc = tx
                .prepare("INSERT INTO accounts (id, provider, currency, mode, created_at) VALUES (?1, 'AWS', 'USD', 'postpaid', '2024-01-01T00:00:00Z')")
                .unwrap();
            let mut roll = tx
                .prepare(
                    "INSERT INTO cost_rollups VALUES (?1, ?2, ?3, ?4, 'USD', ?5, ?5, ?6, ?5, ?7)",
                )
                .unwrap();
            for a in 0..accounts {
                let account = format!("{:012}", 100000000000u64 + a as u64);
                acc.execute([&account]).unwrap();
                for s in 0..subs {
                    for m in 0..24 {
                        let month = format!("{}-{:02}", 2024 + m / 12, m % 12 + 1);
                        for v in 0..services {
                            let billed = format!("{}.{:010}", 1000 + v * 7 + m, a * 31 + s);
                            let list = format!("{}.5", 1200 + v);
                            roll.execute(rusqlite::params![
                                account,
                                format!("sub-{s}"),
                                month,
                                format!("Service {v:03}"),
                                billed,
                                list,
                                per_key as i64
                            ])
                            .unwrap();
                        }
                    }
                }
            }
        }
        // The same sums without the member, as RollupDelta keeps them.
        {
            let rows: Vec<(String, String, String, String, String, String, i64)> = tx
                .prepare("SELECT account_id, month, service, currency, billed_cost, list_cost, lines FROM cost_rollups")
                .unwrap()
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            type Key = (String, String, String, String);
            type Sums = (rust_decimal::Decimal, rust_decimal::Decimal, i64);
            let mut coarse: std::collections::BTreeMap<Key, Sums> = Default::default();
            for (a, m, s, c, b, l, n) in rows {
                let e = coarse.entry((a, m, s, c)).or_default();
                e.0 += b.parse::<rust_decimal::Decimal>().unwrap();
                e.1 += l.parse::<rust_decimal::Decimal>().unwrap();
                e.2 += n;
            }
            let mut ins = tx
                .prepare("INSERT INTO cost_rollups_by_service VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?5, ?7)")
                .unwrap();
            for ((a, m, s, c), (b, l, n)) in coarse {
                ins.execute(rusqlite::params![
                    a,
                    m,
                    s,
                    c,
                    b.to_string(),
                    l.to_string(),
                    n
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
        let lines: i64 = conn
            .query_row("SELECT SUM(lines) FROM cost_rollups", [], |r| r.get(0))
            .unwrap();
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = std::time::Instant::now();
            let g = group_costs(
                &conn,
                &CostFilter::default(),
                &[GroupBy::Month, GroupBy::Service],
            )
            .unwrap();
            best = best.min(t.elapsed().as_secs_f64() * 1e3);
            assert_eq!(g.len(), 24 * services);
        }
        let one_account = CostFilter {
            account: Some("100000000000".into()),
            ..Default::default()
        };
        let t = std::time::Instant::now();
        group_costs(&conn, &one_account, &[GroupBy::Month, GroupBy::Service]).unwrap();
        let one = t.elapsed().as_secs_f64() * 1e3;
        // What every import adds: the ledger's totals checked over all its rollup rows.
        let mut check = f64::MAX;
        for _ in 0..3 {
            let tx = conn.transaction().unwrap();
            let t = std::time::Instant::now();
            billfold::costs::check_totals(&tx).unwrap();
            check = check.min(t.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "costs --group-by month,service: {lines} lines in {keys} rollup rows: all accounts {best:.1} ms (best of 5), one account {one:.1} ms; an import's check of the totals {check:.1} ms (best of 3)"
        );
    }
}
