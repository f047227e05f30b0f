//! A demo ledger, so that a newcomer sees a populated console at once: an organization on
//! member self-pay with three accounts on three providers, two currencies, six months of
//! charges, vouchers, a prepaid card, a cash coupon, a hold, resources due for renewal and a
//! balance alert. Deterministic for a given time.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::accounts::{self, FinanceMode, NewAccount, PaymentMode, Role};
use crate::error::{Error, Result};
use crate::ledger::{self, NewVoucher, TopUpMethod, VoucherKind};
use crate::money::Currency;
use crate::resources::{self, Resource};

fn d(s: &str) -> Decimal {
    s.parse().expect("demo amounts are valid")
}

/// Writes the demo into an empty ledger; refuses a ledger that already has accounts.
pub fn populate(conn: &mut Connection, now: DateTime<Utc>) -> Result<()> {
    if !accounts::list_accounts(conn)?.is_empty() {
        return Err(Error::refused(
            "this ledger already has accounts; the demo is written only into an empty ledger",
        ));
    }
    let start = now - Duration::days(180);
    accounts::add_org(conn, "acme", FinanceMode::SelfPay)?;
    let acct = |id: &str, provider: &str, cur: &str, mode, name: &str, role| NewAccount {
        id: id.into(),
        provider: provider.into(),
        currency: Currency::parse(cur).expect("valid"),
        mode,
        name: Some(name.into()),
        org: Some(("acme".into(), role)),
    };
    for a in [
        acct(
            "acme-hq",
            "Tencent Cloud",
            "CNY",
            PaymentMode::Prepaid,
            "Acme HQ",
            Role::Admin,
        ),
        acct(
            "acme-web",
            "Huawei Cloud",
            "CNY",
            PaymentMode::Prepaid,
            "Acme Web",
            Role::Member,
        ),
        acct(
            "acme-data",
            "AWS",
            "USD",
            PaymentMode::Postpaid,
            "Acme Data",
            Role::Member,
        ),
    ] {
        accounts::add_account(conn, &a, start)?;
    }
    ledger::topup(
        conn,
        "acme-hq",
        d("50000"),
        TopUpMethod::BankTransfer,
        start,
        Some("demo-1"),
    )?;
    ledger::topup(
        conn,
        "acme-web",
        d("8000"),
        TopUpMethod::Online,
        start,
        Some("demo-2"),
    )?;
    ledger::topup(
        conn,
        "acme-data",
        d("2500"),
        TopUpMethod::Online,
        start,
        Some("demo-3"),
    )?;
    ledger::restrict(conn, "acme-hq", "SMS", &["cash".into(), "card".into()])?;

    let products = [
        (
            "acme-hq",
            ["CVM", "COS", "CDN", "SMS"],
            ["2860.42", "612.35", "933.18", "88.50"],
        ),
        (
            "acme-web",
            ["ECS", "OBS", "ELB", "RDS"],
            ["1210.30", "145.72", "310.00", "890.66"],
        ),
        (
            "acme-data",
            ["Amazon EC2", "Amazon S3", "AWS Lambda", "Amazon RDS"],
            ["420.18", "95.40", "12.34", "260.00"],
        ),
    ];
    for month in 0..6i64 {
        let at = start + Duration::days(month * 30 + 15);
        for (account, names, amounts) in &products {
            for (i, (p, a)) in names.iter().zip(amounts).enumerate() {
                // Vary each month so the trend moves.
                let factor = Decimal::new(85 + ((month * 7 + i as i64 * 3) % 30), 2);
                let amount = (d(a) * factor).round_dp_with_strategy(
                    2,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                );
                ledger::charge(
                    conn,
                    account,
                    amount,
                    p,
                    at + Duration::minutes(i as i64),
                    None,
                )?;
            }
        }
        if month == 3 {
            ledger::topup(
                conn,
                "acme-hq",
                d("8000"),
                TopUpMethod::Online,
                at + Duration::hours(2),
                None,
            )?;
            ledger::topup(
                conn,
                "acme-web",
                d("4000"),
                TopUpMethod::Online,
                at + Duration::hours(2),
                None,
            )?;
        }
    }
    // Bought and granted after the charges, so that the overview shows them with a balance.
    let recent = now - Duration::days(10);
    ledger::grant(
        conn,
        "acme-hq",
        d("500"),
        ledger::journal::BookKind::Complimentary,
        recent,
        None,
    )?;
    ledger::buy_card(
        conn,
        "acme-hq",
        d("10000"),
        Some(now + Duration::days(20)),
        recent,
        None,
    )?;
    ledger::add_voucher(
        conn,
        "acme-web",
        &NewVoucher {
            amount: d("1200"),
            kind: VoucherKind::Regular,
            expires: now + Duration::days(9),
            products: None,
            number: Some("HW-V-2026-118".into()),
        },
        recent,
        None,
    )?;
    ledger::add_coupon(
        conn,
        "acme-hq",
        d("150"),
        Some(now + Duration::days(60)),
        recent,
        None,
    )?;
    let late = now - Duration::hours(3);
    ledger::hold(conn, "acme-hq", d("55"), "HOLD-CVM-GPU-1", late)?;
    accounts::set_alert(conn, "acme-hq", Some(d("20000")))?;
    accounts::set_alert(conn, "acme-web", Some(d("1000")))?;
    for (id, account, product, region, days, auto, status) in [
        (
            "ins-7f3a9c",
            "acme-hq",
            "CVM",
            "ap-guangzhou",
            6,
            false,
            "running",
        ),
        (
            "cdb-12ab",
            "acme-hq",
            "TencentDB for MySQL",
            "ap-shanghai",
            21,
            true,
            "running",
        ),
        (
            "ecs-web-01",
            "acme-web",
            "ECS",
            "cn-north-4",
            12,
            false,
            "running",
        ),
        (
            "rds-web-01",
            "acme-web",
            "RDS",
            "cn-north-4",
            -3,
            false,
            "expired",
        ),
        (
            "i-0a1b2c3d",
            "acme-data",
            "Amazon EC2",
            "us-east-1",
            90,
            true,
            "running",
        ),
    ] {
        resources::upsert(
            conn,
            &Resource {
                id: id.into(),
                account_id: account.into(),
                product: product.into(),
                region: Some(region.into()),
                expires_at: now + Duration::days(days),
                auto_renew: auto,
                status: status.into(),
            },
        )?;
    }
    Ok(())
}
