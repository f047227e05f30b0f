// The Bills page (issue 5): the cost lines of the scope, reviewed. Four views share the scope and
// the filter: the explorer (groups and lines), month over month, the review marks, and
// reconciliation (invoices, balance assertions, payment split, completeness, sign-offs, rates).

import type { AccountInfo } from "../bindings/AccountInfo";
import type { Facets } from "../bindings/Facets";
import type { Scope } from "../bindings/Scope";
import type { Scopes } from "../bindings/Scopes";
import type { Backend } from "../backend/index";
import { h } from "../dom";
import { formatMonth } from "../format";
import { t } from "../i18n";
import { choice, errorBox, errorInfo, tabList, textField } from "../widgets";
import {
  type BillsContext,
  type BillsFilter,
  type BillsPreset,
  type BillsView,
  type BillsViewKey,
  blankFilter,
  defaultPrefs,
  toRequest,
} from "./context";
import { DiffView } from "./diff";
import { ExplorerView } from "./explorer";
import { MarksView } from "./marks";
import { ReconcileView } from "./reconcile";

export type { BillsPreset } from "./context";

export interface BillsHost {
  backend: Backend;
  locale: string;
  scopes(): Scopes;
  /** The overview's as-of instant, when known. */
  asOf(): string | null;
}

export class BillsPage {
  readonly element: HTMLElement;
  private scope: Scope | null = null;
  private facets: Facets | null = null;
  private filter: BillsFilter = blankFilter();
  private view: BillsViewKey = "lines";
  private reviewerName: string | null = null;
  private readonly prefs = defaultPrefs();
  private views = new Map<BillsViewKey, BillsView>();
  private readonly status: HTMLElement;
  private readonly viewHost: HTMLElement;
  private seq = 0;

  constructor(private readonly host: BillsHost) {
    this.element = h("section", { class: "bills", "data-testid": "bills", "aria-label": t("navBills") });
    this.status = h("p", { class: "bills-status", role: "status", "data-testid": "bills-status" });
    this.viewHost = h("div", { id: "bills-view", class: "bills-view", role: "tabpanel" });
  }

  /** Shows the page for a scope; a preset (from the overview) replaces the filter. */
  async show(scope: Scope, preset?: BillsPreset): Promise<void> {
    const seq = ++this.seq;
    const scopeChanged = this.scope === null || JSON.stringify(this.scope) !== JSON.stringify(scope);
    this.scope = scope;
    if (scopeChanged) this.views.clear();
    this.element.replaceChildren(h("p", { class: "loading", "data-testid": "loading" }, t("loadingBills")));
    let facets: Facets;
    try {
      [facets, this.reviewerName] = await Promise.all([this.host.backend.reviewFacets(scope), this.host.backend.reviewer()]);
    } catch (e) {
      if (seq === this.seq) {
        this.element.replaceChildren(errorBox(e, "bills-error"), h("button", { type: "button", onclick: () => void this.show(scope, preset) }, t("retry")));
      }
      return;
    }
    if (seq !== this.seq) return;
    const first = this.facets === null;
    this.facets = facets;
    const latest = facets.months[facets.months.length - 1] ?? "";
    if (preset) {
      this.filter = { ...blankFilter(), from: latest, to: latest, ...preset };
      this.view = "lines";
      this.views.delete("lines");
    } else if (first) {
      this.filter = { ...blankFilter(), from: latest, to: latest };
    } else if (scopeChanged && this.filter.account && !facets.accounts.includes(this.filter.account)) {
      this.filter = { ...this.filter, account: "" };
    }
    this.render();
  }

  private context(): BillsContext {
    const page = this;
    const scope = this.scope ?? { kind: "all" };
    const facets = this.facets as Facets;
    return {
      backend: this.host.backend,
      locale: this.host.locale,
      scope,
      facets,
      filter: this.filter,
      prefs: this.prefs,
      request: () => toRequest(scope, page.filter),
      setFilter: (patch) => page.setFilter(patch),
      openLines: (patch) => {
        page.filter = { ...page.filter, ...patch };
        page.switchView("lines");
      },
      accounts: () => page.scopeAccounts(),
      reviewer: () => page.reviewerName,
      notify: (text, testid) => page.notify(text, testid),
      conversionDate: () => page.conversionDate(),
    };
  }

  private conversionDate(): string {
    const month = this.filter.to || this.facets?.months[this.facets.months.length - 1];
    if (month) {
      const [y, m] = month.split("-").map(Number);
      const day = new Date(Date.UTC(y, m, 0)).getUTCDate();
      return `${month}-${String(day).padStart(2, "0")}`;
    }
    return (this.host.asOf() ?? new Date().toISOString()).slice(0, 10);
  }

  private scopeAccounts(): AccountInfo[] {
    const s = this.scope;
    const all = this.host.scopes().accounts;
    if (!s || s.kind === "all") return all;
    if (s.kind === "account") return all.filter((a) => a.id === s.id);
    return all.filter((a) => a.org === s.id);
  }

  private setFilter(patch: Partial<BillsFilter>): void {
    this.filter = { ...this.filter, ...patch };
    // The view's own state (page, open line) starts over with a new filter.
    this.views.delete(this.view);
    this.render();
  }

  private switchView(view: BillsViewKey): void {
    this.view = view;
    this.views.delete(view);
    this.render();
  }

  private notify(text: string, testid = "bills-note"): void {
    this.status.replaceChildren(h("span", { "data-testid": testid }, text));
  }

  private viewOf(key: BillsViewKey): BillsView {
    let v = this.views.get(key);
    if (!v) {
      const ctx = this.context();
      v = key === "lines" ? new ExplorerView(ctx) : key === "diff" ? new DiffView(ctx) : key === "marks" ? new MarksView(ctx) : new ReconcileView(ctx);
      this.views.set(key, v);
    }
    return v;
  }

  private render(): void {
    const view = this.viewOf(this.view);
    this.viewHost.setAttribute("aria-labelledby", `tab-${this.view}`);
    this.viewHost.replaceChildren(view.element);
    this.element.replaceChildren(
      h(
        "div",
        { class: "bills-head" },
        tabList<BillsViewKey>(
          t("billsViews"),
          [
            { key: "lines", label: t("viewLines"), testid: "bills-view-lines" },
            { key: "diff", label: t("viewDiff"), testid: "bills-view-diff" },
            { key: "marks", label: t("viewMarks"), testid: "bills-view-marks" },
            { key: "reconcile", label: t("viewReconcile"), testid: "bills-view-reconcile" },
          ],
          this.view,
          "bills-view",
          (key) => this.switchView(key),
          "tabs sub",
        ),
        h("span", { class: "spacer" }),
        this.reviewerForm(),
      ),
      ...(this.view === "lines" || this.view === "diff" ? [this.filterBar()] : []),
      this.status,
      this.viewHost,
    );
    void view.load();
  }

  private reviewerForm(): HTMLElement {
    const input = h("input", {
      type: "text",
      value: this.reviewerName ?? "",
      placeholder: t("reviewerPlaceholder"),
      size: 14,
      "aria-label": t("reviewer"),
      "data-testid": "reviewer-name",
    });
    const note = h("span", { class: "note", role: "status", "data-testid": "reviewer-note" });
    const save = async (e: Event) => {
      e.preventDefault();
      try {
        await this.host.backend.setReviewer(input.value);
        this.reviewerName = input.value.trim();
        note.textContent = t("saved");
      } catch (err) {
        note.textContent = errorInfo(err).message;
      }
    };
    return h(
      "form",
      { class: "reviewer", onsubmit: save },
      h("label", {}, t("reviewer"), " ", input),
      h("button", { type: "submit", "data-testid": "reviewer-save" }, t("save")),
      note,
    );
  }

  /** Period and every narrowing; a change reloads the view. */
  private filterBar(): HTMLElement {
    const f = this.filter;
    const facets = this.facets as Facets;
    const set = (key: keyof BillsFilter) => (value: string) => this.setFilter({ [key]: value });
    const any = t("any");
    const month = (m: string) => formatMonth(m, this.host.locale);
    const single = this.scope?.kind === "account";
    const period = this.view === "lines";
    const active = (Object.keys(f) as (keyof BillsFilter)[]).some((k) => f[k] !== "" && k !== "from" && k !== "to");
    return h(
      "form",
      { class: "filters", "data-testid": "filters", "aria-label": t("filters"), onsubmit: (e: Event) => e.preventDefault() },
      period ? choice(t("from"), "filter-from", facets.months, f.from, set("from"), { any: t("earliest"), labels: month }) : null,
      period ? choice(t("to"), "filter-to", facets.months, f.to, set("to"), { any: t("latest"), labels: month }) : null,
      single ? null : choice(t("account"), "filter-account", facets.accounts, f.account, set("account"), { any }),
      choice(t("provider"), "filter-provider", facets.providers, f.provider, set("provider"), { any }),
      choice(t("member"), "filter-member", facets.members, f.sub_account, set("sub_account"), { any }),
      choice(t("service"), "filter-service", facets.services, f.service, set("service"), { any }),
      choice(t("region"), "filter-region", facets.regions, f.region, set("region"), { any }),
      choice(t("category"), "filter-category", facets.categories, f.category, set("category"), { any }),
      // Amounts of different currencies are never added: a scope billing in several offers the
      // choice (and a figure opened in one currency shows it).
      facets.currencies.length > 1 || f.currency ? choice(t("currency"), "filter-currency", facets.currencies, f.currency, set("currency"), { any }) : null,
      textField(t("resource"), "filter-resource", f.resource, set("resource"), { size: 14 }),
      textField(t("tag"), "filter-tag", f.tag, set("tag"), { size: 12, placeholder: t("tagPlaceholder") }),
      textField(t("search"), "filter-text", f.text, set("text"), { size: 14, type: "search" }),
      h(
        "button",
        {
          type: "button",
          class: "link clear",
          "data-testid": "filter-clear",
          disabled: !active,
          onclick: () => this.setFilter({ ...blankFilter(), from: f.from, to: f.to }),
        },
        t("clearFilters"),
      ),
    );
  }
}
