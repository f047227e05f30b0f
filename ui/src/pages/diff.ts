// Month over month: two months of the filter's lines by service or resource — what is new, gone
// or changed (amounts, change, percent), the biggest movers, unit-price changes and the lines
// that correct an earlier period. The command answers counts and the 200 largest changes.

import type { Diff } from "../bindings/Diff";
import type { DiffRow } from "../bindings/DiffRow";
import { h } from "../dom";
import { formatAmount, formatCount, formatMonth, formatPercent } from "../format";
import { t } from "../i18n";
import { errorBox, money } from "../widgets";
import { type BillsContext, type BillsView, label } from "./context";

/** The default pair: the filter's last month (else the latest) and the month before it. */
export function defaultMonths(months: string[], to: string): { from: string; to: string } {
  const last = to && months.includes(to) ? to : (months[months.length - 1] ?? "");
  const i = months.indexOf(last);
  return { from: i > 0 ? months[i - 1] : last, to: last };
}

export class DiffView implements BillsView {
  readonly element: HTMLElement;
  private from: string;
  private to: string;
  private readonly result: HTMLElement;
  private seq = 0;

  constructor(private readonly ctx: BillsContext) {
    ({ from: this.from, to: this.to } = defaultMonths(ctx.facets.months, ctx.filter.to));
    this.result = h("div", { class: "diff-result", "aria-live": "polite" });
    this.element = h("div", { class: "diff", "data-testid": "diff" }, this.controls(), this.result);
  }

  private controls(): HTMLElement {
    const months = this.ctx.facets.months;
    const monthSelect = (testid: string, value: string, set: (v: string) => void) => {
      const s = h(
        "select",
        { "data-testid": testid, onchange: (e: Event) => set((e.target as HTMLSelectElement).value) },
        months.map((m) => h("option", { value: m }, formatMonth(m, this.ctx.locale))),
      );
      s.value = value;
      return s;
    };
    const by = h(
      "select",
      { "data-testid": "diff-by", onchange: (e: Event) => (this.ctx.prefs.diffBy = (e.target as HTMLSelectElement).value) },
      h("option", { value: "service" }, label("dim", "service")),
      h("option", { value: "resource" }, label("dim", "resource")),
    );
    by.value = this.ctx.prefs.diffBy;
    return h(
      "form",
      {
        class: "toolbar diff-controls",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.load();
        },
      },
      h("label", { class: "field" }, h("span", {}, t("compare")), monthSelect("diff-from", this.from, (v) => (this.from = v))),
      h("label", { class: "field" }, h("span", {}, t("with")), monthSelect("diff-to", this.to, (v) => (this.to = v))),
      h("label", { class: "field" }, h("span", {}, t("by")), by),
      h("button", { type: "submit", class: "primary", "data-testid": "diff-run" }, t("compareRun")),
    );
  }

  async load(): Promise<void> {
    if (!this.from || !this.to) {
      this.result.replaceChildren(h("p", { class: "muted" }, t("noLines")));
      return;
    }
    const seq = ++this.seq;
    this.result.setAttribute("aria-busy", "true");
    let d: Diff;
    try {
      d = await this.ctx.backend.reviewDiff({ filter: this.ctx.request(), from: this.from, to: this.to, by: this.ctx.prefs.diffBy });
    } catch (e) {
      if (seq === this.seq) this.result.replaceChildren(errorBox(e, "diff-error"));
      return;
    }
    if (seq !== this.seq) return;
    this.result.removeAttribute("aria-busy");
    this.result.replaceChildren(this.render(d));
  }

  /** The explorer on the later month, narrowed to a row's service or resource. */
  private open(d: Diff, r: DiffRow): void {
    const month = r.status === "gone" ? d.from : d.to;
    const resource = d.by === "resource" && !r.key.startsWith("(");
    this.ctx.openLines({ from: month, to: month, service: r.service, resource: resource ? r.key : "", currency: r.currency });
  }

  private amounts(r: DiffRow, cells: "full" | "short"): Node[] {
    const l = this.ctx.locale;
    const c = r.currency;
    const pct = r.change_pct === null ? h("span", { class: "muted" }, "—") : h("span", { class: "pct", "data-value": r.change_pct }, formatPercent(r.change_pct, l));
    const change = money(r.change, c, l, { change: true, testid: "diff-change" });
    if (cells === "short") return [h("td", {}, change, " ", h("span", { class: "ccy" }, c)), h("td", {}, pct)];
    return [
      h("td", {}, money(r.from_amount, c, l)),
      h("td", {}, money(r.to_amount, c, l)),
      h("td", {}, change, " ", h("span", { class: "ccy" }, c)),
      h("td", {}, pct),
    ];
  }

  private keyCell(d: Diff, r: DiffRow): HTMLElement {
    return h(
      "th",
      { scope: "row" },
      h("button", { type: "button", class: "link", title: t("openLines"), onclick: () => this.open(d, r) }, r.key),
      d.by === "resource" ? h("span", { class: "muted" }, ` · ${r.service}`) : null,
    );
  }

  private movers(d: Diff, title: string, testid: string, rows: DiffRow[]): HTMLElement {
    return h(
      "section",
      { class: "card movers", "data-testid": testid },
      h("h3", {}, title),
      rows.length === 0
        ? h("p", { class: "muted" }, t("noChanges"))
        : h("table", { class: "data compact" }, h("tbody", {}, rows.map((r) => h("tr", { "data-key": r.key }, this.keyCell(d, r), ...this.amounts(r, "short"))))),
    );
  }

  private render(d: Diff): HTMLElement {
    const l = this.ctx.locale;
    const c = d.counts;
    const moving = c.new + c.gone + c.changed;
    return h(
      "div",
      {},
      h(
        "p",
        { class: "diff-counts", "data-testid": "diff-counts", "data-new": String(c.new), "data-gone": String(c.gone), "data-changed": String(c.changed), "data-same": String(c.same) },
        t("diffCounts", {
          from: formatMonth(d.from, l, "long"),
          to: formatMonth(d.to, l, "long"),
          new: formatCount(c.new, l),
          gone: formatCount(c.gone, l),
          changed: formatCount(c.changed, l),
          same: formatCount(c.same, l),
        }),
      ),
      h(
        "div",
        { class: "movers-grid" },
        this.movers(d, t("moversAmount"), "diff-movers-amount", d.movers_by_amount),
        this.movers(d, t("moversPct"), "diff-movers-pct", d.movers_by_pct),
      ),
      h(
        "section",
        { class: "card" },
        h("h3", {}, t("diffRows")),
        d.rows.length === 0
          ? h("p", { class: "muted" }, t("noChanges"))
          : h(
              "table",
              { class: "data", "data-testid": "diff-rows" },
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  h("th", { scope: "col" }, label("dim", d.by)),
                  h("th", { scope: "col", class: "text" }, t("status")),
                  h("th", { scope: "col" }, formatMonth(d.from, l)),
                  h("th", { scope: "col" }, formatMonth(d.to, l)),
                  h("th", { scope: "col" }, t("change")),
                  h("th", { scope: "col" }, "%"),
                ),
              ),
              h(
                "tbody",
                {},
                d.rows.map((r) =>
                  h(
                    "tr",
                    { "data-testid": "diff-row", "data-status": r.status, "data-key": r.key },
                    this.keyCell(d, r),
                    h("td", { class: "text" }, h("span", { class: `badge diff ${r.status}` }, label("diff", r.status))),
                    ...this.amounts(r, "full"),
                  ),
                ),
              ),
            ),
        d.rows.length < moving ? h("p", { class: "muted" }, t("diffShown", { shown: formatCount(d.rows.length, l), total: formatCount(moving, l) })) : null,
      ),
      h(
        "section",
        { class: "card" },
        h("h3", {}, t("unitPrices")),
        d.unit_price_changes.length === 0
          ? h("p", { class: "muted" }, t("noUnitPriceChanges"))
          : h(
              "table",
              { class: "data compact", "data-testid": "unit-prices" },
              h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("resource")), h("th", { scope: "col", class: "text" }, "SKU"), h("th", { scope: "col" }, formatMonth(d.from, l)), h("th", { scope: "col" }, formatMonth(d.to, l)))),
              h(
                "tbody",
                {},
                d.unit_price_changes.map((u) =>
                  h(
                    "tr",
                    { "data-testid": "unit-price-change" },
                    h("th", { scope: "row", class: "mono" }, u.resource),
                    h("td", { class: "text" }, u.sku ?? ""),
                    h("td", {}, formatAmount(u.from_unit_price, u.currency, l, { full: true }), " ", h("span", { class: "ccy" }, u.currency)),
                    h("td", {}, formatAmount(u.to_unit_price, u.currency, l, { full: true }), " ", h("span", { class: "ccy" }, u.currency)),
                  ),
                ),
              ),
            ),
        d.unit_price_changes.length < d.total_unit_price_changes
          ? h("p", { class: "muted" }, t("diffShown", { shown: formatCount(d.unit_price_changes.length, l), total: formatCount(d.total_unit_price_changes, l) }))
          : null,
      ),
      h(
        "section",
        { class: "card" },
        h(
          "h3",
          {},
          t("corrections"),
          " ",
          h("span", { class: "badge", "data-testid": "corrections-count", "data-value": String(d.corrections_total) }, formatCount(d.corrections_total, l)),
        ),
        d.corrections.length === 0
          ? h("p", { class: "muted" }, t("noCorrections"))
          : h(
              "table",
              { class: "data compact", "data-testid": "corrections" },
              h(
                "tbody",
                {},
                d.corrections.map((x) =>
                  h(
                    "tr",
                    { "data-testid": "correction", "data-line-id": String(x.id) },
                    h("th", { scope: "row", class: "src" }, `${x.source_file}:${x.source_line}`),
                    h("td", { class: "text" }, formatMonth(x.month, l)),
                    h("td", { class: "text" }, x.account),
                    h("td", { class: "text" }, x.service, x.resource_id ? h("span", { class: "muted mono" }, ` ${x.resource_id}`) : null),
                    h("td", { class: "text" }, h("span", { class: "badge correction" }, x.charge_class ?? x.category)),
                    h("td", {}, money(x.billed_cost, x.currency, l, { full: true }), " ", h("span", { class: "ccy" }, x.currency)),
                  ),
                ),
              ),
            ),
        // The core lists the first 100: say how many there are.
        d.corrections.length < d.corrections_total
          ? h(
              "p",
              { class: "muted", "data-testid": "corrections-shown" },
              t("correctionsShown", { shown: formatCount(d.corrections.length, l), total: formatCount(d.corrections_total, l) }),
            )
          : null,
      ),
    );
  }
}
