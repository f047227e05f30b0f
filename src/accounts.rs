//! Billing accounts and organizations (SPEC §2).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::money::{to_text, Currency};
use crate::time::to_db;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PaymentMode {
    Prepaid,
    Postpaid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FinanceMode {
    /// Members top up the admin; the admin's purses pay for every member.
    Unified,
    /// Each member pays for itself; the admin sees and consolidates.
    SelfPay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    Member,
}

macro_rules! text_enum {
    ($t:ty, $what:literal, $($v:ident = $s:literal),+) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
        }
        impl FromStr for $t {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                match s { $($s => Ok(Self::$v),)+
                    _ => Err(Error::invalid(format!(
                        concat!("'{}' is not a ", $what, ": expected {}"), s,
                        [$($s),+].join(" or ")))) }
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}
text_enum!(
    PaymentMode,
    "payment mode",
    Prepaid = "prepaid",
    Postpaid = "postpaid"
);
text_enum!(
    FinanceMode,
    "finance mode",
    Unified = "unified",
    SelfPay = "self-pay"
);
text_enum!(Role, "role", Admin = "admin", Member = "member");

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: String,
    pub provider: String,
    pub currency: Currency,
    pub mode: PaymentMode,
    pub name: Option<String>,
    pub org_id: Option<String>,
    pub role: Option<Role>,
    pub alert_enabled: bool,
    pub alert_threshold: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Org {
    pub id: String,
    pub mode: FinanceMode,
}

/// What is needed to open a billing account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: String,
    pub provider: String,
    pub currency: Currency,
    pub mode: PaymentMode,
    pub name: Option<String>,
    pub org: Option<(String, Role)>,
}

fn check_id(what: &str, id: &str) -> Result<()> {
    if id.trim().is_empty() || id.len() > 200 || id.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(format!(
            "'{id}' is not a usable {what} id: expected 1 to 200 printable characters"
        )));
    }
    Ok(())
}

pub fn add_org(conn: &Connection, id: &str, mode: FinanceMode) -> Result<()> {
    check_id("organization", id)?;
    let n = conn.execute(
        "INSERT INTO orgs (id, mode) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
        params![id, mode.as_str()],
    )?;
    if n == 0 {
        return Err(Error::conflict(format!(
            "organization '{id}' already exists"
        )));
    }
    Ok(())
}

pub fn get_org(conn: &Connection, id: &str) -> Result<Org> {
    conn.query_row(
        "SELECT id, mode FROM orgs WHERE id = ?1",
        params![id],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
    )
    .optional()?
    .map(|(id, mode)| {
        Ok(Org {
            id,
            mode: mode.parse()?,
        })
    })
    .unwrap_or_else(|| {
        Err(Error::not_found(format!(
            "there is no organization '{id}': add it with `billfold org add {id} --mode unified|self-pay`"
        )))
    })
}

/// Opens an account. Under unified payment a member must bill in the admin's currency, since
/// the admin's purses pay for it.
pub fn add_account(conn: &Connection, new: &NewAccount, at: DateTime<Utc>) -> Result<()> {
    check_id("account", &new.id)?;
    if new.provider.trim().is_empty() {
        return Err(Error::invalid("the provider must not be empty"));
    }
    if get_account(conn, &new.id).is_ok() {
        return Err(Error::conflict(format!(
            "account '{}' already exists",
            new.id
        )));
    }
    if let Some((org_id, role)) = &new.org {
        let org = get_org(conn, org_id)?;
        let members = org_accounts(conn, org_id)?;
        let admin = members.iter().find(|a| a.role == Some(Role::Admin));
        match (role, admin) {
            (Role::Admin, Some(a)) => {
                return Err(Error::conflict(format!(
                    "organization '{org_id}' already has an admin account, '{}'",
                    a.id
                )))
            }
            (Role::Member, Some(a))
                if org.mode == FinanceMode::Unified && a.currency != new.currency =>
            {
                return Err(Error::refused(format!(
                    "under unified payment the admin '{}' pays for members in {}, so a member \
                     billing in {} cannot join organization '{org_id}'",
                    a.id, a.currency, new.currency
                )))
            }
            // An admin joining members already there: the same rule, seen from the admin.
            (Role::Admin, None) if org.mode == FinanceMode::Unified => {
                // `org_accounts` lists by id: the first member billing otherwise is named.
                if let Some(member) = members.iter().find(|a| a.currency != new.currency) {
                    return Err(Error::refused(format!(
                        "under unified payment the admin pays for its members, and member \
                         '{}' bills in {}, so an admin billing in {} cannot join \
                         organization '{org_id}'",
                        member.id, member.currency, new.currency
                    )));
                }
            }
            _ => {}
        }
    }
    conn.execute(
        "INSERT INTO accounts (id, provider, currency, mode, name, org_id, role, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            new.id,
            new.provider,
            new.currency.code(),
            new.mode.as_str(),
            new.name,
            new.org.as_ref().map(|o| o.0.as_str()),
            new.org.as_ref().map(|o| o.1.as_str()),
            to_db(at)
        ],
    )?;
    Ok(())
}

/// Creates the account if it does not exist yet (an import seeing a billing account for the
/// first time). An existing account must have the same currency.
pub fn ensure_account(
    conn: &Connection,
    id: &str,
    provider: &str,
    currency: &Currency,
    mode: PaymentMode,
    at: DateTime<Utc>,
) -> Result<Account> {
    match get_account(conn, id) {
        Ok(a) if &a.currency == currency => Ok(a),
        Ok(a) => Err(Error::refused(format!(
            "account '{id}' bills in {}, but these lines are in {currency}",
            a.currency
        ))),
        Err(_) => {
            add_account(
                conn,
                &NewAccount {
                    id: id.to_string(),
                    provider: provider.to_string(),
                    currency: currency.clone(),
                    mode,
                    name: None,
                    org: None,
                },
                at,
            )?;
            get_account(conn, id)
        }
    }
}

const ACCOUNT_COLUMNS: &str =
    "id, provider, currency, mode, name, org_id, role, alert_enabled, alert_threshold";

fn row_to_account(r: &rusqlite::Row<'_>) -> rusqlite::Result<[Option<String>; 9]> {
    Ok([
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        Some(r.get::<_, i64>(7)?.to_string()),
        r.get(8)?,
    ])
}

fn build_account(c: [Option<String>; 9]) -> Result<Account> {
    let [id, provider, currency, mode, name, org_id, role, alert, threshold] = c;
    Ok(Account {
        id: id.unwrap_or_default(),
        provider: provider.unwrap_or_default(),
        currency: Currency::parse(&currency.unwrap_or_default())?,
        mode: mode.unwrap_or_default().parse()?,
        name,
        org_id,
        role: role.map(|r| r.parse()).transpose()?,
        alert_enabled: alert.as_deref() == Some("1"),
        alert_threshold: threshold
            .map(|t| t.parse())
            .transpose()
            .map_err(|_| Error::invalid("a stored alert threshold is not a decimal"))?,
    })
}

pub fn get_account(conn: &Connection, id: &str) -> Result<Account> {
    let row = conn
        .query_row(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"),
            params![id],
            row_to_account,
        )
        .optional()?;
    match row {
        Some(c) => build_account(c),
        None => Err(Error::not_found(format!(
            "there is no account '{id}': add it with `billfold account add {id} --provider P --currency C --mode prepaid|postpaid`"
        ))),
    }
}

pub fn list_accounts(conn: &Connection) -> Result<Vec<Account>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id"
    ))?;
    let rows = stmt.query_map([], row_to_account)?;
    rows.map(|r| build_account(r?)).collect()
}

pub fn list_orgs(conn: &Connection) -> Result<Vec<Org>> {
    let mut stmt = conn.prepare("SELECT id, mode FROM orgs ORDER BY id")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    rows.map(|r| {
        let (id, mode) = r?;
        Ok(Org {
            id,
            mode: mode.parse()?,
        })
    })
    .collect()
}

pub fn org_accounts(conn: &Connection, org_id: &str) -> Result<Vec<Account>> {
    Ok(list_accounts(conn)?
        .into_iter()
        .filter(|a| a.org_id.as_deref() == Some(org_id))
        .collect())
}

pub fn admin_of(conn: &Connection, org_id: &str) -> Result<Option<Account>> {
    Ok(org_accounts(conn, org_id)?
        .into_iter()
        .find(|a| a.role == Some(Role::Admin)))
}

/// The account whose purses pay for `account`'s consumption: the admin under unified payment,
/// the account itself otherwise (and when a unified organization has no admin yet).
pub fn payer_of(conn: &Connection, account: &Account) -> Result<Account> {
    if let (Some(org_id), Some(Role::Member)) = (&account.org_id, account.role) {
        if get_org(conn, org_id)?.mode == FinanceMode::Unified {
            if let Some(admin) = admin_of(conn, org_id)? {
                return Ok(admin);
            }
        }
    }
    Ok(account.clone())
}

/// Switches the balance alert on with a threshold, or off (`None`).
pub fn set_alert(conn: &Connection, id: &str, threshold: Option<Decimal>) -> Result<()> {
    get_account(conn, id)?;
    conn.execute(
        "UPDATE accounts SET alert_enabled = ?2, alert_threshold = COALESCE(?3, alert_threshold) WHERE id = ?1",
        params![id, threshold.is_some() as i64, threshold.map(to_text)],
    )?;
    Ok(())
}
