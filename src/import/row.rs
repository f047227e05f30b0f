//! The mapped row (what every format's mapper produces from one CSV record), the helpers a
//! mapper reads fields with (collecting every bad value), and the batches of bound column texts
//! the parsing thread hands to the writing thread.

use std::borrow::Cow;
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

/// An amount with its canonical stored text.
#[derive(Debug, Clone)]
pub struct Amount<'a> {
    pub value: Decimal,
    pub text: Cow<'a, str>,
}

/// Payment split slots, in `cost_lines` column order after `billed_cost`.
pub const PAID_COUPON: usize = 0;
pub const PAID_VOUCHER: usize = 1;
pub const PAID_COMPLIMENTARY: usize = 2;
pub const PAID_CASH: usize = 3;
pub const PAID_CARD: usize = 4;
pub const PAID_CREDIT: usize = 5;
pub const PAID_ARREARS: usize = 6;

/// One record mapped onto the cost-line model, borrowing from the record where it can.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub provider: Cow<'a, str>,
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
    pub pricing_quantity: Option<Amount<'a>>,
    pub pricing_unit: Option<&'a str>,
    pub currency: Cow<'a, str>,
    /// Column of the currency (or of the account when the format has none), for messages.
    pub currency_column: usize,
    pub list_cost: Option<Amount<'a>>,
    pub contracted_cost: Option<Amount<'a>>,
    pub effective_cost: Amount<'a>,
    pub billed_cost: Amount<'a>,
    pub paid: [Option<Amount<'a>>; 7],
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
    pub fn amount(&mut self, col: Option<usize>) -> Option<Amount<'r>> {
        let c = col?;
        let v = self.text(col)?;
        match values::parse_amount(v) {
            Ok(value) => Some(Amount {
                value,
                text: values::canonical(v, value),
            }),
            Err(e) => {
                self.bad(c, v, e);
                None
            }
        }
    }

    /// An amount that must be present.
    pub fn required_amount(&mut self, col: usize, what: &str) -> Option<Amount<'r>> {
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

/// Index of a per-row bound column in a batch (the statement's parameters 3..=35).
pub const NCOLS: usize = 33;
const NONE: (u32, u32) = (u32::MAX, 0);

/// Rows ready to bind: all their texts in one arena, each column a span of it.
#[derive(Default)]
pub struct Batch {
    pub arena: String,
    pub spans: Vec<(u32, u32)>,
    pub lines: Vec<u64>,
    /// Accounts first seen in this batch: (account, provider, currency, line, column).
    pub new_accounts: Vec<NewAccountSeen>,
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
        self.arena.clear();
        self.spans.clear();
        self.lines.clear();
        self.new_accounts.clear();
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    fn put(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                let at = self.arena.len() as u32;
                self.arena.push_str(s);
                self.spans.push((at, s.len() as u32));
            }
            None => self.spans.push(NONE),
        }
    }

    fn put_bytes(&mut self, b: &[u8]) {
        // Only ever called with ASCII produced by this module.
        self.put(Some(std::str::from_utf8(b).unwrap_or_default()));
    }

    fn put_time(&mut self, t: Option<DateTime<Utc>>) {
        match t {
            Some(t) => self.put_bytes(&values::db_time(t)),
            None => self.put(None),
        }
    }

    fn put_amount(&mut self, a: &Option<Amount<'_>>) {
        self.put(a.as_ref().map(|a| a.text.as_ref()));
    }

    /// Appends a mapped row and the raw record (as a JSON array of its fields).
    pub fn push(&mut self, line: u64, row: &Row<'_>, rec: &csv::StringRecord) {
        self.lines.push(line);
        self.put(Some(&row.provider));
        self.put(Some(row.account));
        self.put(row.sub_id);
        self.put(row.sub_name);
        self.put_bytes(&row.month);
        self.put_time(row.charge_start);
        self.put_time(row.charge_end);
        self.put(Some(row.category));
        self.put(row.charge_class);
        self.put(row.description);
        self.put(Some(row.service));
        self.put(row.service_category);
        self.put(row.resource_id);
        self.put(row.resource_name);
        self.put(row.region);
        self.put(row.sku_id);
        self.put_amount(&row.pricing_quantity);
        self.put(row.pricing_unit);
        self.put(Some(&row.currency));
        self.put_amount(&row.list_cost);
        self.put_amount(&row.contracted_cost);
        self.put(Some(&row.effective_cost.text));
        self.put(Some(&row.billed_cost.text));
        for p in &row.paid {
            self.put_amount(p);
        }
        self.put(row.invoice_id);
        self.put(row.tags.as_deref());
        // raw
        let at = self.arena.len() as u32;
        raw_json(&mut self.arena, rec);
        self.spans.push((at, self.arena.len() as u32 - at));
    }

    /// The texts of row `i`, one per bound column.
    pub fn row(&self, i: usize) -> impl Iterator<Item = Option<&str>> {
        self.spans[i * NCOLS..(i + 1) * NCOLS]
            .iter()
            .map(|&(at, len)| {
                (at != u32::MAX).then(|| &self.arena[at as usize..(at + len) as usize])
            })
    }
}

/// Writes the record as a JSON array of strings (the header is kept once per import).
pub fn raw_json(out: &mut String, rec: &csv::StringRecord) {
    out.push('[');
    for (i, f) in rec.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        if f.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            for c in f.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
        } else {
            out.push_str(f);
        }
        out.push('"');
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_json_round_trips() {
        let rec =
            csv::StringRecord::from(vec!["a", "b\"c", "tab\there", "{\"k\":\"v\"}", "\\", "é"]);
        let mut s = String::new();
        raw_json(&mut s, &rec);
        let back: Vec<String> = serde_json::from_str(&s).unwrap();
        assert_eq!(back, rec.iter().collect::<Vec<_>>());
    }
}
