//! Ledger benchmark: operations per second and overview latency on a growing journal.
//!
//! `cargo run --release --example ledger_bench -- [CHARGES]` (default 20000). It writes a
//! temporary ledger file (WAL, as the app does), settles CHARGES pay-as-you-go charges against
//! vouchers, a prepaid card and cash (topping up as needed), and reports the rate of the first
//! and last thousand charges (flat means the cost of an operation does not grow with the
//! journal), then times the overview now and as of a past date.

use std::time::Instant;

use billfold::accounts::{self, NewAccount, PaymentMode};
use billfold::ledger::{self, NewVoucher, TopUpMethod, VoucherKind};
use billfold::money::Currency;
use billfold::overview::{overview, Scope};
use billfold::store;
use chrono::Duration;
use rust_decimal::Decimal;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let dir = tempfile_dir();
    let path = dir.join("bench.sqlite");
    let mut c = store::open(&path).expect("ledger opens");
    let t0 = billfold::time::parse("2026-01-01").unwrap();
    accounts::add_account(
        &c,
        &NewAccount {
            id: "a".into(),
            provider: "Tencent Cloud".into(),
            currency: Currency::parse("CNY").unwrap(),
            mode: PaymentMode::Prepaid,
            name: None,
            org: None,
        },
        t0,
    )
    .unwrap();
    ledger::topup(
        &mut c,
        "a",
        Decimal::from(1_000_000),
        TopUpMethod::Online,
        t0,
        None,
    )
    .unwrap();
    ledger::buy_card(
        &mut c,
        "a",
        Decimal::from(10_000),
        Some(t0 + Duration::days(400)),
        t0,
        None,
    )
    .unwrap();
    for i in 0..20 {
        let v = NewVoucher {
            amount: Decimal::from(500),
            kind: VoucherKind::Regular,
            expires: t0 + Duration::days(30 + i * 15),
            products: None,
            number: None,
        };
        ledger::add_voucher(&mut c, "a", &v, t0, None).unwrap();
    }
    let products = ["CVM", "COS", "CDN", "CLB", "TencentDB"];
    let mut at = t0;
    let mut lap = Instant::now();
    let mut rates = Vec::new();
    let start = Instant::now();
    for i in 0..n {
        at += Duration::minutes(20);
        let amount = Decimal::new(1000 + (i as i64 * 7919) % 90_000, 3);
        ledger::charge(&mut c, "a", amount, products[i % products.len()], at, None).unwrap();
        if (i + 1) % 1000 == 0 {
            rates.push(1000.0 / lap.elapsed().as_secs_f64());
            lap = Instant::now();
        }
    }
    let total = start.elapsed();
    let first = rates.first().copied().unwrap_or_default();
    let last = rates.last().copied().unwrap_or_default();
    println!(
        "charges: {n} in {:.2} s = {:.0}/s (first thousand {:.0}/s, last thousand {:.0}/s)",
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        first,
        last
    );
    for (label, when) in [("now", at), ("as of a past date", t0 + Duration::days(60))] {
        let mut best = f64::MAX;
        let mut bytes = 0;
        for _ in 0..5 {
            let s = Instant::now();
            let o = overview(&c, &Scope::Account("a".into()), when, 6).unwrap();
            best = best.min(s.elapsed().as_secs_f64() * 1000.0);
            bytes = serde_json::to_vec(&o).unwrap().len();
        }
        println!("overview {label}: {best:.1} ms (best of 5), {bytes} bytes of JSON");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("billfold-ledger-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
