//! Domain → transport: the only place that knows both the core's types and the DTOs.

use billfold::accounts::{Account, Org};
use billfold::money::to_text;
use billfold::overview as core;

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

/// Counts cross as `u32` (a TypeScript `number`); no ledger holds four billion orders.
fn count(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
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
            unpaid_orders: dto::UnpaidOrders {
                count: count(c.unpaid_orders.count),
                amount: to_text(c.unpaid_orders.amount),
                overdue_count: count(c.unpaid_orders.overdue_count),
                overdue_amount: to_text(c.unpaid_orders.overdue_amount),
            },
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

impl From<billfold::review::LineOut> for dto::BillLine {
    fn from(l: billfold::review::LineOut) -> Self {
        dto::BillLine {
            service: l.service,
            account: l.account,
            source_file: l.source_file,
            source_line: u32::try_from(l.source_line).unwrap_or(0),
            resource_id: l.resource_id,
            description: l.description,
            billed_cost: l.billed_cost,
            effective_cost: l.effective_cost,
        }
    }
}
