// The review marks: the current mark of every charge (newest first), with its note, reviewer
// and time; a mark whose charge no longer appears in any bill line is flagged as orphaned,
// never hidden.

import type { Marks } from "../bindings/Marks";
import { h } from "../dom";
import { formatAmount, formatCount, formatDate, formatMonth } from "../format";
import { t } from "../i18n";
import { errorBox, money } from "../widgets";
import { type BillsContext, type BillsView, label } from "./context";

export class MarksView implements BillsView {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private seq = 0;

  constructor(private readonly ctx: BillsContext) {
    const status = h(
      "select",
      {
        "data-testid": "marks-status",
        onchange: (e: Event) => {
          ctx.prefs.marksStatus = (e.target as HTMLSelectElement).value;
          void this.load();
        },
      },
      h("option", { value: "" }, t("allStatuses")),
      ["reviewed", "disputed", "accepted"].map((s) => h("option", { value: s }, label("status", s))),
    );
    status.value = ctx.prefs.marksStatus;
    this.body = h("div", { "aria-live": "polite" });
    this.element = h(
      "div",
      { class: "marks", "data-testid": "marks-view" },
      h("div", { class: "toolbar" }, h("label", { class: "field" }, h("span", {}, t("status")), status), h("p", { class: "muted" }, t("marksHint"))),
      this.body,
    );
  }

  async load(): Promise<void> {
    const seq = ++this.seq;
    let m: Marks;
    try {
      m = await this.ctx.backend.reviewMarks(this.ctx.prefs.marksStatus || null);
    } catch (e) {
      if (seq === this.seq) this.body.replaceChildren(errorBox(e, "marks-error"));
      return;
    }
    if (seq !== this.seq) return;
    this.body.replaceChildren(this.render(m));
  }

  private render(m: Marks): HTMLElement {
    const l = this.ctx.locale;
    if (m.marks.length === 0) return h("p", { class: "muted", "data-testid": "marks-empty" }, t("noMarks"));
    return h(
      "section",
      { class: "card" },
      h(
        "p",
        { "data-testid": "marks-summary", "data-total": String(m.total), "data-orphaned": String(m.orphaned) },
        t("marksSummary", { n: formatCount(m.total, l), orphaned: formatCount(m.orphaned, l) }),
      ),
      h(
        "table",
        { class: "data", "data-testid": "marks" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...[t("status"), t("markOn"), t("month"), t("account"), t("note"), t("reviewer"), t("markedAt")].map((c) => h("th", { scope: "col", class: "text" }, c)),
            h("th", { scope: "col" }, t("billed")),
            h("th", { scope: "col" }, t("lines")),
          ),
        ),
        h(
          "tbody",
          {},
          m.marks.map((x) =>
            h(
              "tr",
              { "data-testid": "mark-row", "data-status": x.status, "data-target": x.target, "data-orphaned": String(x.orphaned), class: x.orphaned ? "orphaned" : "" },
              h("td", { class: "text" }, h("span", { class: `badge status ${x.status}` }, label("status", x.status))),
              h(
                "th",
                { scope: "row", class: "text" },
                label("target", x.target),
                " ",
                h("span", { class: "mono" }, x.target === "service" ? (x.service ?? "") : (x.resource_id ?? x.service ?? "")),
                x.sku_id ? h("span", { class: "muted" }, ` · ${x.sku_id}`) : null,
              ),
              h("td", { class: "text" }, formatMonth(x.month, l)),
              h("td", { class: "text" }, x.account ?? ""),
              h("td", { class: "text note", "data-testid": "mark-note-text" }, x.note ?? ""),
              h("td", { class: "text" }, x.reviewer ?? h("span", { class: "muted" }, "—")),
              h("td", { class: "text" }, formatDate(x.at, l)),
              h(
                "td",
                { "data-testid": "mark-billed" },
                x.billed_now && x.currency ? money(x.billed_now, x.currency, l) : null,
                x.amount_changed && x.billed_when_marked && x.currency
                  ? h(
                      "span",
                      { class: "badge changed", "data-testid": "mark-amount-changed", title: t("markAmountChangedHint") },
                      t("markAmountChanged", { then: formatAmount(x.billed_when_marked, x.currency, l) }),
                    )
                  : null,
              ),
              h(
                "td",
                {},
                x.orphaned
                  ? h("span", { class: "badge orphaned", "data-testid": "mark-orphaned", title: t("orphanedHint") }, t("orphaned"))
                  : formatCount(x.lines, l),
              ),
            ),
          ),
        ),
      ),
      m.marks.length < m.total ? h("p", { class: "muted" }, t("marksShown", { shown: formatCount(m.marks.length, l), total: formatCount(m.total, l) })) : null,
    );
  }
}
