//! Huawei Cloud expenditure details (`PriceFactorBillDetail` CSV). Times carry `GMT+08:00`
//! (a time without one is CST); 消费时间 may be a range of two times; the month is 账期; the
//! sub account is the enterprise project (企业项目).

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::row::{
    Fields, Row, NPAID, PAID_ARREARS, PAID_CARD, PAID_CASH, PAID_COUPON, PAID_CREDIT, PAID_VOUCHER,
};
use super::values::{self, CST_OFFSET_SECS};
use super::{find, CurrencyFrom, HeaderError, Mapper};

pub const PROVIDER: &str = "Huawei Cloud";

const MONTH: &[&str] = &["账期", "billingcycle"];
const PROJECT_ID: &[&str] = &["企业项目id", "enterpriseprojectid"];
const PROJECT: &[&str] = &["企业项目", "enterpriseproject"];
/// The English field lists name it "Account Name".
const ACCOUNT: &[&str] = &["账号", "account", "accountname"];
const SERVICE: &[&str] = &["产品类型", "servicetype"];
const PRODUCT: &[&str] = &["产品", "product"];
const MODE: &[&str] = &["计费模式", "billingmode"];
const CONSUMED: &[&str] = &["消费时间", "expendituretime"];
const START: &[&str] = &["使用开始时间", "starttime"];
const END: &[&str] = &["使用结束时间", "endtime"];
const BILL_TYPE: &[&str] = &["账单类型", "billtype"];
const RESOURCE: &[&str] = &["资源id", "resourceid"];
const NAME: &[&str] = &["资源名称", "resourcename"];
const TAGS: &[&str] = &["资源标签", "resourcetag"];
const SKU: &[&str] = &["sku编码", "skucode"];
const REGION: &[&str] = &["区域编码", "regioncode"];
const USAGE: &[&str] = &["使用量", "usage"];
const USAGE_UNIT: &[&str] = &["使用量单位", "usageunit"];
const LIST: &[&str] = &["官网价", "listprice"];
const DUE: &[&str] = &["应付金额", "amountdue"];
const CASH: &[&str] = &["现金支付", "cashpayment"];
const CREDIT: &[&str] = &["信用额度支付", "creditpayment"];
const VOUCHER: &[&str] = &["代金券抵扣", "cashcoupondeduction"];
const COUPON: &[&str] = &["现金券抵扣", "flexi-purchasecoupondeduction"];
const CARD: &[&str] = &["储值卡抵扣", "stored-valuecarddeduction"];
const ARREARS: &[&str] = &["欠费金额", "amountinarrears"];

/// The currency of the amounts and where it comes from ([`super::header_currency`]: the
/// marks Huawei puts after the amount columns' names, `($)` on the international site, `(¥)` or
/// `(元)` on the Chinese one; `--currency`; yuan for a Chinese header). An English header with
/// none of them is refused: which currency it means cannot be told.
fn currency(
    header: &[String],
    due: usize,
    said: Option<&str>,
) -> Result<(Cow<'static, str>, CurrencyFrom), HeaderError> {
    super::header_currency(header, due, said)?.ok_or_else(|| {
        HeaderError::CurrencyUnstated(format!(
            "the header does not say the currency of its amounts ({}): expected the \
             currency after the amount columns' names, as Huawei writes them: ($) or (¥); \
             say it with --currency (CNY or USD), or add it to the header",
            header[due]
        ))
    })
}

pub fn sniff(cols: &HashMap<String, usize>) -> bool {
    find(cols, MONTH).is_some() && find(cols, DUE).is_some()
}

pub struct Huawei {
    month: usize,
    account: usize,
    service: usize,
    due: usize,
    currency: Cow<'static, str>,
    currency_from: CurrencyFrom,
    project_id: Option<usize>,
    project: Option<usize>,
    product: Option<usize>,
    mode: Option<usize>,
    consumed: Option<usize>,
    start: Option<usize>,
    end: Option<usize>,
    bill_type: Option<usize>,
    resource: Option<usize>,
    name: Option<usize>,
    tags: Option<usize>,
    sku: Option<usize>,
    region: Option<usize>,
    usage: Option<usize>,
    usage_unit: Option<usize>,
    list: Option<usize>,
    paid: [Option<usize>; NPAID],
}

impl Huawei {
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
        let month = req(MONTH, "账期 (Billing Cycle)");
        let account = req(ACCOUNT, "账号 (Account Name)");
        let service = req(SERVICE, "产品类型 (Service Type)");
        let due = req(DUE, "应付金额(¥) (Amount Due)");
        if !missing.is_empty() {
            return Err(HeaderError::Missing(missing));
        }
        let (currency, currency_from) = currency(header, due, said)?;
        let mut paid = [None; NPAID];
        paid[PAID_COUPON] = find(cols, COUPON);
        paid[PAID_VOUCHER] = find(cols, VOUCHER);
        paid[PAID_CASH] = find(cols, CASH);
        paid[PAID_CARD] = find(cols, CARD);
        paid[PAID_CREDIT] = find(cols, CREDIT);
        paid[PAID_ARREARS] = find(cols, ARREARS);
        Ok(Huawei {
            month,
            account,
            service,
            due,
            currency,
            currency_from,
            project_id: find(cols, PROJECT_ID),
            project: find(cols, PROJECT),
            product: find(cols, PRODUCT),
            mode: find(cols, MODE),
            consumed: find(cols, CONSUMED),
            start: find(cols, START),
            end: find(cols, END),
            bill_type: find(cols, BILL_TYPE),
            resource: find(cols, RESOURCE),
            name: find(cols, NAME),
            tags: find(cols, TAGS),
            sku: find(cols, SKU),
            region: find(cols, REGION),
            usage: find(cols, USAGE),
            usage_unit: find(cols, USAGE_UNIT),
            list: find(cols, LIST),
            paid,
        })
    }
}

/// The charge category of a Huawei bill type (账单类型), falling back on the billing mode.
pub fn category(bill_type: Option<&str>, mode: Option<&str>) -> &'static str {
    let t = bill_type.unwrap_or("").to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if has(&["退款", "退订", "refund"]) {
        "Credit"
    } else if has(&["调账", "adjust"]) {
        "Adjustment"
    } else if has(&[
        "新购", "续订", "续费", "变更", "purchase", "renew", "change",
    ]) {
        "Purchase"
    } else if has(&["使用", "use", "usage"]) {
        "Usage"
    } else {
        let m = mode.unwrap_or("").to_lowercase();
        if m.contains("包年") || m.contains("包月") || m.contains("yearly") || m.contains("monthly")
        {
            "Purchase"
        } else {
            "Usage"
        }
    }
}

pub const EXPECTED_RANGE: &str = "a time or a range of two times: expected 2020-08-23 22:00:00 GMT+08:00 or 2020-08-23 22:00:00 GMT+08:00 ~ 2020-08-23 23:00:00 GMT+08:00";

/// 消费时间: one time, or two separated by `~`, ` - `, `至` or ` to `.
pub fn parse_range(v: &str) -> Result<(DateTime<Utc>, Option<DateTime<Utc>>), &'static str> {
    for sep in ["~", "～", " - ", "至", " to "] {
        if let Some((a, b)) = v.split_once(sep) {
            let a = values::parse_time(a, CST_OFFSET_SECS).map_err(|_| EXPECTED_RANGE)?;
            let b = values::parse_time(b, CST_OFFSET_SECS).map_err(|_| EXPECTED_RANGE)?;
            return Ok((a, Some(b)));
        }
    }
    values::parse_time(v, CST_OFFSET_SECS)
        .map(|t| (t, None))
        .map_err(|_| EXPECTED_RANGE)
}

/// 资源标签: `k1=v1;k2=v2` (also `:` and `,`/`|` separators) as a JSON object, or the text
/// under the key `""` when it is not in that form (a part without `=`, or a key given two
/// values, one of which the object would lose).
pub fn tags(v: &str) -> String {
    let as_text = || {
        super::tencent::tag_object(std::iter::once((String::new(), v.to_string())))
            .unwrap_or_default()
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for part in v
        .split([';', '；', ',', '|'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let Some((k, val)) = part.split_once(['=', ':']) else {
            return as_text();
        };
        let (k, val) = (k.trim(), val.trim());
        match pairs.iter().find(|(key, _)| key == k) {
            Some((_, before)) if before != val => return as_text(),
            Some(_) => {}
            None => pairs.push((k.to_string(), val.to_string())),
        }
    }
    super::tencent::tag_object(pairs.into_iter()).unwrap_or_else(|| "{}".into())
}

impl Mapper for Huawei {
    fn format(&self) -> String {
        "huawei".into()
    }

    fn native(&self) -> bool {
        true
    }

    fn map<'r>(&mut self, f: &mut Fields<'r>) -> Option<Row<'r>> {
        let month = match f.required(self.month, "the billing cycle (账期)") {
            Some(m) => match values::parse_month(m) {
                Ok(m) => Some(m),
                Err(e) => {
                    f.bad(self.month, m, e);
                    None
                }
            },
            None => None,
        };
        let account = f.required(self.account, "the account (账号)");
        let service = f.required(self.service, "the service type (产品类型)");
        let due = f.required_amount(self.due, "the amount due (应付金额)");
        let list = f.amount(self.list);
        let quantity = f.amount(self.usage);
        let mut paid: [Option<_>; NPAID] = Default::default();
        for (slot, col) in paid.iter_mut().zip(self.paid) {
            *slot = f.amount(col);
        }
        let mut start = f.time(self.start, CST_OFFSET_SECS);
        let mut end = f.time(self.end, CST_OFFSET_SECS);
        if let Some(c) = f.text(self.consumed) {
            match parse_range(c) {
                Ok((a, b)) => {
                    start = start.or(Some(a));
                    end = end.or(b);
                }
                Err(e) => f.bad(self.consumed.unwrap_or(0), c, e),
            }
        }
        if !f.errors.is_empty() {
            return None;
        }
        let (month, account, service, due) = (month?, account?, service?, due?);
        Some(Row {
            provider: Cow::Borrowed(PROVIDER),
            account_provider: None,
            account,
            sub_id: f.text(self.project_id).or_else(|| f.text(self.project)),
            sub_name: f.text(self.project),
            month,
            charge_start: start,
            charge_end: end,
            category: category(f.text(self.bill_type), f.text(self.mode)),
            charge_class: None,
            description: f.text(self.product),
            service,
            service_category: None,
            resource_id: f.text(self.resource),
            resource_name: f.text(self.name),
            region: f.text(self.region),
            sku_id: f.text(self.sku),
            pricing_quantity: quantity,
            pricing_unit: f.text(self.usage_unit),
            currency: self.currency.clone(),
            currency_column: self.due,
            currency_from: self.currency_from,
            list_cost: list,
            contracted_cost: None,
            effective_cost: due,
            billed_cost: due,
            paid,
            invoice_id: None,
            tags: f.text(self.tags).map(|t| Cow::Owned(tags(t))),
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
        self.due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumption_time_ranges() {
        let (a, b) =
            parse_range("2020-08-23 22:00:00 GMT+08:00 ~ 2020-08-23 23:00:00 GMT+08:00").unwrap();
        assert_eq!(crate::time::to_db(a), "2020-08-23T14:00:00Z");
        assert_eq!(crate::time::to_db(b.unwrap()), "2020-08-23T15:00:00Z");
        let (a, b) = parse_range("2020-08-23 22:00:00 GMT+08:00").unwrap();
        assert_eq!(crate::time::to_db(a), "2020-08-23T14:00:00Z");
        assert!(b.is_none());
        assert!(parse_range("yesterday").is_err());
    }

    #[test]
    fn resource_tags() {
        assert_eq!(tags("env=prod;team=fin"), r#"{"env":"prod","team":"fin"}"#);
        assert_eq!(tags("free text"), r#"{"":"free text"}"#);
        // A key twice: kept once when its values agree, else the whole text, nothing lost.
        assert_eq!(tags("env=prod;env=prod"), r#"{"env":"prod"}"#);
        assert_eq!(tags("env=prod;env=dev"), r#"{"":"env=prod;env=dev"}"#);
    }

    #[test]
    fn categories() {
        assert_eq!(category(Some("消费-使用"), None), "Usage");
        assert_eq!(category(Some("消费-新购"), None), "Purchase");
        assert_eq!(category(Some("退款-退订"), None), "Credit");
        assert_eq!(category(Some("调账-补偿"), None), "Adjustment");
        assert_eq!(category(None, Some("包年/包月")), "Purchase");
        assert_eq!(category(None, Some("按需")), "Usage");
    }
}
