//! Tencent Cloud bill details (L3 detail CSV), with the Chinese-site headers or the equivalent
//! English-site ones (or its partner bills', the same names written without spaces: header
//! names are compared without spaces). `-` is empty; times without an offset are China
//! Standard Time; the month is the month of 扣费时间 (Deduction Time) in CST; `标签键:<key>`
//! columns are tags.

use std::borrow::Cow;
use std::collections::HashMap;

use super::row::{Fields, Row, NPAID, PAID_CASH, PAID_COMPLIMENTARY, PAID_REVENUE, PAID_VOUCHER};
use super::values::{self, CST_OFFSET_SECS};
use super::{find, CurrencyFrom, HeaderError, Mapper};

pub const PROVIDER: &str = "Tencent Cloud";

const ACCOUNT: &[&str] = &["支付者uin", "payeraccountid", "payeruin"];
const OWNER: &[&str] = &["使用者uin", "owneraccountid", "owneruin"];
const PRODUCT: &[&str] = &["产品名称", "productname"];
/// The English site's field list names it "(Excluding Tax)": tax is in its own columns
/// ([`TAX`]).
const BILLED: &[&str] = &[
    "优惠后总价",
    "totalamountafterdiscount",
    "totalamountafterdiscount(excludingtax)",
    "优惠后总价(不含税)",
    "优惠后总价（不含税）",
];
const DEDUCTED: &[&str] = &["扣费时间", "deductiontime", "transactiontime"];
const MODE: &[&str] = &["计费模式", "billingmode"];
const REGION: &[&str] = &["地域", "region"];
const RESOURCE: &[&str] = &["资源id", "instanceid", "resourceid"];
const NAME: &[&str] = &["实例名称", "instancename", "resourcename"];
const SUB_PRODUCT: &[&str] = &["子产品名称", "sub-productname", "subproductname"];
const TX_TYPE: &[&str] = &["交易类型", "transactiontype"];
const START: &[&str] = &["开始使用时间", "usagestarttime"];
const END: &[&str] = &["结束使用时间", "usageendtime"];
const COMPONENT: &[&str] = &["组件名称", "componentname"];
const USAGE: &[&str] = &["组件用量", "componentusage"];
const USAGE_UNIT: &[&str] = &["组件用量单位", "componentusageunit"];
const ORIGINAL: &[&str] = &["组件原价", "originalcost"];
const VOUCHER: &[&str] = &["代金券支出", "voucherdeduction", "voucherpayment"];
const FREE: &[&str] = &[
    "赠送账户支出",
    "freecreditdeduction",
    "freecreditpayment",
    "complimentarycreditdeduction",
];
const CASH: &[&str] = &[
    "现金账户支出",
    "cashaccountdeduction",
    "cashdeduction",
    "cashpayment",
    "cashcreditdeduction",
];
/// The revenue-share account (newer exports): income from the open platform spent on fees.
/// Tencent's API documents spell it 分成账户支出.
const REVENUE: &[&str] = &[
    "分成金账户支出",
    "分成账户支出",
    "revenuesharededuction",
    "revenueaccountdeduction",
];
/// A line's tax, beside an amount after discount that says it excludes tax: the English site's
/// `Tax Amount` (partner bills: `TaxAmount`), computed on what vouchers leave to pay.
const TAX: &[&str] = &["taxamount", "税额", "税金"];
const CURRENCY: &[&str] = &["currency", "币种"];
const TAG_PREFIXES: &[&str] = &["标签键:", "标签键：", "tag:", "tag key:"];

/// The tag key of a dynamic tag column (`标签键:<key>`, `Tag:<key>`), as written.
fn tag_key(header: &str) -> Option<&str> {
    let h = header.trim();
    TAG_PREFIXES.iter().find_map(|p| {
        (h.len() > p.len() && h.is_char_boundary(p.len()) && h[..p.len()].eq_ignore_ascii_case(p))
            .then(|| h[p.len()..].trim())
    })
}

/// Whether a column is a tag column: its name is the tag's key, not one of the export's.
pub fn is_tag_column(header: &str) -> bool {
    tag_key(header).is_some()
}

pub fn sniff(cols: &HashMap<String, usize>) -> bool {
    find(cols, ACCOUNT).is_some() && find(cols, BILLED).is_some()
}

pub struct Tencent {
    account: usize,
    owner: Option<usize>,
    product: usize,
    billed: usize,
    deducted: usize,
    mode: Option<usize>,
    region: Option<usize>,
    resource: Option<usize>,
    name: Option<usize>,
    sub_product: Option<usize>,
    tx_type: Option<usize>,
    start: Option<usize>,
    end: Option<usize>,
    component: Option<usize>,
    usage: Option<usize>,
    usage_unit: Option<usize>,
    original: Option<usize>,
    /// The tax column, when the amount after discount says it excludes tax: the line's tax is
    /// part of what it costs the account (Tencent charges it with the line, after vouchers).
    tax: Option<usize>,
    voucher: Option<usize>,
    free: Option<usize>,
    cash: Option<usize>,
    revenue: Option<usize>,
    currency: Option<usize>,
    /// The currency of a line whose `Currency` cell is empty or absent
    /// ([`super::header_currency`]: the header's marks, `--currency`, yuan for a Chinese
    /// header); `None` when nothing tells, and such a line is refused.
    unsaid_currency: Option<(Cow<'static, str>, CurrencyFrom)>,
    tags: Vec<(usize, String)>,
}

impl Tencent {
    pub fn new(
        cols: &HashMap<String, usize>,
        header: &[String],
        said: Option<&str>,
    ) -> Result<Self, HeaderError> {
        let mut missing = Vec::new();
        let mut req = |names: &[&str], shown: &'static str| {
            find(cols, names).unwrap_or_else(|| {
                missing.push(shown);
                0
            })
        };
        let account = req(ACCOUNT, "支付者UIN (Payer Account ID)");
        let product = req(PRODUCT, "产品名称 (Product Name)");
        let billed = req(
            BILLED,
            "优惠后总价 (Total Amount After Discount, with or without \"(Excluding Tax)\")",
        );
        let deducted = req(DEDUCTED, "扣费时间 (Deduction Time or Transaction Time)");
        if !missing.is_empty() {
            return Err(HeaderError::Missing(missing));
        }
        let currency = find(cols, CURRENCY);
        let billed_name = super::header::normalize_header(&header[billed]);
        let excludes_tax = billed_name.contains("excludingtax") || billed_name.contains("不含税");
        let tax = find(cols, TAX).filter(|_| excludes_tax);
        let unsaid_currency = super::header_currency(header, billed, said)?;
        if unsaid_currency.is_none() && currency.is_none() {
            return Err(HeaderError::CurrencyUnstated(format!(
                "the header does not say the currency of its amounts ({}): expected a Currency \
                 column, as Tencent's English site writes it, or the currency after the amount \
                 columns' names, such as (元); say it with --currency, or add it to the header",
                header[billed]
            )));
        }
        let tags: Vec<(usize, String)> = header
            .iter()
            .enumerate()
            .filter_map(|(i, h)| tag_key(h).map(|k| (i, k.to_string())))
            .collect();
        // One tag key in two columns (`标签键:env` and `Tag:env`): a line's tags are one JSON
        // object, where one of the two values would be lost.
        for (n, (i, key)) in tags.iter().enumerate() {
            if let Some((j, _)) = tags[..n].iter().find(|(_, k)| k == key) {
                return Err(HeaderError::Problem(format!(
                    "the header names the tag key '{key}' twice ('{}' and '{}'): expected each \
                     tag key once",
                    header[*j], header[*i]
                )));
            }
        }
        Ok(Tencent {
            account,
            owner: find(cols, OWNER),
            product,
            billed,
            deducted,
            mode: find(cols, MODE),
            region: find(cols, REGION),
            resource: find(cols, RESOURCE),
            name: find(cols, NAME),
            sub_product: find(cols, SUB_PRODUCT),
            tx_type: find(cols, TX_TYPE),
            start: find(cols, START),
            end: find(cols, END),
            component: find(cols, COMPONENT),
            usage: find(cols, USAGE),
            usage_unit: find(cols, USAGE_UNIT),
            original: find(cols, ORIGINAL),
            tax,
            voucher: find(cols, VOUCHER),
            free: find(cols, FREE),
            cash: find(cols, CASH),
            revenue: find(cols, REVENUE),
            currency,
            unsaid_currency,
            tags,
        })
    }
}

/// The charge category of a Tencent transaction type (交易类型), falling back on the billing mode.
pub fn category(tx_type: Option<&str>, mode: Option<&str>) -> &'static str {
    let t = tx_type.unwrap_or("").to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if has(&["退", "refund"]) {
        "Credit"
    } else if has(&["调账", "adjust"]) {
        "Adjustment"
    } else if has(&[
        "新购",
        "续费",
        "升配",
        "降配",
        "变配",
        "purchase",
        "renew",
        "upgrade",
        "downgrade",
    ]) {
        "Purchase"
    } else if has(&["按量", "扣费", "deduct", "pay-as-you-go", "usage"]) {
        "Usage"
    } else {
        let m = mode.unwrap_or("").to_lowercase();
        if m.contains("包年包月") || m.contains("subscription") || m.contains("prepaid") {
            "Purchase"
        } else {
            "Usage"
        }
    }
}

/// Tags from dynamic tag columns, as a JSON object (None when no tag has a value).
pub fn tag_object(pairs: impl Iterator<Item = (String, String)>) -> Option<String> {
    let map: serde_json::Map<String, serde_json::Value> = pairs
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    (!map.is_empty()).then(|| serde_json::Value::Object(map).to_string())
}

impl Tencent {
    /// A line's currency and where it comes from: its `Currency` cell, which may not contradict
    /// the header's mark (the file would state two currencies for the same amounts), else the
    /// header's answer; a line neither tells is refused.
    fn line_currency<'r>(&self, f: &mut Fields<'r>) -> Option<(Cow<'r, str>, CurrencyFrom)> {
        let column = self.currency.unwrap_or(self.account);
        let Some(cell) = f.text(self.currency) else {
            if self.unsaid_currency.is_none() {
                f.fail(
                    column,
                    "the line does not say its currency, nor does the header: expected a \
                     currency code such as USD or CNY (or --currency to say it)"
                        .into(),
                );
            }
            return self.unsaid_currency.clone();
        };
        let Some(currency) = super::focus::currency(cell) else {
            f.bad(column, cell, super::focus::EXPECTED_CURRENCY);
            return None;
        };
        if let Some((marked, CurrencyFrom::Mark)) = &self.unsaid_currency {
            if *marked != currency {
                f.fail(
                    column,
                    format!(
                        "{} differs from the currency the header marks its amounts in \
                         ({marked}): expected the header's currency, or a header without marks",
                        super::row::quote(&currency)
                    ),
                );
                return None;
            }
        }
        Some((currency, CurrencyFrom::Cell))
    }
}

impl Mapper for Tencent {
    fn format(&self) -> String {
        "tencent".into()
    }

    fn native(&self) -> bool {
        true
    }

    fn map<'r>(&mut self, f: &mut Fields<'r>) -> Option<Row<'r>> {
        let account = f.required(self.account, "the payer's account id (支付者UIN)");
        let service = f.required(self.product, "the product name (产品名称)");
        let deducted = match f.required(self.deducted, "the deduction time (扣费时间)") {
            Some(_) => f.time(Some(self.deducted), CST_OFFSET_SECS),
            None => None,
        };
        let billed = f.required_amount(self.billed, "the amount after discount (优惠后总价)");
        let tax = f.amount(self.tax);
        let list = f.amount(self.original);
        let quantity = f.amount(self.usage);
        let voucher = f.amount(self.voucher);
        let free = f.amount(self.free);
        let cash = f.amount(self.cash);
        let revenue = f.amount(self.revenue);
        let start = f.time(self.start, CST_OFFSET_SECS);
        let end = f.time(self.end, CST_OFFSET_SECS);
        let currency = self.line_currency(f);
        if !f.errors.is_empty() {
            return None;
        }
        let (account, service, deducted, mut billed, (currency, currency_from)) =
            (account?, service?, deducted?, billed?, currency?);
        if let (Some(tax), Some(column)) = (tax, self.tax) {
            let Some(with_tax) = crate::money::exact_add(billed.value, tax.value) else {
                f.fail(
                    column,
                    "the amount after discount plus this tax exceeds 28 significant digits: \
                     expected amounts Billfold can hold exactly"
                        .into(),
                );
                return None;
            };
            billed.value = with_tax;
        }
        let tags = if self.tags.is_empty() {
            None
        } else {
            tag_object(
                self.tags
                    .iter()
                    .filter_map(|(i, k)| f.text(Some(*i)).map(|v| (k.clone(), v.to_string()))),
            )
            .map(Cow::Owned)
        };
        let mut paid: [Option<_>; NPAID] = Default::default();
        paid[PAID_VOUCHER] = voucher;
        paid[PAID_COMPLIMENTARY] = free;
        paid[PAID_CASH] = cash;
        paid[PAID_REVENUE] = revenue;
        Some(Row {
            provider: Cow::Borrowed(PROVIDER),
            account_provider: None,
            account,
            sub_id: self.owner.and_then(|c| f.text(Some(c))),
            sub_name: None,
            month: values::month_at(deducted, CST_OFFSET_SECS),
            charge_start: start,
            charge_end: end,
            category: category(f.text(self.tx_type), f.text(self.mode)),
            charge_class: None,
            description: f.text(self.component),
            service,
            service_category: f.text(self.sub_product),
            resource_id: f.text(self.resource),
            resource_name: f.text(self.name),
            region: f.text(self.region),
            sku_id: None,
            pricing_quantity: quantity,
            pricing_unit: f.text(self.usage_unit),
            currency,
            currency_column: self.currency.unwrap_or(self.account),
            currency_from,
            list_cost: list,
            contracted_cost: None,
            effective_cost: billed,
            billed_cost: billed,
            paid,
            invoice_id: None,
            tags,
            period_end: None,
        })
    }

    fn has_invoice_column(&self) -> bool {
        false
    }

    fn account_column(&self) -> usize {
        self.account
    }

    fn billed_column(&self) -> usize {
        self.billed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories() {
        assert_eq!(category(Some("按量计费扣费"), None), "Usage");
        assert_eq!(category(Some("包年包月新购"), None), "Purchase");
        assert_eq!(category(Some("包年包月退费"), None), "Credit");
        assert_eq!(category(Some("Refund"), None), "Credit");
        assert_eq!(category(Some("Adjustment"), None), "Adjustment");
        assert_eq!(category(None, Some("包年包月")), "Purchase");
        assert_eq!(category(None, Some("Pay-as-you-go")), "Usage");
    }
}
