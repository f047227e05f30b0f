//! The parsing thread: reads the records, checks every value, and hands batches to the writer;
//! every bad value is collected with its line and column.

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::error::Result;
use crate::money::Currency;

use super::*;

/// Sums of one rollup key, gathered while parsing.
#[derive(Default, Clone)]
pub(super) struct Sums {
    pub(super) billed: Decimal,
    pub(super) effective: Decimal,
    pub(super) list: Decimal,
    pub(super) net: Decimal,
    pub(super) lines: i64,
}

/// What the parse knows about one slice of the file.
#[derive(Clone)]
pub(super) struct SliceAcc {
    pub(super) provider: String,
    pub(super) account: String,
    pub(super) month: String,
    pub(super) lines: u64,
    pub(super) invoiced_all: bool,
    pub(super) period_end: Option<DateTime<Utc>>,
    /// Every line is a correction (`ChargeClass` Correction): a delta, not a month's bill.
    pub(super) corrections_only: bool,
}

/// The result of parsing a whole file.
#[derive(Default)]
pub(super) struct Parsed {
    pub(super) rows: u64,
    pub(super) errors: Vec<RowError>,
    pub(super) more_errors: bool,
    pub(super) file_error: Option<String>,
    /// `file_error` is an I/O error: the bytes could not be read (or changed while read).
    pub(super) unreadable: bool,
    /// By [`RollupKeyBytes`].
    pub(super) sums: HashMap<Vec<u8>, Sums>,
    pub(super) slices: Vec<SliceAcc>,
    /// Subscriptions seen: (account, resource) → (latest end, product, region).
    pub(super) renewals: Renewals,
    /// What the file says of each billing account.
    pub(super) accounts: HashMap<String, AccountSeen>,
}

/// What a file says of one billing account.
pub(super) struct AccountSeen {
    /// The providers its lines name, as theirs or as the account's (the first line's account
    /// provider first: whose a new account is made).
    pub(super) providers: Vec<String>,
    /// The first invoice issuer its lines name (FOCUS 1.3): whose a new account is in the end,
    /// should its first lines leave the issuer null.
    pub(super) issuer: Option<String>,
    pub(super) currency: String,
    /// Its first line, the name of the currency's column, and where the currency came from.
    pub(super) line: u64,
    pub(super) currency_column: String,
    pub(super) currency_from: CurrencyFrom,
}

/// Subscriptions of a file: (account, resource) → (latest usage end, product, region).
pub(super) type Renewals = HashMap<(String, String), (DateTime<Utc>, String, Option<String>)>;

/// A rollup key (account, member, month, service, currency) as one reusable byte string, so
/// that a line's lookup allocates nothing. The texts are length-prefixed, not joined with a
/// separator: a file's service or member names can hold any character (a service named
/// `EC\u{1f}2` once made a separator-joined key read back as service `EC`, currency `2`).
#[derive(Default)]
pub(super) struct RollupKeyBytes(Vec<u8>);

impl RollupKeyBytes {
    pub(super) fn set(
        &mut self,
        account: &str,
        member: &str,
        month: &[u8; 7],
        service: &str,
        currency: &str,
    ) {
        let b = &mut self.0;
        b.clear();
        for text in [account, member] {
            b.extend_from_slice(&(text.len() as u32).to_le_bytes());
            b.extend_from_slice(text.as_bytes());
        }
        b.extend_from_slice(month);
        b.extend_from_slice(&(service.len() as u32).to_le_bytes());
        b.extend_from_slice(service.as_bytes());
        b.extend_from_slice(currency.as_bytes());
    }

    pub(super) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The key [`set`](Self::set) wrote into `bytes`.
    pub(super) fn read(bytes: &[u8]) -> crate::costs::RollupKey {
        fn text(b: &mut &[u8], len: usize) -> String {
            let (t, rest) = b.split_at(len);
            *b = rest;
            String::from_utf8_lossy(t).into_owned()
        }
        fn prefixed(b: &mut &[u8]) -> String {
            let len = u32::from_le_bytes(b[..4].try_into().expect("4 bytes")) as usize;
            *b = &b[4..];
            text(b, len)
        }
        let mut b = bytes;
        let account_id = prefixed(&mut b);
        let sub_account_id = prefixed(&mut b);
        let month = text(&mut b, 7);
        let service = prefixed(&mut b);
        crate::costs::RollupKey {
            account_id,
            sub_account_id,
            month,
            service,
            currency: String::from_utf8_lossy(b).into_owned(),
        }
    }
}

/// Parses every record after the header, checks it, and sends batches (when `send` is given).
pub(super) fn parse_records<R: Read>(
    rdr: &mut csv::Reader<Tee<R>>,
    mapper: &mut dyn Mapper,
    header: &[String],
    send: Option<(&mpsc::SyncSender<Batch>, &mpsc::Receiver<Batch>)>,
    abort: &AtomicBool,
    said: Option<&str>,
) -> Parsed {
    let mut out = Parsed::default();
    let mut rec = csv::StringRecord::new();
    let mut batch = Batch::default();
    let mut dict = LocalLabels::default();
    let mut key = RollupKeyBytes::default();
    let mut slice_index: HashMap<(String, [u8; 7]), usize> = HashMap::new();
    let mut last_slice: Option<(String, [u8; 7], usize)> = None;
    let mut accounts: HashMap<String, AccountSeen> = HashMap::new();
    let width = header.len();
    let acct_col = mapper.account_column();
    let has_invoice = mapper.has_invoice_column();
    let mut chunker = Chunker::begin(rdr);
    let mut last_line = 0;
    let mut unkept = 0;
    loop {
        if out.errors.len() >= ERROR_CAP {
            out.more_errors = true;
            break;
        }
        // The bytes read are kept for the batches' chunks; while no batch is built (only
        // checking, or after a bad row) they are dropped as they go, so memory stays bounded.
        if send.is_none() || !out.errors.is_empty() {
            unkept += 1;
            if unkept >= BATCH_ROWS {
                chunker.skip(rdr);
                unkept = 0;
            }
        }
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                out.file_error = Some(csv_problem(&e, &rdr.get_ref().kept, chunker.start, header));
                out.unreadable = matches!(e.kind(), csv::ErrorKind::Io(_));
                break;
            }
        }
        let line = rec.position().map_or(0, |p| chunker.line_of(rdr, p));
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim().is_empty()) {
            continue; // a blank line
        }
        if rec.len() != width
            && !(rec.len() > width && rec.iter().skip(width).all(|f| f.trim().is_empty()))
        {
            out.errors.push(RowError {
                line,
                column: "(the whole row)".into(),
                problem: format!(
                    "the row has {} fields but the header has {width}: expected one field per \
                     column (a quote may be missing)",
                    rec.len()
                ),
            });
            continue;
        }
        let mut f = Fields::new(&rec, header, line);
        let row = mapper.map(&mut f);
        let Some(row) = row.filter(|_| f.errors.is_empty()) else {
            out.errors.append(&mut f.errors);
            continue;
        };
        // The currency the user named (`--currency`), where the line states another: the user
        // expected something else of this file, so it is refused rather than read either way.
        if let Some(said) = said.filter(|&c| row.currency != c) {
            f.fail(
                row.currency_column,
                format!(
                    "{} but --currency says {said}: expected the currency the file states \
                     (name it, or leave --currency out)",
                    row::quote(&row.currency)
                ),
            );
            out.errors.append(&mut f.errors);
            continue;
        }
        // The account: one billing currency per billing account. Its lines may name several
        // providers (FOCUS 1.3 marketplace lines name the seller as ServiceProviderName): a new
        // account belongs to the provider that holds it where the first line says so (1.3's
        // InvoiceIssuerName), else to that line's provider; each line keeps its own. Every name
        // the lines give, in either role, is gathered: an account the ledger already has must
        // be named by one of them (it may have been created from an older export, or a version
        // that names the other).
        match accounts.get_mut(row.account) {
            Some(seen) => {
                if seen.currency != row.currency {
                    f.fail(
                        row.currency_column,
                        format!(
                            "{} differs from the {} of the account's earlier lines: expected one \
                             billing currency per billing account",
                            row.currency_from.describe(&row.currency),
                            seen.currency
                        ),
                    );
                } else {
                    for name in [row.billing_provider(), &row.provider] {
                        if !seen.providers.iter().any(|p| p == name) {
                            seen.providers.push(name.to_string());
                        }
                    }
                    if seen.issuer.is_none() {
                        seen.issuer = row.account_provider.map(str::to_string);
                    }
                }
            }
            None => {
                if Currency::parse(&row.currency).is_err() {
                    f.bad(row.currency_column, &row.currency, focus::EXPECTED_CURRENCY);
                } else {
                    // The account's provider first: a new account's.
                    let mut named = vec![row.billing_provider().to_string()];
                    if row.provider != row.billing_provider() {
                        named.push(row.provider.to_string());
                    }
                    let currency_column =
                        header.get(row.currency_column).cloned().unwrap_or_default();
                    accounts.insert(
                        row.account.to_string(),
                        AccountSeen {
                            providers: named,
                            issuer: row.account_provider.map(str::to_string),
                            currency: row.currency.to_string(),
                            line,
                            currency_column: currency_column.clone(),
                            currency_from: row.currency_from,
                        },
                    );
                    batch.new_accounts.push(NewAccountSeen {
                        account: row.account.to_string(),
                        provider: row.billing_provider().to_string(),
                        currency: row.currency.to_string(),
                        line,
                        account_column: header.get(acct_col).cloned().unwrap_or_default(),
                        currency_column,
                    });
                }
            }
        }
        // The rollup.
        key.set(
            row.account,
            row.sub_id.unwrap_or(""),
            &row.month,
            row.service,
            &row.currency,
        );
        let sums = match out.sums.get_mut(key.bytes()) {
            Some(s) => s,
            None => out.sums.entry(key.bytes().to_vec()).or_default(),
        };
        let billed = row.billed_cost.value;
        let coupon = row.paid[row::PAID_COUPON]
            .as_ref()
            .map(|a| a.value)
            .unwrap_or_default();
        let added = (|| {
            use crate::money::exact_add as add;
            Some(Sums {
                billed: add(sums.billed, billed)?,
                effective: add(sums.effective, row.effective_cost.value)?,
                list: add(
                    sums.list,
                    row.list_cost.as_ref().map(|a| a.value).unwrap_or(billed),
                )?,
                net: add(sums.net, add(billed, -coupon)?)?,
                lines: sums.lines + 1,
            })
        })();
        match added {
            Some(s) => *sums = s,
            None => f.fail(
                mapper.billed_column(),
                "the total of the file's amounts exceeds 28 significant digits: expected amounts \
                 Billfold can add up exactly"
                    .into(),
            ),
        }
        if !f.errors.is_empty() {
            out.errors.append(&mut f.errors);
            continue;
        }
        // The slice.
        let idx = match &last_slice {
            Some((a, m, i)) if a == row.account && *m == row.month => *i,
            _ => {
                let k = (row.account.to_string(), row.month);
                let i = match slice_index.get(&k) {
                    Some(&i) => i,
                    None => {
                        out.slices.push(SliceAcc {
                            provider: row.billing_provider().to_string(),
                            account: row.account.to_string(),
                            month: String::from_utf8_lossy(&row.month).into_owned(),
                            lines: 0,
                            invoiced_all: true,
                            period_end: None,
                            corrections_only: true,
                        });
                        slice_index.insert(k, out.slices.len() - 1);
                        out.slices.len() - 1
                    }
                };
                last_slice = Some((row.account.to_string(), row.month, i));
                i
            }
        };
        let s = &mut out.slices[idx];
        s.lines += 1;
        s.corrections_only &= row.charge_class == Some("Correction");
        if has_invoice && row.invoice_id.is_none() {
            s.invoiced_all = false;
        }
        if let Some(pe) = row.period_end {
            s.period_end = Some(s.period_end.map_or(pe, |e| e.max(pe)));
        }
        out.rows += 1;
        // A subscription line's usage end is its resource's expiry (SPEC §5 renewals).
        if let (true, Some(res), Some(end)) =
            (row.category == "Purchase", row.resource_id, row.charge_end)
        {
            let e = out
                .renewals
                .entry((row.account.to_string(), res.to_string()))
                .or_insert_with(|| (end, row.service.to_string(), row.region.map(str::to_string)));
            if end > e.0 {
                *e = (end, row.service.to_string(), row.region.map(str::to_string));
            }
        }
        if !out.errors.is_empty() {
            continue; // nothing will be written: stop building batches
        }
        if let Some((tx, _)) = send {
            batch.push(line, &row, &mut dict);
            last_line = line;
            if batch.len() >= BATCH_ROWS {
                batch.chunk =
                    Some(chunker.cut(rdr, last_line, std::mem::take(&mut batch.chunk_buffer)));
                let next = send
                    .and_then(|(_, r)| r.try_recv().ok())
                    .unwrap_or_default();
                let full = std::mem::replace(&mut batch, next);
                if tx.send(full).is_err() || abort.load(Ordering::Relaxed) {
                    break;
                }
            }
        }
    }
    if let Some((tx, _)) = send {
        if out.errors.is_empty() && out.file_error.is_none() && !batch.is_empty() {
            batch.chunk =
                Some(chunker.cut(rdr, last_line, std::mem::take(&mut batch.chunk_buffer)));
        }
        if !batch.is_empty() || !batch.new_accounts.is_empty() {
            let _ = tx.send(batch);
        }
    }
    out.accounts = accounts;
    out
}

/// Reads a bill from `reader` without writing anything: the number of good lines, or the same
/// error an import would give. (The fuzz target's entry point.)
pub fn check_reader<R: Read>(reader: R, name: &str, format: Format) -> Result<u64> {
    check_rows(reader, format, None).map_err(|r| r.of_file(name))
}

/// [`check_reader`], the amounts read in `said` where the file does not state a currency; the
/// refusal without the file's name.
pub(super) fn check_rows<R: Read>(
    reader: R,
    format: Format,
    said: Option<&str>,
) -> std::result::Result<u64, Refusal> {
    let mut rdr = csv_reader(Tee::new(reader));
    let mut sniffed = sniff(&mut rdr, format, said)?;
    let abort = AtomicBool::new(false);
    let parsed = parse_records(
        &mut rdr,
        sniffed.mapper.as_mut(),
        &sniffed.header,
        None,
        &abort,
        None,
    );
    if let Some(problem) = parsed.file_error {
        return Err(Refusal {
            problem: with_rows_before(
                problem,
                parsed.unreadable,
                parsed.errors,
                parsed.more_errors,
            ),
            currency_unstated: false,
            unreadable: parsed.unreadable,
        });
    }
    if !parsed.errors.is_empty() {
        return Err(rows_problem(parsed.errors, parsed.more_errors).into());
    }
    Ok(parsed.rows)
}
