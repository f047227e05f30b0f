//! The mapped row (what every format's mapper produces from one CSV record), the helpers a
//! mapper reads fields with (collecting every bad value), and the batches of bound column texts
//! the parsing thread hands to the writing thread.

use std::borrow::Cow;
use std::collections::HashMap;

use rustc_hash::FxBuildHasher;
use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::values::{self, non_null, Expected};

/// One bad value: where it is and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based physical line of the file where the record starts.
    pub line: u64,
    pub column: String,
    pub problem: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.problem
        )
    }
}

/// How a value is quoted in a message: at most 60 characters, so a broken row stays readable.
pub fn quote(value: &str) -> String {
    let mut v: String = value.chars().take(60).collect();
    if v.len() < value.len() {
        v.push('…');
    }
    format!("'{v}'")
}

/// An amount read from a file.
#[derive(Debug, Clone, Copy)]
pub struct Amount {
    pub value: Decimal,
}

/// Payment split slots, in `cost_lines` column order after `billed_cost`.
pub const PAID_COUPON: usize = 0;
pub const PAID_VOUCHER: usize = 1;
pub const PAID_COMPLIMENTARY: usize = 2;
pub const PAID_CASH: usize = 3;
pub const PAID_CARD: usize = 4;
pub const PAID_CREDIT: usize = 5;
pub const PAID_ARREARS: usize = 6;
pub const PAID_REVENUE: usize = 7;
/// Slots of the payment split.
pub const NPAID: usize = 8;

impl Row<'_> {
    /// The provider the line's billing account belongs to.
    pub fn billing_provider(&self) -> &str {
        self.account_provider.unwrap_or(&self.provider)
    }
}

/// One record mapped onto the cost-line model, borrowing from the record where it can.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    /// The provider the line names (FOCUS 1.3: a marketplace line names the seller).
    pub provider: Cow<'a, str>,
    /// The provider that holds the billing account, when the file names it apart from the
    /// line's provider (FOCUS 1.3: `InvoiceIssuerName`, since 1.3's billing account ids are the
    /// invoice issuer's). `None`: the line's provider.
    pub account_provider: Option<&'a str>,
    pub account: &'a str,
    pub sub_id: Option<&'a str>,
    pub sub_name: Option<&'a str>,
    pub month: [u8; 7],
    pub charge_start: Option<DateTime<Utc>>,
    pub charge_end: Option<DateTime<Utc>>,
    pub category: &'static str,
    pub charge_class: Option<&'static str>,
    pub description: Option<&'a str>,
    pub service: &'a str,
    pub service_category: Option<&'a str>,
    pub resource_id: Option<&'a str>,
    pub resource_name: Option<&'a str>,
    pub region: Option<&'a str>,
    pub sku_id: Option<&'a str>,
    pub pricing_quantity: Option<Amount>,
    pub pricing_unit: Option<&'a str>,
    pub currency: Cow<'a, str>,
    /// Column of the currency (or of the account when the format has none), for messages.
    pub currency_column: usize,
    /// Where the currency comes from, for messages.
    pub currency_from: CurrencyFrom,
    pub list_cost: Option<Amount>,
    pub contracted_cost: Option<Amount>,
    pub effective_cost: Amount,
    pub billed_cost: Amount,
    pub paid: [Option<Amount>; NPAID],
    pub invoice_id: Option<&'a str>,
    pub tags: Option<Cow<'a, str>>,
    /// FOCUS: BillingPeriodEnd, for the provisional/final rule.
    pub period_end: Option<DateTime<Utc>>,
}

/// Reads the fields of one record, recording every bad value instead of stopping at the first.
pub struct Fields<'r> {
    pub rec: &'r csv::StringRecord,
    pub header: &'r [String],
    pub line: u64,
    pub errors: Vec<RowError>,
}

impl<'r> Fields<'r> {
    pub fn new(rec: &'r csv::StringRecord, header: &'r [String], line: u64) -> Self {
        Fields {
            rec,
            header,
            line,
            errors: Vec::new(),
        }
    }

    fn column_name(&self, col: usize) -> String {
        self.header
            .get(col)
            .cloned()
            .unwrap_or_else(|| format!("#{}", col + 1))
    }

    /// Records a problem with column `col`.
    pub fn fail(&mut self, col: usize, problem: String) {
        let column = self.column_name(col);
        self.errors.push(RowError {
            line: self.line,
            column,
            problem,
        });
    }

    /// Records that `value` of column `col` is not what was expected.
    pub fn bad(&mut self, col: usize, value: &str, expected: Expected) {
        self.fail(col, format!("{} is not {expected}", quote(value.trim())));
    }

    /// The raw field (not null-checked).
    pub fn raw(&self, col: Option<usize>) -> Option<&'r str> {
        col.and_then(|c| self.rec.get(c))
    }

    /// The value of a column, `None` when the column is absent or the value null.
    pub fn text(&self, col: Option<usize>) -> Option<&'r str> {
        self.raw(col).and_then(non_null)
    }

    /// A value that must be present.
    pub fn required(&mut self, col: usize, what: &str) -> Option<&'r str> {
        match self.text(Some(col)) {
            Some(v) => Some(v),
            None => {
                let shown = self.raw(Some(col)).unwrap_or("").trim().to_string();
                let problem = if shown.is_empty() {
                    format!("the value is empty, but {what} is required")
                } else {
                    format!("{} means no value, but {what} is required", quote(&shown))
                };
                self.fail(col, problem);
                None
            }
        }
    }

    /// An optional amount: `None` when null or bad (a bad one is recorded).
    pub fn amount(&mut self, col: Option<usize>) -> Option<Amount> {
        let c = col?;
        let v = self.text(col)?;
        match values::parse_amount(v) {
            Ok(value) => Some(Amount { value }),
            Err(e) => {
                self.bad(c, v, e);
                None
            }
        }
    }

    /// An amount that must be present.
    pub fn required_amount(&mut self, col: usize, what: &str) -> Option<Amount> {
        self.required(col, what)?;
        self.amount(Some(col))
    }

    /// An optional time.
    pub fn time(&mut self, col: Option<usize>, default_offset: i32) -> Option<DateTime<Utc>> {
        let c = col?;
        let v = self.text(col)?;
        match values::parse_time(v, default_offset) {
            Ok(t) => Some(t),
            Err(e) => {
                self.bad(c, v, e);
                None
            }
        }
    }
}

/// Where a line's currency comes from: messages about it name the source, since only a cell
/// holds the value they quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurrencyFrom {
    /// A cell of the line (`BillingCurrency`, Tencent's `Currency`).
    Cell,
    /// The mark after the amount columns' names (`($)`, `(元)`).
    Mark,
    /// `--currency`.
    Said,
    /// Billfold's reading of a Chinese header without a mark: yuan.
    Guessed,
}

impl CurrencyFrom {
    /// The currency as a message names it.
    pub fn describe(self, currency: &str) -> String {
        match self {
            CurrencyFrom::Cell => quote(currency),
            CurrencyFrom::Mark => format!("{currency} (the header's currency mark)"),
            CurrencyFrom::Said => format!("{currency} (--currency)"),
            CurrencyFrom::Guessed => format!(
                "{currency} (read for a Chinese header without a currency mark; --currency \
                 says otherwise)"
            ),
        }
    }
}

/// Text columns of a row in a batch: the account, month and currency.
pub const NTEXTS: usize = 3;
/// Label columns of a row (texts stored in `labels`), in this order: service, sub account,
/// provider, category, charge class, resource, region, SKU, tags, description, resource name,
/// sub account name, service category, pricing unit, invoice.
pub const NLABELS: usize = 15;
/// Amount columns of a row (stored as `store::amount_key` bytes), in this order: billed,
/// effective, list, cash coupons, pricing quantity, contracted, then the payment split
/// (voucher, complimentary, cash, card, credit, arrears, revenue).
pub const NAMOUNTS: usize = 13;
const NONE: (u32, u32) = (u32::MAX, 0);
/// A label column without a value.
pub const NO_LABEL: u32 = u32::MAX;

/// The compressed bytes of a batch's records, exactly as the file has them.
#[derive(Default)]
pub struct Chunk {
    /// Physical line where the chunk starts, and where its last record starts.
    pub first_line: u64,
    pub last_line: u64,
    /// Length once decompressed.
    pub bytes: u64,
    /// LZ4 block, size prepended.
    pub data: Vec<u8>,
}

/// The texts of a file numbered as they first appear (on the parsing thread), so that the
/// writing thread turns each into a label id once and then only indexes a vector. Bounded:
/// past `capacity` texts it starts afresh, and says so in the next batch.
pub struct LocalLabels {
    index: HashMap<Box<str>, u32, FxBuildHasher>,
    capacity: usize,
}

impl Default for LocalLabels {
    fn default() -> Self {
        LocalLabels {
            index: HashMap::with_capacity_and_hasher(4096, FxBuildHasher),
            capacity: crate::store::labels::DEFAULT_CAPACITY,
        }
    }
}

/// Rows ready to bind: their texts in one arena, their amounts in another (each column a span
/// of it), their labels as numbers of [`LocalLabels`], times as Unix seconds.
#[derive(Default)]
pub struct Batch {
    pub texts: String,
    pub text_spans: Vec<(u32, u32)>,
    pub amounts: Vec<u8>,
    pub amount_spans: Vec<(u32, u32)>,
    pub labels: Vec<u32>,
    /// Texts numbered for the first time in this batch: (number, span of `texts`).
    pub new_labels: Vec<(u32, (u32, u32))>,
    /// The numbering started afresh before this batch's labels.
    pub labels_reset: bool,
    pub times: Vec<Option<i64>>,
    pub lines: Vec<u64>,
    /// Accounts first seen in this batch: (account, provider, currency, line, column).
    pub new_accounts: Vec<NewAccountSeen>,
    /// The records' own bytes (when the import keeps them).
    pub chunk: Option<Chunk>,
    /// The last chunk's buffer, kept for the next one: a fresh megabyte per batch costs the
    /// parser a page fault per 4 KiB (measured 0.4 s of CPU per million lines).
    pub chunk_buffer: Vec<u8>,
    key: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct NewAccountSeen {
    pub account: String,
    pub provider: String,
    pub currency: String,
    pub line: u64,
    pub account_column: String,
    pub currency_column: String,
}

impl Batch {
    pub fn clear(&mut self) {
        self.texts.clear();
        self.text_spans.clear();
        self.amounts.clear();
        self.amount_spans.clear();
        self.labels.clear();
        self.new_labels.clear();
        self.labels_reset = false;
        self.times.clear();
        self.lines.clear();
        self.new_accounts.clear();
        if let Some(chunk) = self.chunk.take() {
            self.chunk_buffer = chunk.data;
        }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    fn span(&mut self, s: &str) -> (u32, u32) {
        let at = self.texts.len() as u32;
        self.texts.push_str(s);
        (at, s.len() as u32)
    }

    fn text(&mut self, s: Option<&str>) {
        let span = s.map_or(NONE, |s| self.span(s));
        self.text_spans.push(span);
    }

    fn label(&mut self, dict: &mut LocalLabels, s: Option<&str>) {
        let Some(s) = s else {
            self.labels.push(NO_LABEL);
            return;
        };
        if let Some(&n) = dict.index.get(s) {
            self.labels.push(n);
            return;
        }
        let n = dict.index.len() as u32;
        dict.index.insert(s.into(), n);
        let span = self.span(s);
        self.new_labels.push((n, span));
        self.labels.push(n);
    }

    fn amount(&mut self, a: Option<&Amount>) {
        match a {
            Some(a) => {
                crate::store::amount_key::encode_into(a.value, &mut self.key);
                let at = self.amounts.len() as u32;
                self.amounts.extend_from_slice(&self.key);
                self.amount_spans.push((at, self.key.len() as u32));
            }
            None => self.amount_spans.push(NONE),
        }
    }
    /// Appends a mapped row.
    pub fn push(&mut self, line: u64, row: &Row<'_>, dict: &mut LocalLabels) {
        // The numbering starts afresh only between batches, so a batch's numbers are one
        // numbering's (a batch may take the dictionary past its capacity by its own texts).
        if self.lines.is_empty() && dict.index.len() >= dict.capacity {
            dict.index.clear();
            self.labels_reset = true;
        }
        self.lines.push(line);
        self.text(Some(row.account));
        self.text(Some(std::str::from_utf8(&row.month).unwrap_or_default()));
        self.text(Some(&row.currency));
        for l in [
            Some(row.service),
            row.sub_id,
            Some(&row.provider),
            Some(row.category),
            row.charge_class,
            row.resource_id,
            row.region,
            row.sku_id,
            row.tags.as_deref(),
            row.description,
            row.resource_name,
            row.sub_name,
            row.service_category,
            row.pricing_unit,
            row.invoice_id,
        ] {
            self.label(dict, l);
        }
        self.amount(Some(&row.billed_cost));
        self.amount(Some(&row.effective_cost));
        self.amount(row.list_cost.as_ref());
        self.amount(row.paid[PAID_COUPON].as_ref());
        self.amount(row.pricing_quantity.as_ref());
        self.amount(row.contracted_cost.as_ref());
        for p in &row.paid[PAID_VOUCHER..] {
            self.amount(p.as_ref());
        }
        self.times.push(row.charge_start.map(|t| t.timestamp()));
        self.times.push(row.charge_end.map(|t| t.timestamp()));
    }

    /// The label numbers of row `i`, one per label column ([`NO_LABEL`] for none).
    pub fn labels(&self, i: usize) -> &[u32] {
        &self.labels[i * NLABELS..(i + 1) * NLABELS]
    }

    /// A text of the arena.
    pub fn text_at(&self, (at, len): (u32, u32)) -> &str {
        &self.texts[at as usize..(at + len) as usize]
    }

    /// The texts of row `i`, one per text column.
    pub fn texts(&self, i: usize) -> impl Iterator<Item = Option<&str>> {
        self.text_spans[i * NTEXTS..(i + 1) * NTEXTS]
            .iter()
            .map(|&(at, len)| {
                (at != u32::MAX).then(|| &self.texts[at as usize..(at + len) as usize])
            })
    }

    /// The amounts of row `i` (`amount_key` bytes), one per amount column.
    pub fn amounts(&self, i: usize) -> impl Iterator<Item = Option<&[u8]>> {
        self.amount_spans[i * NAMOUNTS..(i + 1) * NAMOUNTS]
            .iter()
            .map(|&(at, len)| {
                (at != u32::MAX).then(|| &self.amounts[at as usize..(at + len) as usize])
            })
    }

    /// Charge start and end of row `i`.
    pub fn times(&self, i: usize) -> (Option<i64>, Option<i64>) {
        (self.times[2 * i], self.times[2 * i + 1])
    }
}
