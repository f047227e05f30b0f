//! Domain → transport: the only place that knows both the core's types and the DTOs.

use billfold::accounts::{Account, Org};
use billfold::costs::GroupBy;
use billfold::money::to_text;
use billfold::overview as core;
use billfold::review::{self, annotations, fx, reconcile};

use crate::dto;

impl From<billfold::Error> for dto::CommandError {
    fn from(e: billfold::Error) -> Self {
        use billfold::ErrorCode as C;
        let code = match e.code {
            C::InvalidInput => dto::ErrorCode::InvalidInput,
            C::NotFound => dto::ErrorCode::NotFound,
            C::Refused => dto::ErrorCode::Refused,
            C::Conflict => dto::ErrorCode::Conflict,
            C::Import => dto::ErrorCode::Import,
            C::CurrencyUnstated => dto::ErrorCode::CurrencyUnstated,
            C::LedgerTooNew => dto::ErrorCode::LedgerTooNew,
            C::Storage => dto::ErrorCode::Storage,
        };
        dto::CommandError {
            code,
            message: e.message,
        }
    }
}

impl dto::CommandError {
    pub fn internal(message: impl Into<String>) -> Self {
        dto::CommandError {
            code: dto::ErrorCode::Internal,
            message: message.into(),
        }
    }
}

impl From<dto::Scope> for core::Scope {
    fn from(s: dto::Scope) -> Self {
        match s {
            dto::Scope::All => core::Scope::All,
            dto::Scope::Account { id } => core::Scope::Account(id),
            dto::Scope::Org { id } => core::Scope::Org(id),
        }
    }
}

/// The scope the window opens on: the one it remembers when the ledger has it, else one
/// organization when every account belongs to it, else the only account, else every account.
/// `None` when there is no account (the empty state).
pub fn pick_scope(scopes: &dto::Scopes, asked: Option<dto::Scope>) -> Option<dto::Scope> {
    if scopes.accounts.is_empty() {
        return None;
    }
    let exists = |s: &dto::Scope| match s {
        dto::Scope::All => true,
        dto::Scope::Org { id } => scopes.orgs.iter().any(|o| &o.id == id),
        dto::Scope::Account { id } => scopes.accounts.iter().any(|a| &a.id == id),
    };
    if let Some(s) = asked.filter(exists) {
        return Some(s);
    }
    if let [org] = scopes.orgs.as_slice() {
        if scopes
            .accounts
            .iter()
            .all(|a| a.org.as_deref() == Some(&org.id))
        {
            return Some(dto::Scope::Org { id: org.id.clone() });
        }
    }
    if let [account] = scopes.accounts.as_slice() {
        return Some(dto::Scope::Account {
            id: account.id.clone(),
        });
    }
    Some(dto::Scope::All)
}

/// Counts cross as `u32` (a TypeScript `number`); no ledger holds four billion orders.
fn count(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Unpaid orders listed on the overview, at most: the figures count them all, the list stays a
/// few kilobytes whatever the ledger.
pub const MAX_UNPAID_ORDERS: usize = 20;

/// The unpaid orders of a block, the list cut to the [`MAX_UNPAID_ORDERS`] most pressing: the
/// overdue first, then the oldest (the core lists the oldest first and already cuts at
/// `overview::LIST_LIMIT`).
pub fn unpaid_orders(u: core::Unpaid) -> dto::UnpaidOrders {
    let mut orders = u.orders;
    orders.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then_with(|| a.at.cmp(&b.at))
            .then(a.entry_id.cmp(&b.entry_id))
    });
    orders.truncate(MAX_UNPAID_ORDERS);
    dto::UnpaidOrders {
        count: count(u.count),
        amount: to_text(u.amount),
        overdue_count: count(u.overdue_count),
        overdue_amount: to_text(u.overdue_amount),
        orders: orders
            .into_iter()
            .map(|o| dto::UnpaidOrder {
                // The core marks overdue at once on a prepaid account, so one not overdue yet
                // is a postpaid charge: due `POSTPAID_DUE_DAYS` after it.
                due_at: (!o.overdue)
                    .then(|| billfold::time::from_db(&o.at).ok())
                    .flatten()
                    .map(|t| {
                        billfold::time::to_db(t + chrono::Duration::days(core::POSTPAID_DUE_DAYS))
                    }),
                account: o.account,
                product: o.product,
                charged_at: o.at,
                amount: to_text(o.amount),
                overdue: o.overdue,
            })
            .collect(),
    }
}

impl From<&Org> for dto::OrgInfo {
    fn from(o: &Org) -> Self {
        dto::OrgInfo {
            id: o.id.clone(),
            mode: o.mode.as_str().to_string(),
        }
    }
}

impl From<&Account> for dto::AccountInfo {
    fn from(a: &Account) -> Self {
        dto::AccountInfo {
            id: a.id.clone(),
            name: a.name.clone(),
            provider: a.provider.clone(),
            currency: a.currency.code().to_string(),
            mode: a.mode.as_str().to_string(),
            org: a.org_id.clone(),
            role: a.role.map(|r| r.as_str().to_string()),
            alert_enabled: a.alert_enabled,
            alert_threshold: a.alert_threshold.map(to_text),
        }
    }
}

impl From<core::Overview> for dto::Overview {
    fn from(o: core::Overview) -> Self {
        dto::Overview {
            as_of: o.as_of,
            finance_mode: o.scope.finance_mode,
            currencies: o.currencies.into_iter().map(Into::into).collect(),
            renewals: dto::Renewals {
                due_30d: count(o.renewals.due_30d),
                expired: count(o.renewals.expired),
                frozen: count(o.renewals.frozen),
                items: o
                    .renewals
                    .items
                    .into_iter()
                    .map(|i| dto::RenewalItem {
                        state: i.state.to_string(),
                        id: i.resource.id,
                        account: i.resource.account_id,
                        product: i.resource.product,
                        region: i.resource.region,
                        expires_at: billfold::time::to_db(i.resource.expires_at),
                        auto_renew: i.resource.auto_renew,
                    })
                    .collect(),
            },
            alerts: o
                .alerts
                .into_iter()
                .map(|a| dto::Alert {
                    kind: a.kind.to_string(),
                    severity: match a.severity {
                        core::Severity::Critical => "critical",
                        core::Severity::Warning => "warning",
                        core::Severity::Info => "info",
                    }
                    .to_string(),
                    message: a.message,
                    account: a.account,
                    due_at: a.due_at,
                })
                .collect(),
            members: o
                .accounts
                .into_iter()
                .map(|r| dto::MemberRow {
                    id: r.id,
                    name: r.name,
                    provider: r.provider,
                    currency: r.currency.code().to_string(),
                    mode: r.mode.as_str().to_string(),
                    role: r.role.map(|x| x.as_str().to_string()),
                    available: to_text(r.available),
                })
                .collect(),
        }
    }
}

impl From<core::CurrencyBlock> for dto::CurrencyOverview {
    fn from(c: core::CurrencyBlock) -> Self {
        let b = c.balances;
        dto::CurrencyOverview {
            currency: c.currency.code().to_string(),
            modes: c.modes.iter().map(|m| m.to_string()).collect(),
            balances: dto::Balances {
                available: to_text(b.available),
                cash: to_text(b.cash),
                complimentary: to_text(b.complimentary),
                revenue: to_text(b.revenue),
                vouchers: to_text(b.vouchers),
                prepaid_cards: to_text(b.prepaid_cards),
                frozen: to_text(b.frozen),
                pending_withdrawals: to_text(b.pending_withdrawals),
                arrears: to_text(b.arrears),
                withdrawable: to_text(b.withdrawable),
            },
            unpaid_orders: unpaid_orders(c.unpaid_orders),
            cash_coupons: dto::CountAmount {
                count: count(c.cash_coupons.count),
                amount: to_text(c.cash_coupons.amount),
            },
            invoiceable: to_text(c.invoiceable),
            trend: c
                .trend
                .into_iter()
                .map(|m| dto::TrendMonth {
                    month: m.month,
                    amount: to_text(m.amount),
                    net_amount: to_text(m.net_amount),
                    services: m
                        .services
                        .into_iter()
                        .map(|s| dto::ServiceAmount {
                            service: s.service,
                            amount: to_text(s.amount),
                            net_amount: to_text(s.net_amount),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

// ---- bill review ----

/// Line and row numbers cross as `u32` too.
fn small(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(if n < 0 { 0 } else { u32::MAX })
}

fn size(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// An empty or blank text field of a form means "any".
fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// `YYYY-MM`, as the CLI checks it.
pub fn check_month(m: &str) -> Result<(), dto::CommandError> {
    let ok =
        m.len() == 7 && chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_ok();
    if ok {
        Ok(())
    } else {
        Err(billfold::Error::invalid(format!(
            "'{m}' is not a month: expected YYYY-MM such as 2026-11"
        ))
        .into())
    }
}

impl dto::ReviewFilter {
    /// Every line of a scope.
    pub fn of_scope(scope: dto::Scope) -> Self {
        dto::ReviewFilter {
            scope,
            account: None,
            provider: None,
            sub_account: None,
            service: None,
            region: None,
            category: None,
            resource: None,
            from: None,
            to: None,
            tag: None,
            text: None,
            currency: None,
        }
    }

    /// The core's filter: the scope becomes the account or organization the lines belong to.
    pub fn to_core(&self) -> Result<review::LineFilter, dto::CommandError> {
        let mut account = given(&self.account);
        let mut org = None;
        match &self.scope {
            dto::Scope::All => {}
            dto::Scope::Org { id } => org = Some(id.clone()),
            dto::Scope::Account { id } => match &account {
                Some(a) if a != id => {
                    return Err(billfold::Error::invalid(format!(
                        "the account '{a}' is outside the scope (the account '{id}')"
                    ))
                    .into())
                }
                _ => account = Some(id.clone()),
            },
        }
        let (from, to) = (given(&self.from), given(&self.to));
        for m in [&from, &to].into_iter().flatten() {
            check_month(m)?;
        }
        Ok(review::LineFilter {
            account,
            org,
            provider: given(&self.provider),
            sub_account: given(&self.sub_account),
            service: given(&self.service),
            region: given(&self.region),
            category: given(&self.category),
            resource: given(&self.resource),
            from,
            to,
            tag: given(&self.tag),
            text: given(&self.text),
            currency: given(&self.currency),
        })
    }

    /// The account the review's reconciliation covers: the scope's, else the filter's.
    pub fn account(&self) -> Option<String> {
        match &self.scope {
            dto::Scope::Account { id } => Some(id.clone()),
            _ => given(&self.account),
        }
    }
}

impl From<review::LineOut> for dto::Line {
    fn from(l: review::LineOut) -> Self {
        dto::Line {
            id: l.id,
            source_file: l.source_file,
            source_line: small(l.source_line),
            provider: l.provider,
            account: l.account,
            sub_account: l.sub_account,
            month: l.month,
            charge_start: l.charge_start,
            charge_end: l.charge_end,
            category: l.category,
            charge_class: l.charge_class,
            service: l.service,
            resource_id: l.resource_id,
            resource_name: l.resource_name,
            region: l.region,
            sku_id: l.sku_id,
            pricing_quantity: l.pricing_quantity,
            currency: l.currency,
            billed_cost: l.billed_cost,
            effective_cost: l.effective_cost,
            list_cost: l.list_cost,
            invoice_id: l.invoice_id,
            tags: l.tags,
            description: l.description,
            coupon_paid: l.coupon_paid,
            review: l.review,
        }
    }
}

impl From<review::LinePage> for dto::LinePage {
    fn from(p: review::LinePage) -> Self {
        dto::LinePage {
            page: size(p.page),
            page_size: size(p.page_size),
            total_lines: size(p.total_lines),
            totals: p
                .totals
                .into_iter()
                .map(|t| dto::CurrencyTotal {
                    currency: t.currency,
                    billed_cost: to_text(t.billed_cost),
                    lines: size(t.lines),
                })
                .collect(),
            lines: p.lines.into_iter().map(Into::into).collect(),
        }
    }
}

/// Groups listed at most: the rest are counted.
pub const MAX_GROUPS: usize = 200;

/// The groups of one dimension, bounded: chronological by month; otherwise per currency (amounts
/// of different currencies are not compared), largest billed first. When there are more than
/// `MAX_GROUPS`, each currency keeps its largest groups in turn, so none is crowded out.
pub fn groups(by: &GroupBy, all: Vec<billfold::costs::CostGroup>) -> dto::Groups {
    let name = by.name();
    let total = all.len();
    let mut groups: Vec<(rust_decimal::Decimal, dto::Group)> = all
        .into_iter()
        .map(|g| {
            let group = dto::Group {
                value: g.keys.get(&name).cloned().flatten(),
                currency: g.currency,
                billed_cost: to_text(g.billed_cost),
                effective_cost: to_text(g.effective_cost),
                list_cost: to_text(g.list_cost),
                net_cost: to_text(g.net_cost),
                lines: small(g.lines),
            };
            (g.billed_cost, group)
        })
        .collect();
    let month = *by == GroupBy::Month;
    let by_amount = |a: &(rust_decimal::Decimal, dto::Group),
                     b: &(rust_decimal::Decimal, dto::Group)| {
        a.1.currency
            .cmp(&b.1.currency)
            .then_with(|| b.0.cmp(&a.0))
            .then_with(|| a.1.value.cmp(&b.1.value))
    };
    if groups.len() > MAX_GROUPS {
        // Rank within each currency, keep the best ranks of all currencies.
        groups.sort_by(by_amount);
        let mut ranked: Vec<(usize, (rust_decimal::Decimal, dto::Group))> = Vec::new();
        let mut rank = 0;
        for (i, g) in groups.into_iter().enumerate() {
            if i > 0
                && ranked
                    .last()
                    .is_some_and(|(_, p)| p.1.currency != g.1.currency)
            {
                rank = 0;
            }
            ranked.push((rank, g));
            rank += 1;
        }
        ranked.sort_by_key(|(r, _)| *r);
        ranked.truncate(MAX_GROUPS);
        groups = ranked.into_iter().map(|(_, g)| g).collect();
    }
    if month {
        groups.sort_by(|a, b| {
            a.1.value
                .cmp(&b.1.value)
                .then_with(|| a.1.currency.cmp(&b.1.currency))
        });
    } else {
        groups.sort_by(by_amount);
    }
    dto::Groups {
        by: name,
        total_groups: size(total),
        groups: groups.into_iter().map(|(_, g)| g).collect(),
    }
}

/// The dimensions the explorer's filters offer, in the order of [`dto::Facets`]' fields.
pub const FACET_DIMENSIONS: [GroupBy; 7] = [
    GroupBy::Month,
    GroupBy::Account,
    GroupBy::Provider,
    GroupBy::SubAccount,
    GroupBy::Service,
    GroupBy::Region,
    GroupBy::Category,
];

/// The distinct values of each filter dimension, from the groups of every
/// [`FACET_DIMENSIONS`] at once.
pub fn facets(all: Vec<billfold::costs::CostGroup>) -> dto::Facets {
    use std::collections::BTreeSet;
    let mut sets: [BTreeSet<String>; 7] = Default::default();
    let mut currencies = BTreeSet::new();
    let names = FACET_DIMENSIONS.map(|d| d.name());
    for g in all {
        for (set, name) in sets.iter_mut().zip(&names) {
            if let Some(Some(v)) = g.keys.get(name) {
                if !set.contains(v) {
                    set.insert(v.clone());
                }
            }
        }
        currencies.insert(g.currency);
    }
    let [months, accounts, providers, members, services, regions, categories] =
        sets.map(|s| s.into_iter().collect::<Vec<_>>());
    dto::Facets {
        months,
        accounts,
        providers,
        members,
        services,
        regions,
        categories,
        currencies: currencies.into_iter().collect(),
    }
}

/// The core answers the original row as JSON: `fields` (ordered columns) or `row` (an object)
/// or `raw`, with a `note` when the line was not imported.
pub fn original_row(v: serde_json::Value) -> dto::OriginalRow {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let fields = match (v.get("fields"), v.get("row")) {
        (Some(serde_json::Value::Array(items)), _) => items
            .iter()
            .map(|f| dto::RowField {
                column: f.get("column").map(text).unwrap_or_default(),
                value: f.get("value").map(text).unwrap_or_default(),
            })
            .collect(),
        (_, Some(serde_json::Value::Object(map))) => map
            .iter()
            .map(|(k, v)| dto::RowField {
                column: k.clone(),
                value: text(v),
            })
            .collect(),
        _ => Vec::new(),
    };
    dto::OriginalRow {
        source_file: v.get("source_file").map(text).unwrap_or_default(),
        fields,
        raw: v.get("raw").filter(|r| !r.is_null()).map(text),
        note: v.get("note").filter(|r| !r.is_null()).map(text),
    }
}

/// Rows of the comparison listed at most, and unit-price changes.
pub const MAX_DIFF_ROWS: usize = 200;

fn diff_row(r: &review::DiffRow) -> dto::DiffRow {
    dto::DiffRow {
        key: r.key.clone(),
        service: r.service.clone(),
        currency: r.currency.clone(),
        status: r.status.to_string(),
        from_amount: to_text(r.from_amount),
        to_amount: to_text(r.to_amount),
        change: to_text(r.change),
        change_pct: r.change_pct.clone(),
    }
}

impl From<review::Diff> for dto::Diff {
    fn from(d: review::Diff) -> Self {
        let mut counts = dto::DiffCounts {
            new: 0,
            gone: 0,
            changed: 0,
            same: 0,
        };
        for r in &d.rows {
            match r.status {
                "new" => counts.new += 1,
                "gone" => counts.gone += 1,
                "same" => counts.same += 1,
                _ => counts.changed += 1,
            }
        }
        let moving = |key: &String, need_pct: bool| {
            d.rows
                .iter()
                .find(|r| {
                    &r.key == key && r.status != "same" && (!need_pct || r.change_pct.is_some())
                })
                .map(diff_row)
        };
        let movers_by_amount = d
            .movers_by_amount
            .iter()
            .filter_map(|k| moving(k, false))
            .collect();
        let movers_by_pct = d
            .movers_by_pct
            .iter()
            .filter_map(|k| moving(k, true))
            .collect();
        let rows = d
            .rows
            .iter()
            .filter(|r| r.status != "same")
            .take(MAX_DIFF_ROWS)
            .map(diff_row)
            .collect();
        dto::Diff {
            from: d.from,
            to: d.to,
            by: d.by.to_string(),
            counts,
            rows,
            movers_by_amount,
            movers_by_pct,
            total_unit_price_changes: size(d.unit_price_changes.len()),
            unit_price_changes: d
                .unit_price_changes
                .into_iter()
                .take(MAX_DIFF_ROWS)
                .map(|u| dto::UnitPriceChange {
                    resource: u.resource,
                    sku: u.sku,
                    currency: u.currency,
                    from_unit_price: u.from_unit_price,
                    to_unit_price: u.to_unit_price,
                })
                .collect(),
            corrections_total: u32::try_from(d.corrections_total).unwrap_or(u32::MAX),
            corrections: d
                .corrections
                .into_iter()
                .map(|l| dto::Correction {
                    id: l.id,
                    source_file: l.source_file,
                    source_line: small(l.source_line),
                    account: l.account,
                    month: l.month,
                    service: l.service,
                    resource_id: l.resource_id,
                    category: l.category,
                    charge_class: l.charge_class,
                    currency: l.currency,
                    billed_cost: l.billed_cost,
                })
                .collect(),
        }
    }
}

impl From<dto::MarkTarget> for annotations::Target {
    fn from(t: dto::MarkTarget) -> Self {
        let some = |a: Option<String>| given(&a);
        match t {
            dto::MarkTarget::Line { id } => annotations::Target::Line(id),
            dto::MarkTarget::Resource {
                resource,
                month,
                account,
            } => annotations::Target::Resource {
                resource,
                month,
                account: some(account),
            },
            dto::MarkTarget::Service {
                service,
                month,
                account,
            } => annotations::Target::Service {
                service,
                month,
                account: some(account),
            },
        }
    }
}

impl From<annotations::Annotation> for dto::Mark {
    fn from(a: annotations::Annotation) -> Self {
        dto::Mark {
            id: a.id,
            target: a.target,
            provider: a.provider,
            account: a.account,
            month: a.month,
            resource_id: a.resource_id,
            sku_id: a.sku_id,
            service: a.service,
            status: a.status,
            note: a.note,
            reviewer: a.reviewer,
            at: a.at,
            lines: small(a.lines),
            orphaned: a.orphaned,
            billed_when_marked: a.billed_when_marked.map(to_text),
            billed_now: a.billed_now.map(to_text),
            currency: a.currency,
            amount_changed: a.amount_changed,
        }
    }
}

/// Marks listed at most (the newest).
pub const MAX_MARKS: usize = 500;

pub fn marks(all: Vec<annotations::Annotation>) -> dto::Marks {
    dto::Marks {
        total: size(all.len()),
        orphaned: size(all.iter().filter(|a| a.orphaned).count()),
        marks: all.into_iter().take(MAX_MARKS).map(Into::into).collect(),
    }
}

/// Entry ids listed per failed balance assertion.
const MAX_ENTRY_IDS: usize = 20;

impl dto::Reconciliation {
    pub fn empty() -> Self {
        dto::Reconciliation {
            purses: reconcile::PURSES.iter().map(|p| p.to_string()).collect(),
            invoices: Vec::new(),
            assertions: Vec::new(),
            payment_split: Vec::new(),
            completeness: Vec::new(),
            signoffs: Vec::new(),
        }
    }

    /// Adds one account's (or every account's) reconciliation.
    pub fn extend(&mut self, r: reconcile::Reconciliation) {
        self.invoices
            .extend(r.invoices.into_iter().map(|i| dto::InvoiceCheck {
                invoice_id: i.invoice_id,
                account: i.account,
                currency: i.currency,
                invoice_amount: to_text(i.invoice_amount),
                lines_billed: to_text(i.lines_billed),
                difference: to_text(i.difference),
                lines: u32::try_from(i.lines).unwrap_or(u32::MAX),
                matches: i.matches,
            }));
        self.assertions.extend(r.assertions.into_iter().map(|a| {
            dto::AssertionCheck {
                account: a.account,
                purse: a.purse,
                at: a.at,
                provider_says: to_text(a.provider_says),
                ledger_says: to_text(a.ledger_says),
                difference: to_text(a.difference),
                matches: a.matches,
                entries_since: size(a.entries_since_last_match.len()),
                entry_ids: a
                    .entries_since_last_match
                    .into_iter()
                    .take(MAX_ENTRY_IDS)
                    .collect(),
            }
        }));
        self.payment_split
            .extend(r.payment_split.into_iter().map(|s| dto::SplitDeparture {
                line_id: s.line_id,
                account: s.account,
                source_file: s.source_file,
                source_line: small(s.source_line),
                message: s.message,
            }));
        self.completeness
            .extend(r.completeness.into_iter().map(|c| dto::Completeness {
                account: c.account,
                provider: c.provider,
                month: c.month,
                status: c.status,
                missing_days: c.missing_days,
            }));
        self.signoffs.extend(r.signoffs.into_iter().map(signoff));
    }
}

pub fn signoff(s: reconcile::SignoffCheck) -> dto::Signoff {
    dto::Signoff {
        account: s.account,
        month: s.month,
        currency: s.currency,
        signed_at: s.signed_at,
        reviewer: s.reviewer,
        signed_billed: to_text(s.signed_billed),
        current_billed: to_text(s.current_billed),
        difference: to_text(s.difference),
        signed_lines: small(s.signed_lines),
        current_lines: small(s.current_lines),
        changed: s.changed,
    }
}

impl From<fx::Rate> for dto::FxRate {
    fn from(r: fx::Rate) -> Self {
        dto::FxRate {
            from: r.from,
            to: r.to,
            on: r.on,
            rate: to_text(r.rate),
        }
    }
}

impl From<fx::Converted> for dto::Converted {
    fn from(c: fx::Converted) -> Self {
        dto::Converted {
            amount: to_text(c.amount),
            from: c.from,
            converted: to_text(c.converted),
            to: c.to,
            rate: to_text(c.rate),
            rate_date: c.rate_date,
            inverted: c.inverted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use billfold::costs::GroupBy;

    fn order(entry_id: i64, at: &str, overdue: bool) -> core::UnpaidOrder {
        core::UnpaidOrder {
            entry_id,
            account: format!("a-very-long-billing-account-name-{entry_id:04}"),
            product: Some("Elastic Compute Service, monthly subscription".into()),
            at: at.into(),
            amount: "123456789.1234567890".parse().unwrap(),
            overdue,
        }
    }

    /// The overview lists at most 20 unpaid orders, the overdue first then the oldest, with the
    /// total count; the block stays a few kilobytes whatever the ledger.
    #[test]
    fn unpaid_orders_are_listed_most_pressing_first_and_capped() {
        let mut orders = Vec::new();
        for i in 0..50 {
            // Old postpaid charges not due yet interleaved with younger overdue ones.
            let overdue = i % 2 == 1;
            let at = format!("2026-{:02}-{:02}T08:00:00Z", 1 + i / 28, 1 + i % 28);
            orders.push(order(i, &at, overdue));
        }
        orders.reverse();
        let u = core::Unpaid {
            count: 1_000,
            amount: "5000".parse().unwrap(),
            overdue_count: 500,
            overdue_amount: "2500".parse().unwrap(),
            orders,
        };
        let out = unpaid_orders(u);
        assert_eq!(out.count, 1_000, "the figure counts every order");
        assert_eq!(out.orders.len(), MAX_UNPAID_ORDERS);
        assert!(
            out.orders.iter().all(|o| o.overdue),
            "25 overdue: they fill the list"
        );
        assert!(out
            .orders
            .windows(2)
            .all(|w| w[0].charged_at < w[1].charged_at));
        assert_eq!(out.orders[0].charged_at, "2026-01-02T08:00:00Z");
        assert_eq!(out.orders[0].due_at, None);
        let bytes = serde_json::to_string(&out).unwrap().len();
        assert!(bytes < 5_000, "{bytes} bytes for one block's unpaid orders");

        let one = unpaid_orders(core::Unpaid {
            count: 2,
            orders: vec![
                order(2, "2026-11-20T00:00:00Z", false),
                order(1, "2026-11-01T00:00:00Z", true),
            ],
            ..Default::default()
        });
        assert_eq!(one.orders[0].charged_at, "2026-11-01T00:00:00Z");
        assert_eq!(
            one.orders[1].due_at.as_deref(),
            Some("2026-12-05T00:00:00Z")
        );
    }

    fn filter(scope: dto::Scope) -> dto::ReviewFilter {
        dto::ReviewFilter::of_scope(scope)
    }

    #[test]
    fn the_scope_becomes_the_lines_account_or_organization() {
        let mut f = filter(dto::Scope::Org { id: "acme".into() });
        f.service = Some("  CVM ".into());
        f.region = Some("   ".into());
        f.from = Some("2026-10".into());
        let c = f.to_core().unwrap();
        assert_eq!(c.org.as_deref(), Some("acme"));
        assert_eq!(c.account, None);
        assert_eq!(c.service.as_deref(), Some("CVM"), "trimmed");
        assert_eq!(c.region, None, "blank means any");
        assert_eq!(c.from.as_deref(), Some("2026-10"));
        assert_eq!(c.currency, None);
        f.currency = Some(" CNY ".into());
        assert_eq!(f.to_core().unwrap().currency.as_deref(), Some("CNY"));

        let mut f = filter(dto::Scope::Account { id: "a".into() });
        assert_eq!(f.to_core().unwrap().account.as_deref(), Some("a"));
        f.account = Some("a".into());
        assert_eq!(f.to_core().unwrap().account.as_deref(), Some("a"));
        f.account = Some("b".into());
        let e = f.to_core().unwrap_err();
        assert_eq!(e.code, dto::ErrorCode::InvalidInput);
        assert!(e.message.contains("outside the scope"), "{}", e.message);

        let mut f = filter(dto::Scope::All);
        f.to = Some("2026-13".into());
        let e = f.to_core().unwrap_err();
        assert_eq!(e.code, dto::ErrorCode::InvalidInput);
        assert!(e.message.contains("'2026-13' is not a month"));
    }

    #[test]
    fn the_window_opens_on_the_remembered_scope_else_a_default() {
        let account = |id: &str, org: Option<&str>| dto::AccountInfo {
            id: id.into(),
            name: None,
            provider: "Tencent Cloud".into(),
            currency: "USD".into(),
            mode: "prepaid".into(),
            org: org.map(Into::into),
            role: None,
            alert_enabled: false,
            alert_threshold: None,
        };
        let org = |id: &str| dto::OrgInfo {
            id: id.into(),
            mode: "unified".into(),
        };
        let acme = dto::Scopes {
            orgs: vec![org("acme")],
            accounts: vec![account("a", Some("acme")), account("b", Some("acme"))],
        };
        let acme_scope = dto::Scope::Org { id: "acme".into() };
        assert_eq!(pick_scope(&acme, None), Some(acme_scope.clone()));
        let b = dto::Scope::Account { id: "b".into() };
        assert_eq!(pick_scope(&acme, Some(b.clone())), Some(b));
        let gone = dto::Scope::Account { id: "gone".into() };
        assert_eq!(
            pick_scope(&acme, Some(gone.clone())),
            Some(acme_scope),
            "a remembered scope the ledger lacks"
        );
        assert_eq!(
            pick_scope(&acme, Some(dto::Scope::All)),
            Some(dto::Scope::All)
        );
        let one = dto::Scopes {
            orgs: vec![],
            accounts: vec![account("solo", None)],
        };
        let solo = dto::Scope::Account { id: "solo".into() };
        assert_eq!(pick_scope(&one, Some(gone.clone())), Some(solo));
        let mixed = dto::Scopes {
            orgs: vec![org("acme")],
            accounts: vec![account("a", Some("acme")), account("x", None)],
        };
        assert_eq!(pick_scope(&mixed, None), Some(dto::Scope::All));
        let empty = dto::Scopes {
            orgs: vec![],
            accounts: vec![],
        };
        assert_eq!(
            pick_scope(&empty, Some(dto::Scope::All)),
            None,
            "the empty state"
        );
    }

    #[test]
    fn original_rows_of_every_shape() {
        // Columns in the file's order.
        let r = original_row(serde_json::json!({
            "source_file": "f.csv", "source_line": 3,
            "row": {"A": "1", "B": "2"},
            "fields": [{"column": "B", "value": "2"}, {"column": "A", "value": "1"}],
        }));
        let cols: Vec<_> = r.fields.iter().map(|f| f.column.as_str()).collect();
        assert_eq!(cols, ["B", "A"]);
        // A header-keyed object only.
        let r =
            original_row(serde_json::json!({"source_file": "f.csv", "row": {"BilledCost": "1.5"}}));
        assert_eq!(r.fields[0].column, "BilledCost");
        assert_eq!(r.fields[0].value, "1.5");
        // A line recorded in Billfold.
        let r = original_row(
            serde_json::json!({"source_file": "ledger", "row": null, "note": "not imported"}),
        );
        assert!(r.fields.is_empty());
        assert_eq!(r.note.as_deref(), Some("not imported"));
        let r = original_row(serde_json::json!({"source_file": "ledger", "raw": null}));
        assert_eq!((r.raw, r.note), (None, None));
    }

    /// A ledger of `n` FOCUS lines over two months, imported through the core.
    fn ledger_with_lines(n: usize) -> (std::path::PathBuf, rusqlite::Connection) {
        let dir =
            std::env::temp_dir().join(format!("billfold-desktop-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("focus.csv");
        let mut csv = String::from(
            "BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,ChargeCategory,ChargeClass,ChargeDescription,ChargeFrequency,ChargePeriodEnd,ChargePeriodStart,ContractedCost,EffectiveCost,ListCost,PricingQuantity,PricingUnit,ProviderName,PublisherName,InvoiceIssuerName,RegionId,ResourceId,ResourceName,ServiceCategory,ServiceName,SkuId,SubAccountId,SubAccountName,Tags\n",
        );
        for i in 0..n {
            let (start, end, period) = if i % 2 == 0 {
                ("2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z", "2026-09-0")
            } else {
                ("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", "2026-10-0")
            };
            let day = 1 + i % 8;
            // Every tenth resource bills in yuan, on an account of its own.
            let (account, currency) = if (i / 2) % 10 == 9 {
                ("acct-0002", "CNY")
            } else {
                ("acct-0001", "USD")
            };
            csv.push_str(&format!(
                "{}.{:04},{account},Payer,{currency},{end},{start},Usage,,Compute hours for instance {i},Usage-Based,{period}{}T00:00:00Z,{period}{day}T00:00:00Z,1,1,2,{},Hours,AWS,AWS,AWS,us-east-1,i-{:012},web-{i},Compute,{},SKU-{},member-{},Member,\"{{\"\"team\"\":\"\"web\"\"}}\"\n",
                10 + i,
                i % 10_000,
                day + 1,
                1 + i % 5,
                i / 2,
                ["Amazon EC2", "Amazon S3", "Amazon RDS"][(i / 2) % 3],
                i % 4,
                i % 3,
            ));
        }
        std::fs::write(&file, csv).unwrap();
        let db = dir.join("ledger.sqlite");
        let mut conn = billfold::store::open(&db).unwrap();
        let at = billfold::time::parse("2026-11-23T09:00:00Z").unwrap();
        let opts = billfold::import::Options {
            format: billfold::import::Format::Auto,
            at,
            progress: false,
            settle: false,
            currency: None,
            expect_sha256: None,
        };
        billfold::import::import_file(&mut conn, &file, &opts).unwrap();
        (dir, conn)
    }

    /// What crosses IPC for the Bills page stays small whatever the ledger: a page of 100
    /// lines, bounded groups, a bounded comparison.
    #[test]
    fn bills_payloads_are_bounded() {
        let (dir, conn) = ledger_with_lines(1200);
        let all = dto::ReviewFilter::of_scope(dto::Scope::All);
        let f = all.to_core().unwrap();
        let page: dto::LinePage = review::lines(&conn, &f, review::SortBy::Billed, 1)
            .unwrap()
            .into();
        assert_eq!(page.total_lines, 1200);
        assert_eq!(page.lines.len(), 100);
        let lines_bytes = serde_json::to_string(&page).unwrap().len();
        let by = GroupBy::Resource;
        let g = groups(
            &by,
            review::groups(&conn, &f, std::slice::from_ref(&by)).unwrap(),
        );
        assert_eq!(g.groups.len(), MAX_GROUPS);
        let groups_bytes = serde_json::to_string(&g).unwrap().len();
        let d: dto::Diff = review::diff(&conn, &f, "2026-09", "2026-10", review::DiffBy::Resource)
            .unwrap()
            .into();
        assert_eq!(
            d.counts.new + d.counts.gone + d.counts.changed + d.counts.same,
            600
        );
        assert!(d.rows.len() <= MAX_DIFF_ROWS);
        let diff_bytes = serde_json::to_string(&d).unwrap().len();
        eprintln!(
            "payloads on 1,200 lines: a page of lines {lines_bytes} B, 200 resource groups {groups_bytes} B, \
             month over month by resource {diff_bytes} B"
        );
        assert!(lines_bytes < 100_000, "{lines_bytes}");
        assert!(groups_bytes < 50_000, "{groups_bytes}");
        assert!(diff_bytes < 100_000, "{diff_bytes}");
        drop(conn);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn groups_are_ordered_and_bounded_and_facets_distinct() {
        let (dir, conn) = ledger_with_lines(450);
        let f = dto::ReviewFilter::of_scope(dto::Scope::All)
            .to_core()
            .unwrap();
        let group = |by: GroupBy| {
            groups(
                &by,
                review::groups(&conn, &f, std::slice::from_ref(&by)).unwrap(),
            )
        };
        let months = group(GroupBy::Month);
        let m: Vec<_> = months
            .groups
            .iter()
            .map(|g| g.value.clone().unwrap())
            .collect();
        assert_eq!(
            m,
            ["2026-09", "2026-09", "2026-10", "2026-10"],
            "chronological"
        );
        let c: Vec<_> = months.groups.iter().map(|g| g.currency.as_str()).collect();
        assert_eq!(c, ["CNY", "USD", "CNY", "USD"], "then per currency");
        let resources = group(GroupBy::Resource);
        assert_eq!(resources.total_groups, 225);
        assert_eq!(resources.groups.len(), MAX_GROUPS);
        let amounts: Vec<rust_decimal::Decimal> = resources
            .groups
            .iter()
            .map(|g| g.billed_cost.parse().unwrap())
            .collect();
        // Per currency (CNY first), largest first; each currency keeps its largest groups.
        let cny = resources
            .groups
            .iter()
            .filter(|g| g.currency == "CNY")
            .count();
        assert_eq!(cny, 22, "every yuan resource kept");
        assert!(resources.groups[..cny].iter().all(|g| g.currency == "CNY"));
        assert!(
            amounts[..cny].windows(2).all(|w| w[0] >= w[1]),
            "largest first"
        );
        assert!(
            amounts[cny..].windows(2).all(|w| w[0] >= w[1]),
            "largest first"
        );
        assert_eq!(
            resources.groups[0].billed_cost, "897.0877",
            "448.0438 + 449.0439: the largest CNY"
        );
        assert_eq!(
            resources.groups[cny].billed_cost, "917.0897",
            "the largest USD"
        );
        let tags = group(GroupBy::Tag("team".into()));
        assert_eq!(tags.groups[0].value.as_deref(), Some("web"));
        assert_eq!(tags.groups[0].currency, "CNY");
        assert_eq!(tags.groups[0].lines + tags.groups[1].lines, 450);

        let fc = facets(review::groups(&conn, &f, &FACET_DIMENSIONS).unwrap());
        assert_eq!(fc.months, ["2026-09", "2026-10"]);
        assert_eq!(fc.services, ["Amazon EC2", "Amazon RDS", "Amazon S3"]);
        assert_eq!(fc.members, ["member-0", "member-1", "member-2"]);
        assert_eq!(fc.regions, ["us-east-1"]);
        assert_eq!(fc.currencies, ["CNY", "USD"]);
        assert_eq!(fc.accounts, ["acct-0001", "acct-0002"]);

        // A per-currency figure narrows to its currency: only the yuan lines.
        let mut cny = dto::ReviewFilter::of_scope(dto::Scope::All);
        cny.currency = Some("CNY".into());
        let page: dto::LinePage =
            review::lines(&conn, &cny.to_core().unwrap(), review::SortBy::Billed, 1)
                .unwrap()
                .into();
        assert_eq!(page.total_lines, 44);
        assert!(page.lines.iter().all(|l| l.currency == "CNY"));
        assert_eq!(page.totals.len(), 1);
        assert_eq!(page.totals[0].currency, "CNY");
        drop(conn);
        let _ = std::fs::remove_dir_all(dir);
    }
}
