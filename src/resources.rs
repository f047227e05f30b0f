//! Resources that renew (SPEC §5 renewals): state, not money, so kept current by upsert.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection};
use serde::Serialize;

use crate::accounts::get_account;
use crate::error::{Error, Result};
use crate::time::{from_db, to_db};

/// How far ahead a renewal counts as due.
pub const RENEWAL_WINDOW_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resource {
    pub id: String,
    pub account_id: String,
    pub product: String,
    pub region: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub auto_renew: bool,
    /// running, expired or frozen (isolated).
    pub status: String,
}

impl Resource {
    /// `due`, `expired`, `frozen`, or `None` when nothing is to be done.
    pub fn renewal_state(&self, at: DateTime<Utc>) -> Option<&'static str> {
        match self.status.as_str() {
            "frozen" => Some("frozen"),
            "expired" => Some("expired"),
            _ if self.expires_at <= at => Some("expired"),
            _ if self.expires_at <= at + Duration::days(RENEWAL_WINDOW_DAYS) => Some("due"),
            _ => None,
        }
    }
}

pub fn upsert(conn: &Connection, r: &Resource) -> Result<()> {
    get_account(conn, &r.account_id)?;
    if !matches!(r.status.as_str(), "running" | "expired" | "frozen") {
        return Err(Error::invalid(format!(
            "'{}' is not a resource status: expected running, expired or frozen",
            r.status
        )));
    }
    conn.execute(
        "INSERT OR REPLACE INTO resources (id, account_id, product, region, expires_at, auto_renew, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            r.id,
            r.account_id,
            r.product,
            r.region,
            to_db(r.expires_at),
            r.auto_renew as i64,
            r.status
        ],
    )?;
    Ok(())
}

pub fn of_accounts(conn: &Connection, account_ids: &[String]) -> Result<Vec<Resource>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, account_id, product, region, expires_at, auto_renew, status
         FROM resources WHERE account_id = ?1 ORDER BY expires_at, id",
    )?;
    let mut out = Vec::new();
    for a in account_ids {
        let rows = stmt.query_map(params![a], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, String>(6)?,
            ))
        })?;
        for row in rows {
            let (id, account_id, product, region, exp, auto, status) = row?;
            out.push(Resource {
                id,
                account_id,
                product,
                region,
                expires_at: from_db(&exp)?,
                auto_renew: auto != 0,
                status,
            });
        }
    }
    out.sort_by(|a, b| a.expires_at.cmp(&b.expires_at).then(a.id.cmp(&b.id)));
    Ok(out)
}
