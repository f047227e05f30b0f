// The overview page (SPEC §5; the look follows the shared UI sketch, `UI.md` beside SPEC.md in
// ../shared/, outside this repository): balances per currency, alerts, unpaid orders, cash
// coupons, invoiceable amount, renewals, members and the expenditure trend. Every figure made
// of bill lines (trend bars, months, services, renewing resources, member accounts) opens the
// Bills page's explorer already filtered to it.

import type { AccountInfo } from "../bindings/AccountInfo";
import type { Alert } from "../bindings/Alert";
import type { CurrencyOverview } from "../bindings/CurrencyOverview";
import type { UnpaidOrders } from "../bindings/UnpaidOrders";
import type { Overview } from "../bindings/Overview";
import type { Scope } from "../bindings/Scope";
import type { Scopes } from "../bindings/Scopes";
import type { TrendMonth } from "../bindings/TrendMonth";
import type { Backend } from "../backend/index";
import { h } from "../dom";
import { compareDecimal, formatAmount, formatCount, formatDate, formatMonth, isAmountInput, sumDecimals } from "../format";
import { type MessageKey, hasMessage, t } from "../i18n";
import { errorInfo, money } from "../widgets";
import type { BillsPreset } from "./context";

/** Draws the trend chart into `host`; returns a function that removes it. */
export type ChartFactory = (
  host: HTMLElement,
  trend: TrendMonth[],
  currency: string,
  locale: string,
  onSelect: (month: string, service: string | null) => void,
) => Promise<() => void>;

export interface OverviewHost {
  backend: Backend;
  locale: string;
  scope: Scope;
  scopes: Scopes;
  chart?: ChartFactory;
  /** Months of trend shown. */
  months: number;
  setMonths(months: number): void;
  /** Reloads scopes and overview (after a change). */
  reload(): Promise<void>;
  /** Opens the Bills page's explorer with this filter. */
  openBills(preset: BillsPreset): void;
  /** Runs work once the page is painted (the chart: the figures come first). */
  afterPaint(work: () => void): void;
  /** Registers a clean-up for when the page is replaced (the chart). */
  onDispose(dispose: () => void): void;
}

const SEVERITY_RANK: Record<string, number> = { critical: 0, warning: 1, info: 2 };

/** Most severe first; the core's order is kept within one severity. */
export function sortAlerts(alerts: Alert[]): Alert[] {
  const rank = (a: Alert) => SEVERITY_RANK[a.severity] ?? 3;
  return alerts
    .map((a, i) => [a, i] as const)
    .sort(([a, i], [b, j]) => rank(a) - rank(b) || i - j)
    .map(([a]) => a);
}

/** Draws the overview. With `previous` (the overview on screen), updates it instead and
 * returns it: everything is rebuilt but the alerts panel, whose live region stays the same
 * node, its items updated in place — a screen reader hears only the alerts that are new. */
export function renderOverview(o: Overview, host: OverviewHost, previous?: HTMLElement | null): HTMLElement {
  return new OverviewView(o, host).render(previous ?? null);
}

/** What identifies an alert across renders: the same alert keeps its node. */
function alertKey(a: Alert): string {
  return JSON.stringify([a.kind, a.severity, a.account, a.due_at, a.message]);
}

class OverviewView {
  constructor(
    private readonly o: Overview,
    private readonly host: OverviewHost,
  ) {}

  private get locale(): string {
    return this.host.locale;
  }

  private money(amount: string, currency: string, testid?: string, cls = "amount"): HTMLElement {
    return money(amount, currency, this.locale, { testid, cls });
  }

  render(previous: HTMLElement | null): HTMLElement {
    const o = this.o;
    const figures = h("div", { class: "figures" }, o.currencies.map((c) => this.currencyBlock(c)));
    const rest = [this.renewalsPanel(), o.members.length > 1 ? this.membersPanel() : null].filter((x): x is HTMLElement => x !== null);
    const old = previous?.dataset.testid === "overview" ? previous : null;
    const oldFigures = old?.querySelector(":scope > .layout > .figures");
    const oldAlerts = old?.querySelector<HTMLElement>(":scope > .layout > aside > [data-testid=alerts-panel]");
    if (old && oldFigures && oldAlerts) {
      old.dataset.asOf = o.as_of;
      oldFigures.replaceWith(figures);
      this.updateAlerts(oldAlerts);
      while (oldAlerts.nextSibling) oldAlerts.nextSibling.remove();
      oldAlerts.after(...rest);
      return old;
    }
    const alerts = this.alertsPanel();
    this.updateAlerts(alerts);
    return h(
      "div",
      { "data-testid": "overview", "data-as-of": o.as_of },
      h("div", { class: "layout" }, figures, h("aside", {}, alerts, rest)),
    );
  }

  private figure(label: MessageKey, amount: string, currency: string, testid?: string): HTMLElement {
    return h("div", { class: "part" }, h("dt", {}, t(label)), h("dd", {}, this.money(amount, currency, testid)));
  }

  private scopeAccount(): AccountInfo | undefined {
    const s = this.host.scope;
    return s.kind === "account" ? this.host.scopes.accounts.find((a) => a.id === s.id) : undefined;
  }

  private currencyBlock(c: CurrencyOverview): HTMLElement {
    const b = c.balances;
    const account = this.scopeAccount();
    // Postpaid scopes lead with what is owed (the shared UI sketch); mixed blocks keep the
    // balance headline.
    const postpaid = c.modes.length === 1 && c.modes[0] === "postpaid";
    const headline = postpaid
      ? h(
          "div",
          { class: "headline" },
          h("h2", {}, t("outstanding"), " ", h("span", { class: "ccy" }, c.currency)),
          this.money(c.unpaid_orders.amount, c.currency, "outstanding", "amount big"),
          h(
            "div",
            { class: "sub" },
            t("overdue"), " ", this.money(c.unpaid_orders.overdue_amount, c.currency, "overdue"),
            h("span", { class: "sep", "aria-hidden": "true" }, " · "),
            t("availableBalance"), " ", this.money(b.available, c.currency, "available-balance"),
          ),
        )
      : h(
          "div",
          { class: "headline" },
          h("h2", {}, t("availableBalance"), " ", h("span", { class: "ccy" }, c.currency)),
          this.money(b.available, c.currency, "available-balance", "amount big"),
        );
    return h(
      "section",
      { class: "currency", "data-testid": "currency-block", "data-currency": c.currency },
      h(
        "div",
        { class: "card balances" },
        headline,
        h(
          "dl",
          { class: "parts" },
          this.figure("cash", b.cash, c.currency, "balance-cash"),
          this.figure("complimentary", b.complimentary, c.currency, "balance-complimentary"),
          this.figure("revenue", b.revenue, c.currency, "balance-revenue"),
          this.figure("vouchers", b.vouchers, c.currency, "balance-vouchers"),
          this.figure("prepaidCards", b.prepaid_cards, c.currency, "balance-prepaid-cards"),
          this.figure("frozen", b.frozen, c.currency, "balance-frozen"),
          this.figure("arrears", b.arrears, c.currency, "balance-arrears"),
          this.figure("pendingWithdrawals", b.pending_withdrawals, c.currency, "balance-pending-withdrawals"),
          this.figure("withdrawable", b.withdrawable, c.currency, "balance-withdrawable"),
        ),
        account && account.currency === c.currency ? this.alertControl(account) : null,
      ),
      h(
        "div",
        { class: "tiles" },
        h(
          "div",
          { class: "card tile unpaid" },
          h("h3", {}, t("unpaidOrders")),
          h(
            "p",
            { "data-testid": "unpaid-orders" },
            h("span", { class: "count", "data-value": String(c.unpaid_orders.count) }, formatCount(c.unpaid_orders.count, this.locale)),
            h("span", { class: "sep", "aria-hidden": "true" }, " · "),
            this.money(c.unpaid_orders.amount, c.currency),
          ),
          this.unpaidList(c.unpaid_orders, c.currency),
        ),
        h(
          "div",
          { class: "card tile" },
          h("h3", {}, t("cashCoupons")),
          h(
            "p",
            { "data-testid": "cash-coupons" },
            h("span", { class: "count", "data-value": String(c.cash_coupons.count) }, formatCount(c.cash_coupons.count, this.locale)),
            h("span", { class: "sep", "aria-hidden": "true" }, " · "),
            this.money(c.cash_coupons.amount, c.currency),
          ),
        ),
        h("div", { class: "card tile" }, h("h3", {}, t("invoiceable")), h("p", {}, this.money(c.invoiceable, c.currency, "invoiceable"))),
      ),
      this.trendBlock(c),
    );
  }

  /** The unpaid orders behind the tile's figures (SPEC §5: "and the list"), closed at first:
   * at most 20, the most overdue and oldest first; it says so when there are more. Journal
   * figures, not bill lines: they open nothing. */
  private unpaidList(u: UnpaidOrders, currency: string): HTMLElement | null {
    if (u.orders.length === 0) return null;
    const shown = u.orders.length;
    const label =
      shown < u.count
        ? t("unpaidListCapped", { shown: formatCount(shown, this.locale), total: formatCount(u.count, this.locale) })
        : `${t("unpaidList")} (${formatCount(shown, this.locale)})`;
    const details = h(
      "details",
      { "data-testid": "unpaid-list", "data-shown": String(shown), "data-total": String(u.count) },
      h("summary", {}, label),
      h(
        "table",
        { class: "data compact unpaid-list", "aria-label": t("unpaidListLabel", { currency }) },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, t("account")),
            h("th", { scope: "col", class: "text" }, t("unpaidCharged")),
            h("th", { scope: "col" }, t("amount")),
            h("th", { scope: "col", class: "text" }, t("unpaidState")),
          ),
        ),
        h(
          "tbody",
          {},
          u.orders.map((o) =>
            h(
              "tr",
              { "data-testid": "unpaid-order", "data-account": o.account, "data-overdue": String(o.overdue), class: o.overdue ? "overdue" : "" },
              h("th", { scope: "row" }, o.account, o.product ? h("span", { class: "product" }, o.product) : null),
              h("td", { class: "text" }, h("time", { datetime: o.charged_at }, formatDate(o.charged_at, this.locale))),
              h("td", {}, this.money(o.amount, currency)),
              h(
                "td",
                { class: "text state" },
                o.overdue ? t("overdue") : o.due_at ? t("unpaidDueOn", { date: formatDate(o.due_at, this.locale) }) : "",
              ),
            ),
          ),
        ),
      ),
    );
    details.addEventListener("toggle", () => details.parentElement?.classList.toggle("open", details.open));
    return details;
  }

  private alertControl(account: AccountInfo): HTMLElement {
    const on = h("input", { type: "checkbox", checked: account.alert_enabled, "data-testid": "alert-switch" });
    const threshold = h("input", {
      type: "text",
      inputmode: "decimal",
      size: 10,
      value: account.alert_threshold ?? "",
      "aria-label": t("threshold"),
      "data-testid": "alert-threshold",
    });
    const note = h("span", { class: "note", role: "status" });
    const save = async (e: Event) => {
      e.preventDefault();
      const text = threshold.value.trim();
      if (on.checked && !isAmountInput(text)) {
        note.textContent = t("invalidAmount");
        return;
      }
      try {
        await this.host.backend.setBalanceAlert({ account: account.id, threshold: on.checked ? text : null });
        note.textContent = t("saved");
        await this.host.reload();
      } catch (err) {
        note.textContent = errorInfo(err).message;
      }
    };
    return h(
      "form",
      { class: "alert-control", onsubmit: save },
      h("label", {}, on, " ", t("balanceAlert")),
      h("label", {}, t("threshold"), " ", threshold),
      h("button", { type: "submit" }, t("save")),
      note,
    );
  }

  /** The explorer for a month (and a service) of one currency's block, from a bar, a month or
   * a service cell: the lines behind that figure, none of another currency. */
  private open(month: string, service: string | null, currency: string): void {
    this.host.openBills({ from: month, to: month, service: service ?? "", currency });
  }

  private trendBlock(c: CurrencyOverview): HTMLElement {
    const chartHost = h("div", { class: "chart-host", role: "img", "aria-label": t("trend") });
    const trend = c.trend;
    const months = trend.length;
    let summary = t("trendEmpty");
    if (trend.some((m) => compareDecimal(m.amount, "0") !== 0)) {
      const peak = trend.reduce((a, b) => (compareDecimal(b.amount, a.amount) > 0 ? b : a));
      const last = trend[trend.length - 1];
      summary = t("trendSummary", {
        months,
        total: formatAmount(sumDecimals(trend.map((m) => m.amount)), c.currency, this.locale),
        peak: formatMonth(peak.month, this.locale, "long"),
        peakAmount: formatAmount(peak.amount, c.currency, this.locale),
        last: formatAmount(last.amount, c.currency, this.locale),
      });
    }
    const services = [...new Set(trend.flatMap((m) => m.services.map((s) => s.service)))];
    const table = h(
      "table",
      { class: "data" },
      h(
        "thead",
        {},
        h("tr", {}, h("th", { scope: "col" }, t("month")), h("th", { scope: "col" }, t("trendAmount")), h("th", { scope: "col" }, t("trendNet")),
          services.map((s) => h("th", { scope: "col" }, s))),
      ),
      h(
        "tbody",
        {},
        trend.map((m) =>
          h(
            "tr",
            { "data-month": m.month },
            h(
              "th",
              { scope: "row" },
              h(
                "button",
                {
                  type: "button",
                  class: "link",
                  "data-testid": "trend-month",
                  "data-month": m.month,
                  "data-currency": c.currency,
                  title: t("openLines"),
                  onclick: () => this.open(m.month, null, c.currency),
                },
                formatMonth(m.month, this.locale),
              ),
            ),
            h("td", {}, this.money(m.amount, c.currency)),
            h("td", {}, this.money(m.net_amount, c.currency)),
            services.map((s) => {
              const x = m.services.find((y) => y.service === s);
              return h(
                "td",
                {},
                x
                  ? h(
                      "button",
                      {
                        type: "button",
                        class: "link",
                        "data-testid": "trend-service",
                        "data-month": m.month,
                        "data-service": s,
                        "data-currency": c.currency,
                        title: t("openLines"),
                        onclick: () => this.open(m.month, s, c.currency),
                      },
                      this.money(x.amount, c.currency),
                    )
                  : "",
              );
            }),
          ),
        ),
      ),
    );
    const section = h(
      "section",
      { class: "card trend", "data-testid": "trend-chart", "data-months": String(months), "data-currency": c.currency },
      h(
        "div",
        { class: "card-head" },
        h("h3", {}, t("trend")),
        h(
          "select",
          {
            "data-testid": "trend-months",
            "aria-label": t("trendRange"),
            onchange: (e: Event) => this.host.setMonths(Number((e.target as HTMLSelectElement).value)),
          },
          [6, 12, 24].map((n) => h("option", { value: n, selected: n === this.host.months }, t("lastMonths", { n }))),
        ),
      ),
      chartHost,
      h("p", { class: "summary", "data-testid": "trend-summary" }, summary, " ", h("span", { class: "muted" }, t("trendClick"))),
      h("details", {}, h("summary", {}, t("trendTable")), table),
    );
    const chart = this.host.chart;
    if (chart) {
      // Chart.js is a module of its own, parsed and drawn after the figures are on screen.
      this.host.afterPaint(() => {
        void chart(chartHost, trend, c.currency, this.locale, (month, service) => this.open(month, service, c.currency)).then((dispose) =>
          this.host.onDispose(dispose),
        );
      });
    }
    return section;
  }

  /** The alerts panel, empty: `updateAlerts` fills it. Its list is the live region (`log`),
   * present even when there is no alert, so that the first alert to come is announced. */
  private alertsPanel(): HTMLElement {
    return h(
      "section",
      { class: "card alerts", "aria-labelledby": "alerts-title", "data-testid": "alerts-panel" },
      h("h3", { id: "alerts-title" }, t("alerts"), " ", h("span", { class: "badge" })),
      h("p", { class: "muted" }, t("noAlerts")),
      h("ul", { role: "log", "aria-live": "polite", "data-testid": "alerts-log" }),
    );
  }

  /** Brings the panel's list to this overview's alerts, most severe first, in place: an alert
   * already shown keeps its node (not announced again), a new one is added (announced), one
   * gone is removed; nodes move only when the order changed. */
  private updateAlerts(panel: HTMLElement): void {
    const sorted = sortAlerts(this.o.alerts);
    const badge = panel.querySelector(".badge");
    if (badge) badge.textContent = formatCount(sorted.length, this.locale);
    const empty = panel.querySelector<HTMLElement>("p.muted");
    if (empty) empty.hidden = sorted.length > 0;
    const log = panel.querySelector<HTMLElement>("[data-testid=alerts-log]")!;
    const shown = new Map<string, HTMLElement[]>();
    for (const li of log.querySelectorAll<HTMLElement>(":scope > li")) {
      const key = li.dataset.key ?? "";
      shown.set(key, [...(shown.get(key) ?? []), li]);
    }
    const wanted = sorted.map((a) => shown.get(alertKey(a))?.shift() ?? this.alertItem(a));
    for (const li of [...log.children]) if (!wanted.includes(li as HTMLElement)) li.remove();
    wanted.forEach((li, i) => {
      const at = log.children[i] ?? null;
      if (at !== li) log.insertBefore(li, at);
    });
  }

  private alertItem(a: Alert): HTMLElement {
    return h(
      "li",
      { "data-testid": "alert", "data-kind": a.kind, "data-severity": a.severity, "data-key": alertKey(a), class: `alert ${a.severity}` },
      h("span", { class: "sev" }, hasMessage(`severity_${a.severity}`) ? t(`severity_${a.severity}` as MessageKey) : a.severity),
      h("span", { class: "msg" }, a.message),
    );
  }

  private renewalsPanel(): HTMLElement {
    const r = this.o.renewals;
    const list = h("ul", { class: "renewal-list", "data-testid": "renewal-list", hidden: true });
    const show = (state: string) => {
      const items = r.items.filter((i) => i.state === state);
      const same = list.dataset.state === state && !list.hidden;
      list.dataset.state = state;
      list.hidden = same || items.length === 0;
      list.replaceChildren(
        ...items.map((i) =>
          h(
            "li",
            { "data-resource": i.id },
            // The resource's bill lines, every month: what it has cost before renewing it.
            h(
              "button",
              {
                type: "button",
                class: "link strong",
                "data-testid": "renewal-resource",
                title: t("openResourceLines"),
                onclick: () => this.host.openBills({ resource: i.id, account: "", from: "", to: "" }),
              },
              i.id,
            ),
            ` ${i.product}${i.region ? ` · ${i.region}` : ""} · ${i.account} · `,
            t("expiresOn", { date: formatDate(i.expires_at, this.locale) }),
            i.auto_renew ? ` · ${t("autoRenew")}` : "",
          ),
        ),
      );
    };
    const item = (testid: string, n: number, label: MessageKey, state: string) =>
      h(
        "li",
        {},
        h(
          "button",
          { type: "button", class: "link", "aria-controls": "renewal-list", onclick: () => show(state) },
          h("span", { class: "count", "data-testid": testid, "data-value": String(n) }, formatCount(n, this.locale)),
          " ",
          t(label),
        ),
      );
    list.id = "renewal-list";
    return h(
      "section",
      { class: "card renewals" },
      h("h3", {}, t("renewals")),
      h(
        "ul",
        { class: "inline" },
        item("renewals-due", r.due_30d, "renewalsDue", "due"),
        item("renewals-expired", r.expired, "renewalsExpired", "expired"),
        item("renewals-frozen", r.frozen, "renewalsFrozen", "frozen"),
      ),
      list,
    );
  }

  private membersPanel(): HTMLElement {
    const o = this.o;
    return h(
      "section",
      { class: "card members" },
      h("h3", {}, o.finance_mode ? t(o.finance_mode === "unified" ? "membersUnified" : "membersSelfPay") : t("accounts")),
      h(
        "table",
        { class: "data", "data-testid": "members" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("account")), h("th", { scope: "col" }, t("availableBalance")))),
        h(
          "tbody",
          {},
          o.members.map((m) =>
            h(
              "tr",
              { "data-account": m.id },
              h(
                "th",
                { scope: "row", title: `${m.provider} · ${m.mode}${m.role ? ` · ${m.role}` : ""}` },
                // The account's bill lines (the latest month): balances are not bill lines.
                h(
                  "button",
                  { type: "button", class: "link", "data-testid": "member-lines", title: t("openAccountLines"), onclick: () => this.host.openBills({ account: m.id }) },
                  m.name ?? m.id,
                ),
              ),
              h("td", {}, this.money(m.available, m.currency), " ", h("span", { class: "ccy" }, m.currency)),
            ),
          ),
        ),
      ),
    );
  }
}
