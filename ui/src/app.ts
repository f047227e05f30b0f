// The overview page (SPEC §5, UI.md): scope switcher, balances per currency, alerts, unpaid orders,
// cash coupons, invoiceable amount, renewals, the expenditure trend; import and record-movement.

import type { AccountInfo } from "./bindings/AccountInfo";
import type { BillLine } from "./bindings/BillLine";
import type { BillLines } from "./bindings/BillLines";
import type { Alert } from "./bindings/Alert";
import type { CurrencyOverview } from "./bindings/CurrencyOverview";
import type { ImportProgress } from "./bindings/ImportProgress";
import type { ImportReport } from "./bindings/ImportReport";
import type { Movement } from "./bindings/Movement";
import type { Overview } from "./bindings/Overview";
import type { Scope } from "./bindings/Scope";
import type { Scopes } from "./bindings/Scopes";
import type { TrendMonth } from "./bindings/TrendMonth";
import { type Backend, BackendError } from "./backend/index";
import { h } from "./dom";
import {
  amountTitle,
  compareDecimal,
  formatAmount,
  formatCount,
  formatDate,
  formatMonth,
  isAmountInput,
  isNegative,
} from "./format";
import { type MessageKey, hasMessage, t } from "./i18n";

/** Draws the trend chart into `host`; returns a function that removes it. */
export type ChartFactory = (
  host: HTMLElement,
  trend: TrendMonth[],
  currency: string,
  locale: string,
  onSelect: (month: string, service: string | null) => void,
) => Promise<() => void>;

export interface AppOptions {
  backend: Backend;
  root: HTMLElement;
  locale: string;
  /** Where the last scope is remembered (localStorage in the app). */
  storage?: Pick<Storage, "getItem" | "setItem">;
  chart?: ChartFactory;
  /** Called once the first overview (or the empty/error state) is on screen. */
  onPainted?: () => void;
}

const SCOPE_KEY = "billfold.scope";
const SEVERITY_RANK: Record<string, number> = { critical: 0, warning: 1, info: 2 };

/** Most severe first; the core's order is kept within one severity. */
export function sortAlerts(alerts: Alert[]): Alert[] {
  const rank = (a: Alert) => SEVERITY_RANK[a.severity] ?? 3;
  return alerts
    .map((a, i) => [a, i] as const)
    .sort(([a, i], [b, j]) => rank(a) - rank(b) || i - j)
    .map(([a]) => a);
}

export function scopeKey(scope: Scope): string {
  return scope.kind === "all" ? "all" : `${scope.kind}:${scope.id}`;
}

export function parseScopeKey(key: string): Scope | null {
  if (key === "all") return { kind: "all" };
  const m = /^(account|org):(.+)$/.exec(key);
  if (!m) return null;
  return m[1] === "account" ? { kind: "account", id: m[2] } : { kind: "org", id: m[2] };
}

function scopeExists(scopes: Scopes, scope: Scope): boolean {
  if (scope.kind === "all") return true;
  if (scope.kind === "org") return scopes.orgs.some((o) => o.id === scope.id);
  return scopes.accounts.some((a) => a.id === scope.id);
}

function defaultScope(scopes: Scopes): Scope {
  if (scopes.orgs.length === 1 && scopes.accounts.every((a) => a.org === scopes.orgs[0].id)) {
    return { kind: "org", id: scopes.orgs[0].id };
  }
  if (scopes.accounts.length === 1) return { kind: "account", id: scopes.accounts[0].id };
  return { kind: "all" };
}

function errorText(e: unknown): { code: string; message: string } {
  const err = BackendError.from(e);
  return { code: err.code, message: err.message };
}

export class App {
  private readonly backend: Backend;
  private readonly root: HTMLElement;
  private readonly locale: string;
  private readonly storage?: Pick<Storage, "getItem" | "setItem">;
  private readonly chart?: ChartFactory;
  private onPainted?: () => void;
  private scopes: Scopes = { orgs: [], accounts: [] };
  private scope: Scope = { kind: "all" };
  private months = 6;
  private disposers: (() => void)[] = [];
  private main: HTMLElement;
  private status: HTMLElement;
  private loadSeq = 0;

  constructor(options: AppOptions) {
    this.backend = options.backend;
    this.root = options.root;
    this.locale = options.locale;
    this.storage = options.storage;
    this.chart = options.chart;
    this.onPainted = options.onPainted;
    this.main = h("main", { id: "main", "aria-live": "polite" });
    this.status = h("div", { class: "status", role: "status", "data-testid": "status" });
  }

  /** Loads the scopes and the remembered scope's overview. */
  async start(): Promise<void> {
    this.root.replaceChildren(this.main, this.status);
    void this.backend.onImportProgress((p) => this.showProgress(p));
    void this.backend.onImportFinished((r) => this.showImportReport(r));
    await this.reload();
  }

  private painted(): void {
    const cb = this.onPainted;
    this.onPainted = undefined;
    cb?.();
  }

  /** Reloads the scope list and the overview. */
  async reload(): Promise<void> {
    const seq = ++this.loadSeq;
    this.showLoading();
    try {
      this.scopes = await this.backend.scopes();
    } catch (e) {
      if (seq === this.loadSeq) this.showError(e);
      return;
    }
    if (seq !== this.loadSeq) return;
    if (this.scopes.accounts.length === 0) {
      this.showEmpty();
      return;
    }
    const saved = parseScopeKey(this.storage?.getItem(SCOPE_KEY) ?? "");
    this.scope = saved && scopeExists(this.scopes, saved) ? saved : defaultScope(this.scopes);
    await this.loadOverview(seq);
  }

  private async loadOverview(seq = ++this.loadSeq): Promise<void> {
    this.showLoading();
    try {
      const overview = await this.backend.overview(this.scope, this.months === 6 ? undefined : this.months);
      if (seq !== this.loadSeq) return;
      this.showOverview(overview);
    } catch (e) {
      if (seq === this.loadSeq) this.showError(e);
    }
  }

  private async switchScope(scope: Scope): Promise<void> {
    this.scope = scope;
    this.storage?.setItem(SCOPE_KEY, scopeKey(scope));
    await this.loadOverview();
  }

  private dispose(): void {
    for (const d of this.disposers) d();
    this.disposers = [];
  }

  private showLoading(): void {
    this.main.setAttribute("aria-busy", "true");
    if (this.main.querySelector("[data-testid=overview]")) return; // keep the figures while refreshing
    this.dispose();
    this.main.replaceChildren(h("p", { class: "loading", "data-testid": "loading" }, t("loading")));
  }

  private showError(e: unknown): void {
    this.dispose();
    this.main.removeAttribute("aria-busy");
    const { code, message } = errorText(e);
    const known = `error_${code}` as MessageKey;
    this.main.replaceChildren(
      h(
        "section",
        { class: "state error", "data-testid": "error", "data-code": code, role: "alert" },
        h("h2", {}, t("errorTitle")),
        h("p", {}, t(hasMessage(known) ? known : "error_internal")),
        h("p", { class: "detail" }, message),
        h("button", { type: "button", onclick: () => void this.reload() }, t("retry")),
      ),
    );
    this.painted();
  }

  private showEmpty(): void {
    this.dispose();
    this.main.removeAttribute("aria-busy");
    this.main.replaceChildren(
      h(
        "section",
        { class: "state empty", "data-testid": "empty" },
        h("h2", {}, t("emptyTitle")),
        h("p", {}, t("emptyBody")),
        h(
          "div",
          { class: "actions" },
          h(
            "button",
            { type: "button", class: "primary", "data-testid": "import-button", onclick: () => void this.runImport() },
            t("importBills"),
          ),
          h(
            "button",
            { type: "button", "data-testid": "demo-button", onclick: () => void this.openDemo() },
            t("openDemo"),
          ),
        ),
      ),
    );
    this.painted();
  }

  private async openDemo(): Promise<void> {
    try {
      await this.backend.openDemo();
    } catch (e) {
      this.showError(e);
      return;
    }
    await this.reload();
  }

  // ---- the overview ----

  private scopeSelect(): HTMLSelectElement {
    const opts: HTMLOptionElement[] = [
      h("option", { value: "all" }, t("scopeAll")),
      ...this.scopes.orgs.map((o) =>
        h("option", { value: `org:${o.id}` }, t("scopeOrg", { org: o.id })),
      ),
      ...this.scopes.accounts.map((a) =>
        h(
          "option",
          { value: `account:${a.id}` },
          a.org && a.role === "member"
            ? t("scopeMember", { account: a.name ?? a.id, org: a.org })
            : t("scopeAccount", { account: a.name ?? a.id, provider: a.provider, currency: a.currency }),
        ),
      ),
    ];
    const select = h(
      "select",
      {
        "data-testid": "scope-select",
        "aria-label": t("scopeLabel"),
        onchange: (e: Event) => {
          const s = parseScopeKey((e.target as HTMLSelectElement).value);
          if (s) void this.switchScope(s);
        },
      },
      opts,
    );
    select.value = scopeKey(this.scope);
    return select;
  }

  private money(amount: string, currency: string, testid?: string, cls = "amount"): HTMLElement {
    return h(
      "span",
      {
        class: isNegative(amount) ? `${cls} negative` : cls,
        "data-testid": testid,
        "data-value": amount,
        title: amountTitle(amount, currency, this.locale),
      },
      formatAmount(amount, currency, this.locale),
    );
  }

  private figure(label: MessageKey, amount: string, currency: string, testid?: string): HTMLElement {
    return h("div", { class: "part" }, h("dt", {}, t(label)), h("dd", {}, this.money(amount, currency, testid)));
  }

  private scopeAccount(): AccountInfo | undefined {
    const s = this.scope;
    return s.kind === "account" ? this.scopes.accounts.find((a) => a.id === s.id) : undefined;
  }

  private currencyBlock(c: CurrencyOverview): HTMLElement {
    const b = c.balances;
    const account = this.scopeAccount();
    // Postpaid scopes lead with what is owed (UI.md); mixed blocks keep the balance headline.
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
          { class: "card tile" },
          h("h3", {}, t("unpaidOrders")),
          h(
            "p",
            { "data-testid": "unpaid-orders" },
            h("span", { class: "count", "data-value": String(c.unpaid_orders.count) }, formatCount(c.unpaid_orders.count, this.locale)),
            h("span", { class: "sep", "aria-hidden": "true" }, " · "),
            this.money(c.unpaid_orders.amount, c.currency),
          ),
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
        await this.backend.setBalanceAlert({ account: account.id, threshold: on.checked ? text : null });
        note.textContent = t("saved");
        await this.reload();
      } catch (err) {
        note.textContent = errorText(err).message;
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

  private trendBlock(c: CurrencyOverview): HTMLElement {
    const host = h("div", { class: "chart-host", role: "img", "aria-label": t("trend") });
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
    const linesHost = h("div", { class: "lines", "data-testid": "bill-lines", hidden: true });
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
                { type: "button", class: "link", "data-testid": "trend-month", "data-month": m.month, onclick: () => void this.openLines(c, m.month, null, linesHost) },
                formatMonth(m.month, this.locale),
              ),
            ),
            h("td", {}, this.money(m.amount, c.currency)),
            h("td", {}, this.money(m.net_amount, c.currency)),
            services.map((s) => {
              const x = m.services.find((y) => y.service === s);
              return h("td", {}, x ? this.money(x.amount, c.currency) : "");
            }),
          ),
        ),
      ),
    );
    const section = h(
      "section",
      { class: "card trend", "data-testid": "trend-chart", "data-months": String(months) },
      h(
        "div",
        { class: "card-head" },
        h("h3", {}, t("trend")),
        h(
          "select",
          {
            "data-testid": "trend-months",
            "aria-label": t("trendRange"),
            onchange: (e: Event) => {
              this.months = Number((e.target as HTMLSelectElement).value);
              void this.loadOverview();
            },
          },
          [6, 12, 24].map((n) => h("option", { value: n, selected: n === this.months }, t("lastMonths", { n }))),
        ),
      ),
      host,
      h("p", { class: "summary", "data-testid": "trend-summary" }, summary),
      h("details", {}, h("summary", {}, t("trendTable")), table),
      linesHost,
    );
    if (this.chart) {
      const select = (month: string, service: string | null) => void this.openLines(c, month, service, linesHost);
      void this.chart(host, trend, c.currency, this.locale, select).then((dispose) => this.disposers.push(dispose));
    }
    return section;
  }

  /** The bill lines behind a bar: grouped by service (with the trend's exact amount), then the
   * lines with their source file and line, at full precision. */
  private async openLines(c: CurrencyOverview, month: string, service: string | null, host: HTMLElement): Promise<void> {
    host.hidden = false;
    host.replaceChildren(h("p", { class: "muted" }, t("loading")));
    let result: BillLines;
    try {
      result = await this.backend.billLines({ scope: this.scope, currency: c.currency, month, service });
    } catch (e) {
      host.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(e).message));
      return;
    }
    const trendMonth = c.trend.find((m) => m.month === month);
    const groups = new Map<string, BillLine[]>();
    for (const l of result.lines) groups.set(l.service, [...(groups.get(l.service) ?? []), l]);
    const title = service
      ? t("linesTitleService", { month: formatMonth(month, this.locale, "long"), service })
      : t("linesTitle", { month: formatMonth(month, this.locale, "long") });
    const children: (Node | null)[] = [
      h(
        "div",
        { class: "card-head" },
        h("h3", {}, title),
        h("button", { type: "button", class: "link", onclick: () => { host.hidden = true; } }, t("close")),
      ),
      result.lines.length === 0 ? h("p", { class: "muted" }, t("linesNone")) : null,
      result.lines.length < result.total_lines
        ? h("p", { class: "muted" }, t("linesShown", { shown: formatCount(result.lines.length, this.locale), total: formatCount(result.total_lines, this.locale) }))
        : null,
      ...[...groups.entries()].map(([svc, lines]) => {
        const total = trendMonth?.services.find((s) => s.service === svc)?.amount;
        return h(
          "section",
          { class: "line-group", "data-service": svc },
          h("h4", {}, svc, total ? h("span", { class: "total" }, this.money(total, c.currency)) : null),
          h(
            "table",
            { class: "data" },
            h("tbody", {}, lines.map((l) =>
              h(
                "tr",
                { "data-testid": "bill-line" },
                h("td", { class: "src" }, `${l.source_file}:${l.source_line}`),
                h("td", { class: "desc" }, [l.resource_id, l.description].filter(Boolean).join(" · ")),
                h("td", {}, h("span", { class: "amount", "data-value": l.billed_cost }, formatAmount(l.billed_cost, c.currency, this.locale, { full: true }))),
              ),
            )),
          ),
        );
      }),
    ];
    host.replaceChildren(...children.filter((n): n is Node => n !== null));
  }

  private alertsPanel(alerts: Alert[]): HTMLElement {
    const sorted = sortAlerts(alerts);
    return h(
      "section",
      { class: "card alerts", "aria-labelledby": "alerts-title" },
      h("h3", { id: "alerts-title" }, t("alerts"), " ", h("span", { class: "badge" }, formatCount(sorted.length, this.locale))),
      sorted.length === 0
        ? h("p", { class: "muted" }, t("noAlerts"))
        : h(
            "ul",
            { role: "log", "aria-live": "polite" },
            sorted.map((a) =>
              h(
                "li",
                { "data-testid": "alert", "data-kind": a.kind, "data-severity": a.severity, class: `alert ${a.severity}` },
                h("span", { class: "sev" }, hasMessage(`severity_${a.severity}`) ? t(`severity_${a.severity}` as MessageKey) : a.severity),
                h("span", { class: "msg" }, a.message),
              ),
            ),
          ),
    );
  }

  private renewalsPanel(o: Overview): HTMLElement {
    const r = o.renewals;
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
            h("strong", {}, i.id),
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

  private membersPanel(o: Overview): HTMLElement {
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
              h("th", { scope: "row", title: `${m.provider} · ${m.mode}${m.role ? ` · ${m.role}` : ""}` }, m.name ?? m.id),
              h("td", {}, this.money(m.available, m.currency), " ", h("span", { class: "ccy" }, m.currency)),
            ),
          ),
        ),
      ),
    );
  }

  private showOverview(o: Overview): void {
    this.dispose();
    this.main.removeAttribute("aria-busy");
    const header = h(
      "header",
      { class: "bar" },
      h("h1", {}, t("appTitle")),
      this.scopeSelect(),
      h("span", { class: "asof", "data-testid": "as-of" }, t("asOf", { date: formatDate(o.as_of, this.locale) })),
      h("span", { class: "spacer" }),
      h("button", { type: "button", class: "primary", "data-testid": "import-button", onclick: () => void this.runImport() }, t("importBills")),
      h("button", { type: "button", "data-testid": "record-button", onclick: () => this.openRecord() }, t("record")),
    );
    this.main.replaceChildren(
      h(
        "div",
        { "data-testid": "overview", "data-as-of": o.as_of },
        header,
        h(
          "div",
          { class: "layout" },
          h("div", { class: "figures" }, o.currencies.map((c) => this.currencyBlock(c))),
          h("aside", {}, this.alertsPanel(o.alerts), this.renewalsPanel(o), o.members.length > 1 ? this.membersPanel(o) : null),
        ),
      ),
    );
    this.painted();
  }

  // ---- import ----

  private async runImport(): Promise<void> {
    let report: ImportReport | null;
    try {
      report = await this.backend.importBills();
    } catch (e) {
      this.setStatus(h("p", { class: "error", role: "alert" }, errorText(e).message));
      return;
    }
    if (report) this.showImportReport(report);
  }

  private showProgress(p: ImportProgress): void {
    if (p.done && p.index === p.total) return; // the report follows
    this.setStatus(
      h(
        "div",
        { class: "progress", "data-testid": "import-progress" },
        h("label", {}, t("importing", { file: p.file, index: p.index, total: p.total })),
        h("progress", { max: p.total, value: p.index - (p.done ? 0 : 1) }),
      ),
    );
  }

  private showImportReport(report: ImportReport): void {
    this.setStatus(
      h(
        "div",
        { class: "import-report", "data-testid": "import-report", role: "alert" },
        h("strong", {}, t("importDone")),
        h(
          "ul",
          {},
          report.files.map((f) =>
            f.error
              ? h("li", { class: "error", "data-status": f.status, "data-code": f.error.code }, t("importFailed", { file: f.file }), h("pre", {}, f.error.message))
              : h(
                  "li",
                  { "data-status": f.status },
                  f.status === "already_imported"
                    ? t("importAlready", { file: f.file })
                    : t("importResult", { file: f.file, rows: formatCount(f.rows, this.locale), format: f.format ?? "" }),
                ),
          ),
        ),
        h("button", { type: "button", onclick: () => this.setStatus(null) }, t("close")),
      ),
    );
    void this.reload();
  }

  private setStatus(node: Node | null): void {
    if (node) this.status.replaceChildren(node);
    else this.status.replaceChildren();
  }

  // ---- record a movement ----

  openRecord(): void {
    const accounts = this.scopes.accounts;
    const current = this.scopeAccount()?.id ?? accounts[0]?.id ?? "";
    const kind = h(
      "select",
      { name: "kind", "data-testid": "movement-kind" },
      (["topup", "withdraw", "voucher", "card"] as const).map((k) => h("option", { value: k }, t(`kind_${k}`))),
    );
    const account = h(
      "select",
      { name: "account", "data-testid": "movement-account" },
      accounts.map((a) => h("option", { value: a.id }, `${a.name ?? a.id} (${a.currency})`)),
    );
    account.value = current;
    const amount = h("input", { name: "amount", type: "text", inputmode: "decimal", required: true, "data-testid": "movement-amount" });
    const voucherKind = h(
      "select",
      { name: "voucher_kind" },
      h("option", { value: "regular" }, t("voucher_regular")),
      h("option", { value: "discount" }, t("voucher_discount")),
    );
    const expires = h("input", { name: "expires", type: "date", "data-testid": "movement-expires" });
    const voucherRow = h("label", {}, t("voucherKind"), voucherKind);
    const expiresRow = h("label", {}, t("expires"), expires);
    const error = h("p", { class: "error", role: "alert", "data-testid": "movement-error" });
    const sync = () => {
      voucherRow.hidden = kind.value !== "voucher";
      expiresRow.hidden = kind.value !== "voucher" && kind.value !== "card";
    };
    kind.addEventListener("change", sync);
    sync();
    const dialog = h("dialog", { class: "record", "data-testid": "record-dialog", "aria-labelledby": "record-title" });
    const close = () => {
      dialog.close?.();
      dialog.remove();
    };
    const submit = async (e: Event) => {
      e.preventDefault();
      error.textContent = "";
      const m = buildMovement(kind.value, account.value, amount.value, voucherKind.value, expires.value);
      if ("problem" in m) {
        error.textContent = t(m.problem);
        return;
      }
      let summary: string;
      try {
        summary = await this.backend.recordMovement(m.movement);
      } catch (err) {
        error.textContent = errorText(err).message;
        return;
      }
      close();
      this.setStatus(h("p", { role: "status", "data-testid": "movement-done" }, `${t("recorded")} ${summary}`));
      await this.reload();
    };
    dialog.append(
      h(
        "form",
        { onsubmit: submit, novalidate: true },
        h("h2", { id: "record-title" }, t("recordTitle")),
        h("label", {}, t("kind"), kind),
        h("label", {}, t("account"), account),
        h("label", {}, t("amount"), amount),
        voucherRow,
        expiresRow,
        error,
        h(
          "div",
          { class: "actions" },
          h("button", { type: "button", onclick: close }, t("cancel")),
          h("button", { type: "submit", class: "primary", "data-testid": "movement-submit" }, t("save")),
        ),
      ),
    );
    this.root.append(dialog);
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
    amount.focus();
  }
}

/** Validates a movement form; the core has the last word, this only catches typing slips. */
export function buildMovement(
  kind: string,
  account: string,
  amount: string,
  voucherKind: string,
  expires: string,
): { movement: Movement } | { problem: MessageKey } {
  const a = amount.trim();
  if (!account) return { problem: "chooseAccount" };
  if (!isAmountInput(a)) return { problem: "invalidAmount" };
  const date = expires.trim();
  const validDate = /^\d{4}-\d{2}-\d{2}$/.test(date);
  switch (kind) {
    case "topup":
      return { movement: { kind: "topup", account, amount: a } };
    case "withdraw":
      return { movement: { kind: "withdraw", account, amount: a } };
    case "voucher":
      if (!validDate) return { problem: "invalidDate" };
      return { movement: { kind: "voucher", account, amount: a, voucher_kind: voucherKind, expires: date } };
    default:
      if (date && !validDate) return { problem: "invalidDate" };
      return { movement: { kind: "card", account, amount: a, expires: date || null } };
  }
}

/** Exact sum of decimal strings (for the trend summary). */
export function sumDecimals(values: string[]): string {
  let scale = 0;
  for (const v of values) scale = Math.max(scale, (v.split(".")[1] ?? "").length);
  let total = 0n;
  for (const v of values) {
    const neg = v.startsWith("-");
    const [i, f = ""] = v.replace(/^[+-]/, "").split(".");
    const n = BigInt(i + f.padEnd(scale, "0"));
    total += neg ? -n : n;
  }
  const neg = total < 0n;
  const digits = (neg ? -total : total).toString().padStart(scale + 1, "0");
  const int = digits.slice(0, digits.length - scale);
  const frac = scale ? `.${digits.slice(digits.length - scale)}` : "";
  return `${neg ? "-" : ""}${int}${frac}`;
}
