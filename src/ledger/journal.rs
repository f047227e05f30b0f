//! The double-entry journal: books, entries, postings.
//!
//! Every movement is one entry whose postings sum to zero per currency, checked here before
//! anything is written, inside the caller's transaction. Entries are never changed or deleted
//! (the schema's triggers refuse it); a correction is a new entry.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::money::{to_text, Currency};
use crate::time::{from_db, to_db};

/// The kinds of book (see the `books` table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BookKind {
    Cash,
    Complimentary,
    Revenue,
    Voucher,
    Card,
    Coupon,
    Frozen,
    Withdrawing,
    Arrears,
    Funding,
    Grants,
    Expense,
    Lapsed,
}

impl BookKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BookKind::Cash => "cash",
            BookKind::Complimentary => "complimentary",
            BookKind::Revenue => "revenue",
            BookKind::Voucher => "voucher",
            BookKind::Card => "card",
            BookKind::Coupon => "coupon",
            BookKind::Frozen => "frozen",
            BookKind::Withdrawing => "withdrawing",
            BookKind::Arrears => "arrears",
            BookKind::Funding => "funding",
            BookKind::Grants => "grants",
            BookKind::Expense => "expense",
            BookKind::Lapsed => "lapsed",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "cash" => BookKind::Cash,
            "complimentary" => BookKind::Complimentary,
            "revenue" => BookKind::Revenue,
            "voucher" => BookKind::Voucher,
            "card" => BookKind::Card,
            "coupon" => BookKind::Coupon,
            "frozen" => BookKind::Frozen,
            "withdrawing" => BookKind::Withdrawing,
            "arrears" => BookKind::Arrears,
            "funding" => BookKind::Funding,
            "grants" => BookKind::Grants,
            "expense" => BookKind::Expense,
            "lapsed" => BookKind::Lapsed,
            other => return Err(Error::invalid(format!("unknown book kind '{other}'"))),
        })
    }

    /// Books that are the account's money (its purses and holding books); the rest stand for
    /// the outside world and for what the account owes.
    pub fn is_purse(self) -> bool {
        matches!(
            self,
            BookKind::Cash
                | BookKind::Complimentary
                | BookKind::Revenue
                | BookKind::Voucher
                | BookKind::Card
                | BookKind::Coupon
                | BookKind::Frozen
                | BookKind::Withdrawing
        )
    }
}

/// A book with its balance as of some time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Book {
    pub id: i64,
    pub account_id: String,
    pub kind: BookKind,
    pub currency: Currency,
    pub label: Option<String>,
    pub voucher_kind: Option<String>,
    pub face_value: Option<Decimal>,
    pub products: Option<Vec<String>>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub balance: Decimal,
}

impl Book {
    /// Whether a voucher, card or coupon may pay at `at` (inside its validity window).
    pub fn valid_at(&self, at: DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|f| f <= at) && self.valid_until.is_none_or(|u| at < u)
    }

    /// Whether this is a voucher, card or coupon whose validity ended by `at`: what it holds
    /// then lapses.
    pub fn expired_at(&self, at: DateTime<Utc>) -> bool {
        matches!(
            self.kind,
            BookKind::Voucher | BookKind::Card | BookKind::Coupon
        ) && self.valid_until.is_some_and(|u| u <= at)
    }
}

/// Extra attributes of an instrument book (voucher, card, coupon).
#[derive(Debug, Clone, Default)]
pub struct Instrument {
    pub label: String,
    pub voucher_kind: Option<String>,
    pub face_value: Decimal,
    pub products: Option<Vec<String>>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// The singleton book of `kind` of an account, created on first use.
pub fn book(
    tx: &Transaction<'_>,
    account_id: &str,
    kind: BookKind,
    currency: &Currency,
    at: DateTime<Utc>,
) -> Result<i64> {
    if let Some(id) = tx
        .query_row(
            "SELECT id FROM books WHERE account_id = ?1 AND kind = ?2",
            params![account_id, kind.as_str()],
            |r| r.get(0),
        )
        .optional()?
    {
        return Ok(id);
    }
    tx.execute(
        "INSERT INTO books (account_id, kind, currency, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![account_id, kind.as_str(), currency.code(), to_db(at)],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Opens a new instrument book (a voucher, a prepaid card, a cash coupon).
pub fn open_instrument(
    tx: &Transaction<'_>,
    account_id: &str,
    kind: BookKind,
    currency: &Currency,
    inst: &Instrument,
    at: DateTime<Utc>,
) -> Result<i64> {
    let taken: bool = tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM books WHERE account_id = ?1 AND kind = ?2 AND label = ?3)",
        params![account_id, kind.as_str(), inst.label],
        |r| r.get(0),
    )?;
    if taken {
        return Err(Error::conflict(format!(
            "account '{account_id}' already has a {} numbered '{}'",
            kind.as_str(),
            inst.label
        )));
    }
    tx.execute(
        "INSERT INTO books (account_id, kind, currency, label, voucher_kind, face_value, products,
                            valid_from, valid_until, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            account_id,
            kind.as_str(),
            currency.code(),
            inst.label,
            inst.voucher_kind,
            to_text(inst.face_value),
            inst.products.as_ref().map(|p| p.join(",")),
            inst.valid_from.map(to_db),
            inst.valid_until.map(to_db),
            to_db(at)
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// A number for a new instrument: `PREFIX-N`, N one more than the account has of that kind.
pub fn next_label(
    tx: &Transaction<'_>,
    account_id: &str,
    kind: BookKind,
    prefix: &str,
) -> Result<String> {
    let n: i64 = tx.query_row(
        "SELECT COUNT(*) FROM books WHERE account_id = ?1 AND kind = ?2",
        params![account_id, kind.as_str()],
        |r| r.get(0),
    )?;
    Ok(format!("{prefix}-{}", n + 1))
}

/// Every book of the given accounts with its balance as of `as_of` (all postings when `None`).
/// Sums are taken in Rust over the exact decimal text; SQLite never adds money.
pub fn books(
    conn: &rusqlite::Connection,
    account_ids: &[String],
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<Book>> {
    let mut out = Vec::new();
    let mut book_stmt = conn.prepare_cached(
        "SELECT id, account_id, kind, currency, label, voucher_kind, face_value, products,
                valid_from, valid_until, created_at
         FROM books WHERE account_id = ?1 ORDER BY id",
    )?;
    let mut post_stmt = conn.prepare_cached(
        "SELECT p.book_id, p.amount FROM postings p
         JOIN entries e ON e.id = p.entry_id
         JOIN books b ON b.id = p.book_id
         WHERE b.account_id = ?1 AND e.at <= ?2",
    )?;
    let mut cache_stmt = conn.prepare_cached(
        "SELECT c.book_id, c.balance FROM book_balances c JOIN books b ON b.id = c.book_id
         WHERE b.account_id = ?1",
    )?;
    // The running balances are the balances now; a time after the latest entry sees the same.
    let latest: Option<String> = conn.query_row("SELECT MAX(at) FROM entries", [], |r| r.get(0))?;
    let limit = as_of.map(to_db).unwrap_or_else(|| "9999".to_string());
    let current = latest.is_none_or(|l| l <= limit);
    for account in account_ids {
        let mut sums: HashMap<i64, Decimal> = HashMap::new();
        let pair = |r: &rusqlite::Row<'_>| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?));
        let rows: Vec<(i64, String)> = if current {
            cache_stmt
                .query_map(params![account], pair)?
                .collect::<rusqlite::Result<_>>()?
        } else {
            post_stmt
                .query_map(params![account, limit], pair)?
                .collect::<rusqlite::Result<_>>()?
        };
        for (id, amount) in rows {
            *sums.entry(id).or_default() += parse_stored(&amount)?;
        }
        let rows = book_stmt.query_map(params![account], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, String>(10)?,
            ))
        })?;
        for row in rows {
            let (id, account_id, kind, currency, label, vk, face, products, from, until, created) =
                row?;
            let created_at = from_db(&created)?;
            if as_of.is_some_and(|t| created_at > t) {
                continue;
            }
            out.push(Book {
                id,
                account_id,
                kind: BookKind::parse(&kind)?,
                currency: Currency::parse(&currency)?,
                label,
                voucher_kind: vk,
                face_value: face.as_deref().map(parse_stored).transpose()?,
                products: products.map(|p| p.split(',').map(str::to_string).collect()),
                valid_from: from.as_deref().map(from_db).transpose()?,
                valid_until: until.as_deref().map(from_db).transpose()?,
                created_at,
                balance: sums.get(&id).copied().unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

pub(crate) fn parse_stored(text: &str) -> Result<Decimal> {
    text.parse()
        .map_err(|_| Error::invalid(format!("the ledger holds '{text}' where an amount belongs")))
}

/// One posting of a new entry.
#[derive(Debug, Clone)]
pub struct Posting {
    pub book: i64,
    pub currency: Currency,
    pub amount: Decimal,
    /// Position in the deduction order (0 when not a settlement step).
    pub step: i64,
}

/// A new entry, before it is written.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub kind: &'a str,
    pub account_id: &'a str,
    pub at: DateTime<Utc>,
    pub op_id: Option<&'a str>,
    pub fingerprint: Option<String>,
    pub reference: Option<String>,
    pub product: Option<String>,
    pub memo: Option<String>,
    pub postings: Vec<Posting>,
}

impl<'a> NewEntry<'a> {
    pub fn new(kind: &'a str, account_id: &'a str, at: DateTime<Utc>) -> Self {
        NewEntry {
            kind,
            account_id,
            at,
            op_id: None,
            fingerprint: None,
            reference: None,
            product: None,
            memo: None,
            postings: Vec::new(),
        }
    }

    pub fn post(&mut self, book: i64, currency: &Currency, amount: Decimal, step: i64) {
        if !amount.is_zero() {
            self.postings.push(Posting {
                book,
                currency: currency.clone(),
                amount,
                step,
            });
        }
    }
}

/// Writes an entry after checking that its postings sum to zero in every currency.
pub fn write(tx: &Transaction<'_>, entry: &NewEntry<'_>) -> Result<i64> {
    let mut sums: BTreeMap<&str, Decimal> = BTreeMap::new();
    for p in &entry.postings {
        *sums.entry(p.currency.code()).or_default() += p.amount;
    }
    if let Some((cur, sum)) = sums.iter().find(|(_, s)| !s.is_zero()) {
        return Err(Error::refused(format!(
            "internal check failed: a {} entry does not balance in {cur} (off by {sum}); nothing was written",
            entry.kind
        )));
    }
    tx.execute(
        "INSERT INTO entries (op_id, fingerprint, kind, account_id, at, ref, product, memo)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            entry.op_id,
            entry.fingerprint,
            entry.kind,
            entry.account_id,
            to_db(entry.at),
            entry.reference,
            entry.product,
            entry.memo
        ],
    )?;
    let id = tx.last_insert_rowid();
    let mut stmt = tx.prepare_cached(
        "INSERT INTO postings (entry_id, book_id, amount, currency, step) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for p in &entry.postings {
        stmt.execute(params![
            id,
            p.book,
            to_text(p.amount),
            p.currency.code(),
            p.step
        ])?;
        add_to_balance(tx, p.book, p.amount, entry.at)?;
    }
    Ok(id)
}

/// Adds a posting to its book's running balance (same transaction as the posting).
fn add_to_balance(
    tx: &Transaction<'_>,
    book: i64,
    amount: Decimal,
    at: DateTime<Utc>,
) -> Result<()> {
    let current: Option<String> = tx
        .prepare_cached("SELECT balance FROM book_balances WHERE book_id = ?1")?
        .query_row(params![book], |r| r.get(0))
        .optional()?;
    let before = current
        .as_deref()
        .map(parse_stored)
        .transpose()?
        .unwrap_or_default();
    let after = crate::money::exact_add(before, amount).ok_or_else(|| {
        Error::refused("a balance would exceed 28 significant digits and cannot be kept exactly")
    })?;
    tx.prepare_cached(
        "INSERT INTO book_balances (book_id, balance, postings, last_at) VALUES (?1, ?2, 1, ?3)
         ON CONFLICT (book_id) DO UPDATE SET balance = excluded.balance, postings = postings + 1,
             last_at = max(last_at, excluded.last_at)",
    )?
    .execute(params![book, to_text(after), to_db(at)])?;
    Ok(())
}

/// Recomputes every running balance from the postings (exact, in Rust).
pub fn rebuild_balances(tx: &Transaction<'_>) -> Result<()> {
    let mut sums: HashMap<i64, (Decimal, i64, String)> = HashMap::new();
    {
        let mut stmt = tx.prepare(
            "SELECT p.book_id, p.amount, e.at FROM postings p JOIN entries e ON e.id = p.entry_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (book, amount, at) = row?;
            let e = sums.entry(book).or_default();
            e.0 += parse_stored(&amount)?;
            e.1 += 1;
            if at > e.2 {
                e.2 = at;
            }
        }
    }
    tx.execute("DELETE FROM book_balances", [])?;
    let mut ins = tx.prepare(
        "INSERT INTO book_balances (book_id, balance, postings, last_at) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (book, (balance, n, at)) in sums {
        ins.execute(params![book, to_text(balance), n, at])?;
    }
    Ok(())
}

/// Idempotency: `Some(entry id)` when `op_id` was already applied with the same fingerprint
/// (the caller then does nothing), an error when it was used for a different operation.
pub fn replayed(
    tx: &Transaction<'_>,
    op_id: Option<&str>,
    fingerprint: &str,
) -> Result<Option<i64>> {
    let Some(op_id) = op_id else { return Ok(None) };
    let found: Option<(i64, Option<String>)> = tx
        .query_row(
            "SELECT id, fingerprint FROM entries WHERE op_id = ?1",
            params![op_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match found {
        None => Ok(None),
        Some((id, Some(f))) if f == fingerprint => Ok(Some(id)),
        Some(_) => Err(Error::conflict(format!(
            "operation id '{op_id}' was already used for a different operation; nothing was changed"
        ))),
    }
}

/// Refuses an operation dated before the latest entry on the account: the journal of an
/// account is chronological, so that its balances are right at every point in time.
pub fn check_chronology(
    tx: &Transaction<'_>,
    account_ids: &[&str],
    at: DateTime<Utc>,
) -> Result<()> {
    for account in account_ids {
        let latest: Option<String> = tx.query_row(
            "SELECT MAX(c.last_at) FROM books b JOIN book_balances c ON c.book_id = b.id
             WHERE b.account_id = ?1",
            params![account],
            |r| r.get(0),
        )?;
        if let Some(latest) = latest {
            if to_db(at) < latest {
                return Err(Error::refused(format!(
                    "account '{account}' already has an entry at {latest}; an operation cannot be \
                     dated earlier ({}): record it at or after that time",
                    to_db(at)
                )));
            }
        }
    }
    Ok(())
}

/// An entry as the journal listing shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EntryOut {
    pub id: i64,
    pub at: String,
    pub kind: String,
    pub account: String,
    pub op_id: Option<String>,
    pub reference: Option<String>,
    pub product: Option<String>,
    pub memo: Option<String>,
    pub postings: Vec<PostingOut>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PostingOut {
    pub account: String,
    pub book: String,
    pub label: Option<String>,
    pub amount: String,
    pub currency: String,
    pub step: i64,
}

/// The journal in order, for one account (entries it made or whose postings touch its books)
/// or for all.
pub fn list(conn: &rusqlite::Connection, account: Option<&str>) -> Result<Vec<EntryOut>> {
    let mut entries: Vec<EntryOut> = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT id, at, kind, account_id, op_id, ref, product, memo FROM entries
         WHERE ?1 IS NULL OR account_id = ?1 OR id IN (
            SELECT p.entry_id FROM postings p JOIN books b ON b.id = p.book_id WHERE b.account_id = ?1)
         ORDER BY at, id",
    )?;
    let rows = stmt.query_map(params![account], |r| {
        Ok(EntryOut {
            id: r.get(0)?,
            at: r.get(1)?,
            kind: r.get(2)?,
            account: r.get(3)?,
            op_id: r.get(4)?,
            reference: r.get(5)?,
            product: r.get(6)?,
            memo: r.get(7)?,
            postings: Vec::new(),
        })
    })?;
    for row in rows {
        entries.push(row?);
    }
    let mut pstmt = conn.prepare_cached(
        "SELECT b.account_id, b.kind, b.label, p.amount, p.currency, p.step
         FROM postings p JOIN books b ON b.id = p.book_id WHERE p.entry_id = ?1 ORDER BY p.id",
    )?;
    for e in &mut entries {
        let rows = pstmt.query_map(params![e.id], |r| {
            Ok(PostingOut {
                account: r.get(0)?,
                book: r.get(1)?,
                label: r.get(2)?,
                amount: r.get(3)?,
                currency: r.get(4)?,
                step: r.get(5)?,
            })
        })?;
        for p in rows {
            e.postings.push(p?);
        }
    }
    Ok(entries)
}
