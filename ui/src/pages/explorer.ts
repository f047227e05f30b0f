// The explorer: the filter's lines grouped by one dimension (exact sums per currency; a group
// narrows the filter), the totals per currency (converted only with the user's rates, the rate
// and its date shown), the paged lines with their source, review mark and, on demand, their
// original row and a form to mark them; export of the view (CSV) and of the review (XLSX).

import type { Converted } from "../bindings/Converted";
import type { CurrencyTotal } from "../bindings/CurrencyTotal";
import type { Groups } from "../bindings/Groups";
import type { Line } from "../bindings/Line";
import type { LinePage } from "../bindings/LinePage";
import type { MarkTarget } from "../bindings/MarkTarget";
import { h } from "../dom";
import { formatCount, formatDate, formatDecimal, formatInstant, formatMonth, sumDecimals } from "../format";
import { t } from "../i18n";
import { errorBox, money } from "../widgets";
import { type BillsContext, type BillsFilter, type BillsView, label } from "./context";

/** The dimensions lines can be grouped by (tag:KEY is typed). */
export const GROUP_DIMENSIONS = ["month", "service", "account", "sub_account", "provider", "region", "category", "resource"] as const;

export const SORTS = ["billed", "effective", "list", "source"] as const;

/** The filter that narrows to one group, and the dimension worth grouping by next. */
export function narrowTo(by: string, value: string): { patch: Partial<BillsFilter>; next: string } {
  if (by.startsWith("tag:")) return { patch: { tag: `${by.slice(4)}=${value}` }, next: "service" };
  switch (by) {
    case "month":
      return { patch: { from: value, to: value }, next: "service" };
    case "service":
      return { patch: { service: value }, next: "resource" };
    case "resource":
      return { patch: { resource: value }, next: "month" };
    case "sub_account":
      return { patch: { sub_account: value }, next: "service" };
    default:
      return { patch: { [by]: value } as Partial<BillsFilter>, next: "service" };
  }
}

export class ExplorerView implements BillsView {
  readonly element: HTMLElement;
  private page = 1;
  private openLine: number | null = null;
  private readonly groupsHost: HTMLElement;
  private readonly linesHost: HTMLElement;
  private readonly totalsHost: HTMLElement;
  private readonly exportNote: HTMLElement;
  private linesSeq = 0;
  private groupsSeq = 0;

  constructor(private readonly ctx: BillsContext) {
    this.groupsHost = h("div", { class: "groups-body" });
    this.linesHost = h("div", { class: "lines-body" });
    this.totalsHost = h("div", { class: "totals", "data-testid": "line-totals", "aria-live": "polite" });
    this.exportNote = h("span", { class: "note", role: "status" });
    this.element = h(
      "div",
      { class: "explorer", "data-testid": "explorer" },
      h(
        "div",
        { class: "toolbar" },
        this.totalsHost,
        h("span", { class: "spacer" }),
        this.convertForm(),
        h("button", { type: "button", "data-testid": "export-csv", title: t("exportCsvHint"), onclick: () => void this.export("csv") }, t("exportCsv")),
        h("button", { type: "button", "data-testid": "export-xlsx", title: t("exportXlsxHint"), onclick: () => void this.export("xlsx") }, t("exportXlsx")),
      ),
      this.exportNote,
      h(
        "div",
        { class: "explorer-grid" },
        h("section", { class: "card groups", "aria-labelledby": "groups-title" }, this.groupsHead(), this.groupsHost),
        h("section", { class: "card lines", "aria-labelledby": "lines-title" }, this.linesHost),
      ),
    );
  }

  async load(): Promise<void> {
    await Promise.all([this.loadGroups(), this.loadLines()]);
  }

  // ---- groups ----

  private groupBy(): string {
    return this.ctx.prefs.groupBy === "tag" ? `tag:${this.ctx.prefs.tagKey}` : this.ctx.prefs.groupBy;
  }

  private groupsHead(): HTMLElement {
    const select = h(
      "select",
      {
        "data-testid": "group-by",
        "aria-label": t("groupBy"),
        onchange: (e: Event) => {
          this.ctx.prefs.groupBy = (e.target as HTMLSelectElement).value;
          tag.hidden = this.ctx.prefs.groupBy !== "tag";
          if (this.ctx.prefs.groupBy !== "tag" || this.ctx.prefs.tagKey) void this.loadGroups();
          else tag.focus();
        },
      },
      [...GROUP_DIMENSIONS, "tag"].map((d) => h("option", { value: d }, label("dim", d))),
    );
    select.value = this.ctx.prefs.groupBy;
    const tag = h("input", {
      type: "text",
      size: 8,
      value: this.ctx.prefs.tagKey,
      placeholder: t("tagKey"),
      "aria-label": t("tagKey"),
      "data-testid": "group-tag-key",
      hidden: this.ctx.prefs.groupBy !== "tag",
      onchange: (e: Event) => {
        this.ctx.prefs.tagKey = (e.target as HTMLInputElement).value.trim();
        if (this.ctx.prefs.tagKey) void this.loadGroups();
      },
    });
    return h("div", { class: "card-head" }, h("h3", { id: "groups-title" }, t("groups")), h("span", { class: "controls" }, t("groupBy"), " ", select, tag));
  }

  private async loadGroups(): Promise<void> {
    const seq = ++this.groupsSeq;
    const by = this.groupBy();
    this.groupsHost.setAttribute("aria-busy", "true");
    let groups: Groups;
    try {
      groups = await this.ctx.backend.reviewGroups({ filter: this.ctx.request(), by });
    } catch (e) {
      if (seq === this.groupsSeq) this.groupsHost.replaceChildren(errorBox(e, "groups-error"));
      return;
    }
    if (seq !== this.groupsSeq) return;
    this.groupsHost.removeAttribute("aria-busy");
    this.groupsHost.replaceChildren(this.groupsTable(groups));
  }

  private groupValue(by: string, value: string): string {
    return by === "month" ? formatMonth(value, this.ctx.locale) : value;
  }

  private groupsTable(g: Groups): HTMLElement {
    if (g.groups.length === 0) return h("p", { class: "muted", "data-testid": "groups-empty" }, t("noLines"));
    const l = this.ctx.locale;
    return h(
      "div",
      {},
      h(
        "table",
        { class: "data compact", "data-testid": "groups", "data-by": g.by },
        h(
          "thead",
          {},
          h("tr", {}, h("th", { scope: "col" }, label("dim", g.by.startsWith("tag:") ? "tag" : g.by)), h("th", { scope: "col" }, t("billed")), h("th", { scope: "col" }, t("lines"))),
        ),
        h(
          "tbody",
          {},
          g.groups.map((x) =>
            h(
              "tr",
              { "data-testid": "group-row", "data-value": x.value ?? "", "data-currency": x.currency },
              h(
                "th",
                { scope: "row" },
                x.value === null
                  ? h("span", { class: "muted", title: t("noValueHint") }, t("noValue"))
                  : h(
                      "button",
                      {
                        type: "button",
                        class: "link",
                        "data-testid": "group-open",
                        title: t("narrowTo"),
                        onclick: () => {
                          const { patch, next } = narrowTo(g.by, x.value as string);
                          if (!g.by.startsWith("tag:") && this.ctx.prefs.groupBy === g.by) this.ctx.prefs.groupBy = next;
                          // A group is one value in one currency: narrow to both.
                          this.ctx.setFilter({ ...patch, currency: x.currency });
                        },
                      },
                      this.groupValue(g.by, x.value),
                    ),
              ),
              h("td", {}, money(x.billed_cost, x.currency, l, { testid: "group-billed" }), " ", h("span", { class: "ccy" }, x.currency)),
              h("td", { "data-testid": "group-lines", "data-value": String(x.lines) }, formatCount(x.lines, l)),
            ),
          ),
        ),
      ),
      g.groups.length < g.total_groups
        ? h("p", { class: "muted" }, t("groupsShown", { shown: formatCount(g.groups.length, l), total: formatCount(g.total_groups, l) }))
        : null,
    );
  }

  // ---- totals and conversion ----

  private totals: CurrencyTotal[] = [];

  private showTotals(p: LinePage): void {
    this.totals = p.totals;
    const l = this.ctx.locale;
    this.totalsHost.replaceChildren(
      h("span", { class: "label" }, t("total")),
      ...(p.totals.length === 0
        ? [h("span", { class: "muted" }, "—")]
        : p.totals.map((x) =>
            h(
              "span",
              { class: "total", "data-testid": "line-total", "data-currency": x.currency, "data-value": x.billed_cost, "data-lines": String(x.lines) },
              money(x.billed_cost, x.currency, l),
              " ",
              h("span", { class: "ccy" }, x.currency),
              h("span", { class: "muted" }, ` · ${t("nLines", { n: formatCount(x.lines, l) })}`),
            ),
          )),
      h("span", { class: "converted-list", "data-testid": "converted-list" }),
    );
    if (this.ctx.prefs.convertTo) void this.convert(this.ctx.prefs.convertTo);
  }

  private convertForm(): HTMLElement {
    const input = h("input", {
      type: "text",
      size: 4,
      maxlength: 3,
      value: this.ctx.prefs.convertTo,
      placeholder: "CNY",
      "aria-label": t("convertTo"),
      "data-testid": "convert-to",
    });
    return h(
      "form",
      {
        class: "convert",
        onsubmit: (e: Event) => {
          e.preventDefault();
          this.ctx.prefs.convertTo = input.value.trim().toUpperCase();
          void this.convert(this.ctx.prefs.convertTo);
        },
      },
      h("label", {}, t("convertTo"), " ", input),
      h("button", { type: "submit", "data-testid": "convert-run" }, t("convert")),
    );
  }

  /** Each total in another currency, with the rate and its date; their sum only when every
   * total could be converted. */
  private async convert(to: string): Promise<void> {
    const host = this.totalsHost.querySelector<HTMLElement>("[data-testid=converted-list]");
    if (!host) return;
    if (!to) {
      host.replaceChildren();
      return;
    }
    const l = this.ctx.locale;
    const on = this.ctx.conversionDate();
    const results = await Promise.all(
      this.totals.map(async (x): Promise<Converted | { error: unknown; currency: string } | null> => {
        if (x.currency === to) return null;
        try {
          return await this.ctx.backend.convert({ amount: x.billed_cost, from: x.currency, to, on });
        } catch (error) {
          return { error, currency: x.currency };
        }
      }),
    );
    const parts: Node[] = [];
    const sums: string[] = this.totals.filter((x) => x.currency === to).map((x) => x.billed_cost);
    let complete = true;
    for (const r of results) {
      if (r === null) continue;
      if ("error" in r) {
        complete = false;
        parts.push(errorBox(r.error, "convert-error"));
        continue;
      }
      sums.push(r.converted);
      parts.push(
        h(
          "span",
          { class: "converted", "data-testid": "converted", "data-from": r.from, "data-value": r.converted, "data-rate": r.rate, "data-rate-date": r.rate_date },
          "≈ ",
          money(r.converted, r.to, l),
          ` ${r.to} `,
          h(
            "span",
            { class: "muted" },
            t("rateUsed", { from: r.from, rate: formatDecimal(r.rate, l), to: r.to, date: formatDate(`${r.rate_date}T00:00:00Z`, l) }),
          ),
        ),
      );
    }
    if (complete && this.totals.length > 1 && sums.length === this.totals.length) {
      parts.push(
        h("span", { class: "converted sum", "data-testid": "converted-sum", "data-value": sumDecimals(sums) }, t("together"), " ≈ ", money(sumDecimals(sums), to, l), ` ${to}`),
      );
    }
    host.replaceChildren(...parts);
  }

  // ---- lines ----

  private async loadLines(): Promise<void> {
    const seq = ++this.linesSeq;
    this.linesHost.setAttribute("aria-busy", "true");
    let p: LinePage;
    try {
      p = await this.ctx.backend.reviewLines({ filter: this.ctx.request(), sort: this.ctx.prefs.sort, page: this.page });
    } catch (e) {
      if (seq === this.linesSeq) {
        this.linesHost.replaceChildren(errorBox(e, "lines-error"));
        this.totalsHost.replaceChildren();
      }
      return;
    }
    if (seq !== this.linesSeq) return;
    this.linesHost.removeAttribute("aria-busy");
    this.showTotals(p);
    this.linesHost.replaceChildren(this.linesHead(p), this.linesTable(p));
  }

  private linesHead(p: LinePage): HTMLElement {
    const l = this.ctx.locale;
    const first = p.total_lines === 0 ? 0 : (p.page - 1) * p.page_size + 1;
    const last = Math.min(p.page * p.page_size, p.total_lines);
    const pages = Math.max(1, Math.ceil(p.total_lines / p.page_size));
    const sort = h(
      "select",
      {
        "data-testid": "lines-sort",
        "aria-label": t("sortBy"),
        onchange: (e: Event) => {
          this.ctx.prefs.sort = (e.target as HTMLSelectElement).value;
          this.page = 1;
          void this.loadLines();
        },
      },
      SORTS.map((s) => h("option", { value: s }, label("sort", s))),
    );
    sort.value = this.ctx.prefs.sort;
    const go = (page: number) => {
      this.page = page;
      this.openLine = null;
      void this.loadLines();
    };
    return h(
      "div",
      { class: "card-head" },
      h("h3", { id: "lines-title" }, t("linesHeading")),
      h(
        "span",
        { class: "controls" },
        t("sortBy"),
        " ",
        sort,
        h("span", { class: "count", "data-testid": "lines-count", "data-total": String(p.total_lines), "data-page": String(p.page) },
          t("linesRange", { first: formatCount(first, l), last: formatCount(last, l), total: formatCount(p.total_lines, l) })),
        h("button", { type: "button", "data-testid": "lines-prev", disabled: p.page <= 1, "aria-label": t("previousPage"), onclick: () => go(p.page - 1) }, "‹"),
        h("button", { type: "button", "data-testid": "lines-next", disabled: p.page >= pages, "aria-label": t("nextPage"), onclick: () => go(p.page + 1) }, "›"),
      ),
    );
  }

  private linesTable(p: LinePage): HTMLElement {
    if (p.lines.length === 0) return h("p", { class: "muted", "data-testid": "lines-empty" }, t("noLines"));
    const l = this.ctx.locale;
    // One month: its name is in the filter already, the column would repeat it.
    const f = this.ctx.request();
    const showMonth = !(f.from !== null && f.from === f.to);
    const columns = showMonth ? 8 : 7;
    const body = h("tbody", {});
    for (const line of p.lines) {
      const details = h("tr", { class: "details", "data-testid": "line-details", hidden: true, "data-line-id": String(line.id) });
      const toggle = h(
        "button",
        {
          type: "button",
          class: "disclosure",
          "aria-expanded": "false",
          "aria-label": t("lineDetails"),
          "data-testid": "line-details-button",
          onclick: () => {
            const open = details.hidden;
            details.hidden = !open;
            toggle.setAttribute("aria-expanded", String(open));
            this.openLine = open ? line.id : null;
            if (open) this.fillDetails(details, line, columns);
          },
        },
        "▸",
      );
      body.append(
        h(
          "tr",
          { "data-testid": "line", "data-line-id": String(line.id), "data-month": line.month, "data-service": line.service, "data-account": line.account },
          h("td", { class: "toggle" }, toggle),
          h("td", { class: "src", "data-testid": "line-source" }, `${line.source_file}:${line.source_line}`),
          showMonth ? h("td", { class: "text" }, formatMonth(line.month, l)) : null,
          h("td", { class: "text" }, line.account, line.sub_account ? h("span", { class: "muted" }, ` · ${line.sub_account}`) : null),
          h("td", { class: "text" }, line.service),
          h(
            "td",
            { class: "text desc" },
            line.resource_id ? h("span", { class: "mono" }, line.resource_id) : null,
            line.resource_id ? " " : null,
            h(
              "span",
              { class: "muted" },
              [line.resource_name === line.resource_id ? null : line.resource_name, line.description].filter(Boolean).join(" · "),
            ),
            line.charge_class && line.charge_class.toLowerCase() === "correction" ? h("span", { class: "badge correction" }, t("correction")) : null,
          ),
          h("td", {}, money(line.billed_cost, line.currency, l, { testid: "line-billed", full: true }), " ", h("span", { class: "ccy" }, line.currency)),
          h(
            "td",
            { class: "text", "data-testid": "line-review", "data-status": line.review ?? "" },
            line.review ? h("span", { class: `badge status ${line.review}` }, label("status", line.review)) : h("span", { class: "muted" }, "—"),
          ),
        ),
        details,
      );
      if (this.openLine === line.id) {
        details.hidden = false;
        toggle.setAttribute("aria-expanded", "true");
        this.fillDetails(details, line, columns);
      }
    }
    return h(
      "table",
      { class: "data lines-table", "data-testid": "lines" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, t("lineDetails"))),
          h("th", { scope: "col", class: "text" }, t("source")),
          showMonth ? h("th", { scope: "col", class: "text" }, t("month")) : null,
          h("th", { scope: "col", class: "text" }, t("account")),
          h("th", { scope: "col", class: "text" }, t("service")),
          h("th", { scope: "col", class: "text" }, t("resource")),
          h("th", { scope: "col" }, t("billed")),
          h("th", { scope: "col", class: "text" }, t("review")),
        ),
      ),
      body,
    );
  }

  /** The details of a line: its fields, its original row (loaded now), the marking form. */
  private fillDetails(row: HTMLElement, line: Line, columns: number): void {
    const l = this.ctx.locale;
    const field = (name: string, value: Node | string | null) =>
      value === null || value === "" ? null : h("div", { class: "part" }, h("dt", {}, name), h("dd", {}, value));
    const amount = (v: string | null) => (v === null ? null : money(v, line.currency, l, { full: true }));
    const original = h("div", { class: "original", "data-testid": "original-row" }, h("p", { class: "muted" }, t("loading")));
    row.replaceChildren(
      h(
        "td",
        { colspan: columns },
        h(
          "div",
          { class: "details-grid" },
          h(
            "dl",
            { class: "parts one" },
            field(t("provider"), line.provider),
            field(t("member"), line.sub_account),
            field(t("region"), line.region),
            field(t("category"), line.category),
            field(t("chargeClass"), line.charge_class),
            field("SKU", line.sku_id),
            field(t("quantity"), line.pricing_quantity),
            field(
              t("chargePeriod"),
              line.charge_start
                ? line.charge_end && line.charge_end !== line.charge_start
                  ? `${formatInstant(line.charge_start, l)} – ${formatInstant(line.charge_end, l)}`
                  : formatInstant(line.charge_start, l)
                : null,
            ),
            field(t("invoice"), line.invoice_id),
            field(t("tags"), line.tags),
            field(t("billed"), amount(line.billed_cost)),
            field(t("effective"), amount(line.effective_cost)),
            field(t("list"), amount(line.list_cost)),
            field(t("coupons"), amount(line.coupon_paid)),
          ),
          original,
          this.markForm(line),
        ),
      ),
    );
    void this.ctx.backend.originalRow(line.id).then(
      (r) => {
        original.replaceChildren(
          h("h4", {}, t("originalRow"), " ", h("span", { class: "mono muted" }, `${r.source_file}:${line.source_line}`)),
          r.fields.length > 0
            ? h(
                "table",
                { class: "data compact raw" },
                h("tbody", {}, r.fields.map((f) => h("tr", {}, h("th", { scope: "row" }, f.column), h("td", { class: "text mono" }, f.value)))),
              )
            : h("p", { class: "muted" }, r.raw ?? r.note ?? t("noOriginalRow")),
        );
      },
      (e) => original.replaceChildren(errorBox(e, "original-row-error")),
    );
  }

  private markForm(line: Line): HTMLElement {
    const month = formatMonth(line.month, this.ctx.locale);
    const target = h(
      "select",
      { "data-testid": "mark-target", "aria-label": t("markWhat") },
      h("option", { value: "line" }, t("markLine")),
      line.resource_id ? h("option", { value: "resource" }, t("markResource", { resource: line.resource_id, month })) : null,
      h("option", { value: "service" }, t("markService", { service: line.service, month })),
    );
    const status = h(
      "select",
      { "data-testid": "mark-status", "aria-label": t("markAs") },
      ["reviewed", "disputed", "accepted"].map((s) => h("option", { value: s }, label("status", s))),
    );
    const note = h("input", { type: "text", size: 28, placeholder: t("notePlaceholder"), "aria-label": t("note"), "data-testid": "mark-note" });
    const result = h("div", { class: "mark-result", role: "status" });
    const submit = async (e: Event) => {
      e.preventDefault();
      const t2: MarkTarget =
        target.value === "resource" && line.resource_id
          ? { kind: "resource", resource: line.resource_id, month: line.month, account: line.account }
          : target.value === "service"
            ? { kind: "service", service: line.service, month: line.month, account: line.account }
            : { kind: "line", id: line.id };
      result.replaceChildren();
      try {
        const mark = await this.ctx.backend.markReview({ target: t2, status: status.value, note: note.value.trim() || null });
        this.ctx.notify(
          t("marked", { what: label("target", mark.target), status: label("status", mark.status), n: formatCount(mark.lines, this.ctx.locale) }),
          "mark-done",
        );
        await this.loadLines();
      } catch (err) {
        result.replaceChildren(errorBox(err, "mark-error"));
      }
    };
    return h(
      "form",
      { class: "mark-form", "data-testid": "mark-form", onsubmit: submit },
      h("h4", {}, t("markTitle")),
      h("label", { class: "field" }, h("span", {}, t("markWhat")), target),
      h("label", { class: "field" }, h("span", {}, t("markAs")), status),
      h("label", { class: "field" }, h("span", {}, t("note")), note),
      h(
        "p",
        { class: "muted small" },
        this.ctx.reviewer() ? t("markSignedBy", { name: this.ctx.reviewer() as string }) : t("markNoReviewer"),
      ),
      h("button", { type: "submit", class: "primary", "data-testid": "mark-submit" }, t("markSave")),
      result,
    );
  }

  // ---- export ----

  private async export(format: "csv" | "xlsx"): Promise<void> {
    this.exportNote.replaceChildren(t("exporting"));
    try {
      const done = await this.ctx.backend.exportReview({ filter: this.ctx.request(), format });
      this.exportNote.replaceChildren(
        done
          ? h("span", { "data-testid": "export-result", "data-path": done.path, "data-format": done.format },
              t("exported", { n: formatCount(done.lines, this.ctx.locale), path: done.path }))
          : t("exportCancelled"),
      );
    } catch (e) {
      this.exportNote.replaceChildren(errorBox(e, "export-error"));
    }
  }
}
