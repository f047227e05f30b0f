//! FOCUS (FinOps Open Cost and Usage Specification) 1.0–1.4 cost-and-usage CSV.
//!
//! Header names are matched without regard to case. Unknown columns (`x_` extensions, or
//! non-spec columns such as `Id`) are kept in the line's raw record.

use std::borrow::Cow;
use std::collections::HashMap;

use super::row::{CurrencyFrom, Fields, Row};
use super::values;
use super::{HeaderError, Mapper};

/// Columns each FOCUS version added (used to tell the version from a header).
const V11: &[&str] = &[
    "servicesubcategory",
    "capacityreservationid",
    "capacityreservationstatus",
    "commitmentdiscountquantity",
    "commitmentdiscountunit",
    "skumeter",
    "skupricedetails",
];
const V12: &[&str] = &[
    "billingaccounttype",
    "invoiceid",
    "pricingcurrency",
    "pricingcurrencycontractedunitprice",
    "pricingcurrencyeffectivecost",
    "pricingcurrencylistunitprice",
    "subaccounttype",
];
const V13: &[&str] = &[
    "serviceprovidername",
    "hostprovidername",
    "allocatedmethodid",
    "allocatedmethoddetails",
    "allocatedresourceid",
    "allocatedresourcename",
    "allocatedtags",
    "contractapplied",
];
/// The two Cost and Usage columns FOCUS 1.4 added, and the only ones (the spec's 1.3-to-1.4
/// migration guide, supporting_content/appendix/version_migration_guidance.md of
/// FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec; each column's "Introduced (version)" is 1.4).
/// `InvoiceDetailId` is required wherever the invoice issuer issues payable invoices, as cloud
/// providers do. Nothing else tells 1.4 from a header: the `ProviderName` and `PublisherName`
/// it removed may already be absent from a 1.3 file (1.3 deprecated them; the 1.3 fixture has
/// neither), and draft columns renamed or left out before ratification
/// (`CommitmentEligibilityDetails`, `TagDetails`) are no evidence. A 1.4 file with neither
/// column is read, and recorded, as 1.3, which reads it the same.
const V14: &[&str] = &["invoicedetailid", "commitmentprogrameligibilitydetails"];

/// Every column FOCUS 1.2 defines (57), in the spec's alphabetical order: the benchmark's header.
pub const FOCUS_12_COLUMNS: [&str; 57] = [
    "AvailabilityZone",
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingAccountType",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "CapacityReservationId",
    "CapacityReservationStatus",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountQuantity",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "CommitmentDiscountUnit",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceId",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingCurrency",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SkuId",
    "SkuMeter",
    "SkuPriceDetails",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "SubAccountType",
    "Tags",
];

/// Whether a header looks like FOCUS.
pub fn sniff(lower: &HashMap<String, usize>) -> bool {
    lower.contains_key("billedcost")
        && lower.contains_key("billingaccountid")
        && lower.contains_key("billingcurrency")
}

/// `1.0`, `1.1`, `1.2`, `1.3` or `1.4`, from the columns present: the latest version one of
/// whose added columns the header has.
pub fn version(lower: &HashMap<String, usize>) -> &'static str {
    let any = |cols: &[&str]| cols.iter().any(|c| lower.contains_key(*c));
    if any(V14) {
        "1.4"
    } else if any(V13) {
        "1.3"
    } else if any(V12) {
        "1.2"
    } else if any(V11) {
        "1.1"
    } else {
        "1.0"
    }
}

pub struct Focus {
    version: &'static str,
    billed: usize,
    effective: usize,
    list: Option<usize>,
    contracted: Option<usize>,
    account: usize,
    currency: usize,
    period_start: usize,
    period_end: Option<usize>,
    category: usize,
    class: Option<usize>,
    description: Option<usize>,
    charge_start: Option<usize>,
    charge_end: Option<usize>,
    service: Option<usize>,
    service_category: Option<usize>,
    provider: Option<usize>,
    service_provider: Option<usize>,
    /// `InvoiceIssuerName`, read only beside `ServiceProviderName` (FOCUS 1.3 and 1.4): there the
    /// billing account is the invoice issuer's, and a marketplace line's provider is the seller.
    /// Before 1.3 the account is `ProviderName`'s, as the line's provider.
    invoice_issuer: Option<usize>,
    region: Option<usize>,
    resource_id: Option<usize>,
    resource_name: Option<usize>,
    sku: Option<usize>,
    quantity: Option<usize>,
    unit: Option<usize>,
    sub_id: Option<usize>,
    sub_name: Option<usize>,
    invoice: Option<usize>,
    tags: Option<usize>,
}

impl Focus {
    /// Builds the mapper, or names the required columns the header lacks.
    pub fn new(lower: &HashMap<String, usize>) -> Result<Self, HeaderError> {
        let opt = |n: &str| lower.get(n).copied();
        let mut missing = Vec::new();
        let mut req = |n: &'static str, shown: &'static str| match lower.get(n) {
            Some(&i) => i,
            None => {
                missing.push(shown);
                0
            }
        };
        let billed = req("billedcost", "BilledCost");
        let effective = req("effectivecost", "EffectiveCost");
        let account = req("billingaccountid", "BillingAccountId");
        let currency = req("billingcurrency", "BillingCurrency");
        let period_start = req("billingperiodstart", "BillingPeriodStart");
        let category = req("chargecategory", "ChargeCategory");
        if opt("providername").is_none() && opt("serviceprovidername").is_none() {
            missing.push("ProviderName (FOCUS 1.3: ServiceProviderName)");
        }
        if !missing.is_empty() {
            return Err(HeaderError::Missing(missing));
        }
        Ok(Focus {
            version: version(lower),
            billed,
            effective,
            list: opt("listcost"),
            contracted: opt("contractedcost"),
            account,
            currency,
            period_start,
            period_end: opt("billingperiodend"),
            category,
            class: opt("chargeclass"),
            description: opt("chargedescription"),
            charge_start: opt("chargeperiodstart"),
            charge_end: opt("chargeperiodend"),
            service: opt("servicename"),
            service_category: opt("servicecategory"),
            provider: opt("providername"),
            service_provider: opt("serviceprovidername"),
            invoice_issuer: opt("serviceprovidername").and(opt("invoiceissuername")),
            region: opt("regionid"),
            resource_id: opt("resourceid"),
            resource_name: opt("resourcename"),
            sku: opt("skuid"),
            quantity: opt("pricingquantity"),
            unit: opt("pricingunit"),
            sub_id: opt("subaccountid"),
            sub_name: opt("subaccountname"),
            invoice: opt("invoiceid"),
            tags: opt("tags"),
        })
    }
}

/// ChargeCategory, whatever its casing.
pub fn category(v: &str) -> Option<&'static str> {
    const ALL: [&str; 5] = ["Usage", "Purchase", "Tax", "Credit", "Adjustment"];
    ALL.into_iter().find(|c| c.eq_ignore_ascii_case(v))
}

/// A currency code, upper-cased when an export wrote it in lower case.
pub fn currency<'a>(v: &'a str) -> Option<Cow<'a, str>> {
    if v.len() != 3 || !v.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_uppercase()) {
        Some(Cow::Borrowed(v))
    } else {
        Some(Cow::Owned(v.to_ascii_uppercase()))
    }
}

pub const EXPECTED_CURRENCY: &str = "a currency code: expected three letters such as USD or CNY";
pub const EXPECTED_CATEGORY: &str =
    "a ChargeCategory: expected Usage, Purchase, Tax, Credit or Adjustment (any casing)";
pub const EXPECTED_CLASS: &str = "a ChargeClass: expected Correction or an empty value";
pub const EXPECTED_TAGS: &str = "a JSON object of tags: expected text such as {\"env\": \"prod\"}";

/// Tags as a JSON object. Some exports double the quotes inside the JSON once more than CSV
/// quoting needs (`{""env"":""prod""}` after CSV unquoting): that form is undoubled.
pub fn tags(v: &str) -> Option<Cow<'_, str>> {
    fn is_object(t: &str) -> bool {
        t.trim_start().starts_with('{') && serde_json::from_str::<serde::de::IgnoredAny>(t).is_ok()
    }
    if is_object(v) {
        return Some(Cow::Borrowed(v));
    }
    let undoubled = v.replace("\"\"", "\"");
    let undoubled = undoubled
        .strip_prefix('"')
        .and_then(|u| u.strip_suffix('"'))
        .map(str::to_string)
        .unwrap_or(undoubled);
    is_object(&undoubled).then_some(Cow::Owned(undoubled))
}

impl Mapper for Focus {
    fn format(&self) -> String {
        format!("focus-{}", self.version)
    }

    fn native(&self) -> bool {
        false
    }

    fn map<'r>(&mut self, f: &mut Fields<'r>) -> Option<Row<'r>> {
        let provider = match f
            .text(self.service_provider)
            .or_else(|| f.text(self.provider))
        {
            Some(p) => Some(p),
            None => {
                let col = self.service_provider.or(self.provider).unwrap_or(0);
                f.required(col, "the provider's name");
                None
            }
        };
        let account = f.required(self.account, "the billing account id");
        let currency = match f.required(self.currency, "the billing currency") {
            Some(c) => match currency(c) {
                Some(c) => Some(c),
                None => {
                    f.bad(self.currency, c, EXPECTED_CURRENCY);
                    None
                }
            },
            None => None,
        };
        let period_start = match f.required(self.period_start, "the billing period start") {
            Some(_) => f.time(Some(self.period_start), 0),
            None => None,
        };
        let period_end = f.time(self.period_end, 0);
        let category = match f.required(self.category, "the charge category") {
            Some(c) => match category(c) {
                Some(c) => Some(c),
                None => {
                    f.bad(self.category, c, EXPECTED_CATEGORY);
                    None
                }
            },
            None => None,
        };
        let mut charge_class = None;
        if let Some(c) = f.text(self.class) {
            if c.eq_ignore_ascii_case("correction") {
                charge_class = Some("Correction");
            } else {
                f.bad(self.class.unwrap_or(0), c, EXPECTED_CLASS);
            }
        }
        let charge_start = f.time(self.charge_start, 0);
        let charge_end = f.time(self.charge_end, 0);
        let billed = f.required_amount(self.billed, "the billed cost");
        let effective = f.required_amount(self.effective, "the effective cost");
        let list = f.amount(self.list);
        let contracted = f.amount(self.contracted);
        let quantity = f.amount(self.quantity);
        let mut tag_text = None;
        if let Some(t) = f.text(self.tags) {
            match tags(t) {
                Some(t) => tag_text = Some(t),
                None => f.bad(self.tags.unwrap_or(0), t, EXPECTED_TAGS),
            }
        }
        if !f.errors.is_empty() {
            return None;
        }
        let (provider, account, currency, period_start, category, billed, effective) = (
            provider?,
            account?,
            currency?,
            period_start?,
            category?,
            billed?,
            effective?,
        );
        Some(Row {
            provider: Cow::Borrowed(provider),
            account_provider: f.text(self.invoice_issuer),
            account,
            sub_id: f.text(self.sub_id),
            sub_name: f.text(self.sub_name),
            month: values::month_at(period_start, 0),
            charge_start,
            charge_end,
            category,
            charge_class,
            description: f.text(self.description),
            service: f.text(self.service).unwrap_or(super::NO_SERVICE),
            service_category: f.text(self.service_category),
            resource_id: f.text(self.resource_id),
            resource_name: f.text(self.resource_name),
            region: f.text(self.region),
            sku_id: f.text(self.sku),
            pricing_quantity: quantity,
            pricing_unit: f.text(self.unit),
            currency,
            currency_column: self.currency,
            currency_from: CurrencyFrom::Cell,
            list_cost: list,
            contracted_cost: contracted,
            effective_cost: effective,
            billed_cost: billed,
            paid: Default::default(),
            invoice_id: f.text(self.invoice),
            tags: tag_text,
            period_end,
        })
    }

    fn has_invoice_column(&self) -> bool {
        self.invoice.is_some()
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
    fn tags_in_both_quotings() {
        assert_eq!(tags(r#"{"env":"prod"}"#).unwrap(), r#"{"env":"prod"}"#);
        assert_eq!(tags(r#"{""env"":""prod""}"#).unwrap(), r#"{"env":"prod"}"#);
        assert_eq!(
            tags(r#""{""env"":""prod""}""#).unwrap(),
            r#"{"env":"prod"}"#
        );
        assert!(tags("env=prod").is_none());
        assert!(tags("[1]").is_none());
    }

    fn header(cols: &str) -> HashMap<String, usize> {
        cols.split(',')
            .enumerate()
            .map(|(i, c)| (c.to_ascii_lowercase(), i))
            .collect()
    }

    #[test]
    fn versions_from_the_columns_they_added() {
        let v13 =
            "BilledCost,BillingAccountId,BillingCurrency,ServiceProviderName,HostProviderName";
        assert_eq!(version(&header(v13)), "1.3");
        assert_eq!(version(&header(&format!("{v13},InvoiceDetailId"))), "1.4");
        assert_eq!(
            version(&header(&format!(
                "{v13},CommitmentProgramEligibilityDetails"
            ))),
            "1.4"
        );
        // Either new column alone is enough, whatever else the header has (ProviderName too).
        let v12 = "BilledCost,BillingAccountId,BillingCurrency,ProviderName,InvoiceId";
        assert_eq!(version(&header(&format!("{v12},invoicedetailid"))), "1.4");
        // Columns of 1.4 drafts that did not make it into 1.4 prove nothing.
        for draft in ["CommitmentEligibilityDetails", "TagDetails"] {
            assert_eq!(
                version(&header(&format!("{v13},{draft}"))),
                "1.3",
                "{draft}"
            );
        }
    }

    #[test]
    fn enums_whatever_the_casing() {
        assert_eq!(category("usage"), Some("Usage"));
        assert_eq!(category("PURCHASE"), Some("Purchase"));
        assert_eq!(category("Refund"), None);
        assert_eq!(currency("usd").unwrap(), "USD");
        assert!(currency("US$").is_none());
    }
}
