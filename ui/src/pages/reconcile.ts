// Reconciliation of the scope: invoices against their lines, the provider's balances against the
// ledger, payment splits that depart from the deduction order, completeness of deliveries,
// month sign-offs (and sign-offs a later import changed), and the user's exchange rates.

import type { AccountInfo } from "../bindings/AccountInfo";
import type { FxRate } from "../bindings/FxRate";
import type { Reconciliation } from "../bindings/Reconciliation";
import { h } from "../dom";
import { dayRuns, formatCount, formatDate, formatDay, formatDecimal, formatMonth, isAmountInput, isDate, isSignedAmountInput } from "../format";
import { type MessageKey, t } from "../i18n";
import { errorBox, money } from "../widgets";
import { type BillsContext, type BillsView, label } from "./context";

type Field = HTMLInputElement | HTMLSelectElement;

export class ReconcileView implements BillsView {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private seq = 0;

  constructor(private readonly ctx: BillsContext) {
    this.body = h("div", { class: "reconcile-body", "aria-live": "polite" });
    this.element = h("div", { class: "reconcile", "data-testid": "reconcile-view" }, this.body);
  }

  private currencyOf(account: string): string {
    return this.ctx.accounts().find((a) => a.id === account)?.currency ?? "XXX";
  }

  async load(): Promise<void> {
    const seq = ++this.seq;
    let r: Reconciliation;
    // The kept rates are read beside the checks; a failure to read them shows in their section.
    const rates = this.ctx.backend.fxRates().catch((error: unknown) => ({ error }));
    try {
      r = await this.ctx.backend.reconciliation(this.ctx.scope);
    } catch (e) {
      if (seq === this.seq) this.body.replaceChildren(errorBox(e, "reconcile-error"));
      return;
    }
    const kept = await rates;
    if (seq !== this.seq) return;
    this.body.replaceChildren(this.render(r, kept));
  }

  private accountSelect(testid: string): HTMLSelectElement {
    const accounts: AccountInfo[] = this.ctx.accounts();
    return h(
      "select",
      { "data-testid": testid, "aria-label": t("account") },
      accounts.map((a) => h("option", { value: a.id }, `${a.name ?? a.id} (${a.currency})`)),
    );
  }

  /** A small form: checks what it can, sends, shows the core's sentence when refused, reloads. */
  private form(
    testid: string,
    fields: [MessageKey, Field][],
    submitLabel: MessageKey,
    check: () => MessageKey | null,
    send: () => Promise<unknown>,
  ): HTMLElement {
    const result = h("div", { class: "form-result", role: "status" });
    return h(
      "form",
      {
        class: "inline-form",
        "data-testid": testid,
        onsubmit: async (e: Event) => {
          e.preventDefault();
          result.replaceChildren();
          const problem = check();
          if (problem) {
            result.replaceChildren(h("span", { class: "error", "data-testid": `${testid}-problem` }, t(problem)));
            return;
          }
          try {
            await send();
          } catch (err) {
            result.replaceChildren(errorBox(err, `${testid}-error`));
            return;
          }
          await this.load();
          this.ctx.notify(t("saved"), `${testid}-done`);
        },
      },
      fields.map(([name, input]) => h("label", { class: "field" }, h("span", {}, t(name)), input)),
      h("button", { type: "submit", "data-testid": `${testid}-submit` }, t(submitLabel)),
      result,
    );
  }

  private input(testid: string, attrs: Record<string, string | number> = {}): HTMLInputElement {
    return h("input", { type: "text", "data-testid": testid, ...attrs });
  }

  private section(title: MessageKey, hint: MessageKey | null, ...content: (Node | null)[]): HTMLElement {
    return h("section", { class: "card", "data-section": title }, h("h3", {}, t(title)), hint ? h("p", { class: "muted small" }, t(hint)) : null, ...content);
  }

  private yesNo(ok: boolean, yes: MessageKey, no: MessageKey): HTMLElement {
    return h("span", { class: `badge ${ok ? "ok" : "mismatch"}` }, ok ? t(yes) : t(no));
  }

  private render(r: Reconciliation, rates: FxRate[] | { error: unknown }): HTMLElement {
    const l = this.ctx.locale;
    const accounts = this.ctx.accounts();
    const noAccount = accounts.length === 0;

    // Invoices.
    const invAccount = this.accountSelect("invoice-account");
    const invId = this.input("invoice-id", { size: 14 });
    const invAmount = this.input("invoice-amount", { size: 10, inputmode: "decimal" });
    const invoices = this.section(
      "invoices",
      "invoicesHint",
      noAccount
        ? null
        : this.form(
            "invoice-form",
            [["account", invAccount], ["invoiceId", invId], ["amount", invAmount]],
            "addInvoice",
            () => (!invId.value.trim() ? "invoiceIdMissing" : !isAmountInput(invAmount.value) ? "invalidAmount" : null),
            () => this.ctx.backend.addInvoice({ account: invAccount.value, invoice_id: invId.value.trim(), amount: invAmount.value.trim() }),
          ),
      r.invoices.length === 0
        ? h("p", { class: "muted" }, t("noInvoices"))
        : this.table(
            "invoices",
            [t("invoice"), t("account"), t("invoiceAmount"), t("linesBilled"), t("difference"), t("lines"), ""],
            r.invoices.map((x) =>
              h(
                "tr",
                { "data-testid": "invoice-row", "data-invoice": x.invoice_id, "data-matches": String(x.matches) },
                h("th", { scope: "row", class: "text mono" }, x.invoice_id),
                h("td", { class: "text" }, x.account),
                h("td", {}, money(x.invoice_amount, x.currency, l), " ", h("span", { class: "ccy" }, x.currency)),
                h("td", {}, money(x.lines_billed, x.currency, l)),
                h("td", {}, money(x.difference, x.currency, l, { testid: "invoice-difference", change: true })),
                h("td", {}, formatCount(x.lines, l)),
                h("td", { class: "text" }, this.yesNo(x.matches, "matches", "differs")),
              ),
            ),
            [2, 3, 4, 5],
          ),
    );

    // Balance assertions.
    const asAccount = this.accountSelect("assertion-account");
    const purse = h("select", { "data-testid": "assertion-purse" }, r.purses.map((p) => h("option", { value: p }, label("purse", p))));
    const asAmount = this.input("assertion-amount", { size: 10, inputmode: "decimal" });
    const asAt = this.input("assertion-at", { size: 10, placeholder: "2026-11-01" });
    const assertions = this.section(
      "assertions",
      "assertionsHint",
      noAccount
        ? null
        : this.form(
            "assertion-form",
            [["account", asAccount], ["purse", purse], ["amount", asAmount], ["date", asAt]],
            "addAssertion",
            () => (!isSignedAmountInput(asAmount.value) ? "invalidAmount" : !isDate(asAt.value) ? "invalidDate" : null),
            () => this.ctx.backend.addAssertion({ account: asAccount.value, purse: purse.value, amount: asAmount.value.trim(), at: asAt.value.trim() }),
          ),
      r.assertions.length === 0
        ? h("p", { class: "muted" }, t("noAssertions"))
        : this.table(
            "assertions",
            [t("account"), t("purse"), t("date"), t("providerSays"), t("ledgerSays"), t("difference"), t("entriesSince")],
            r.assertions.map((x) => {
              const c = this.currencyOf(x.account);
              return h(
                "tr",
                { "data-testid": "assertion-row", "data-matches": String(x.matches) },
                h("th", { scope: "row", class: "text" }, x.account),
                h("td", { class: "text" }, label("purse", x.purse)),
                h("td", { class: "text" }, formatDate(x.at, l)),
                h("td", {}, money(x.provider_says, c, l)),
                h("td", {}, money(x.ledger_says, c, l)),
                h("td", {}, x.matches ? this.yesNo(true, "matches", "differs") : money(x.difference, c, l, { change: true })),
                h(
                  "td",
                  { class: "text", title: x.entry_ids.length ? t("entryIds", { ids: x.entry_ids.join(", ") }) : "" },
                  x.matches ? "" : formatCount(x.entries_since, l),
                ),
              );
            }),
            [3, 4, 5],
          ),
    );

    // Payment split and completeness: findings only.
    const split = this.section(
      "paymentSplit",
      "paymentSplitHint",
      r.payment_split.length === 0
        ? h("p", { class: "muted" }, t("noDepartures"))
        : h(
            "ul",
            { class: "findings" },
            r.payment_split.map((x) =>
              h("li", { "data-testid": "split-row" }, h("span", { class: "mono" }, `${x.source_file}:${x.source_line}`), ` · ${x.account} · `, x.message),
            ),
          ),
    );
    const completeness = this.section(
      "completeness",
      "completenessHint",
      r.completeness.length === 0
        ? h("p", { class: "muted" }, t("complete"))
        : this.table(
            "completeness",
            [t("account"), t("provider"), t("month"), t("status"), t("missingDays")],
            r.completeness.map((x) =>
              h(
                "tr",
                { "data-testid": "completeness-row", "data-status": x.status },
                h("th", { scope: "row", class: "text" }, x.account),
                h("td", { class: "text" }, x.provider),
                h("td", { class: "text" }, formatMonth(x.month, l)),
                h("td", { class: "text" }, h("span", { class: `badge ${x.status === "final" ? "" : "provisional"}` }, label("slice", x.status))),
                h(
                  "td",
                  { class: "text wrap", "data-days": String(x.missing_days.length) },
                  x.missing_days.length
                    ? dayRuns(x.missing_days)
                        .map(([a, b, n]) => (n === 1 ? a : t("dayRun", { first: a, last: b, n: formatCount(n, l) })))
                        .join(", ")
                    : "—",
                ),
              ),
            ),
            [],
          ),
    );

    // Sign-offs.
    const soAccount = this.accountSelect("signoff-account");
    const soMonth = h(
      "select",
      { "data-testid": "signoff-month" },
      [...this.ctx.facets.months].reverse().map((m) => h("option", { value: m }, formatMonth(m, l))),
    );
    const signoffs = this.section(
      "signoffs",
      "signoffsHint",
      noAccount || this.ctx.facets.months.length === 0
        ? null
        : this.form("signoff-form", [["account", soAccount], ["month", soMonth]], "signOff", () => null, () =>
            this.ctx.backend.signOff({ account: soAccount.value, month: soMonth.value }),
          ),
      r.signoffs.length === 0
        ? h("p", { class: "muted" }, t("noSignoffs"))
        : this.table(
            "signoffs",
            [t("account"), t("month"), t("signedAt"), t("reviewer"), t("signedBilled"), t("currentBilled"), t("difference"), ""],
            r.signoffs.map((x) =>
              h(
                "tr",
                { "data-testid": "signoff-row", "data-changed": String(x.changed), class: x.changed ? "changed" : "" },
                h("th", { scope: "row", class: "text" }, x.account),
                h("td", { class: "text" }, formatMonth(x.month, l)),
                h("td", { class: "text" }, formatDate(x.signed_at, l)),
                h("td", { class: "text" }, x.reviewer ?? "—"),
                h("td", {}, money(x.signed_billed, x.currency, l), " ", h("span", { class: "ccy" }, x.currency),
                  h("span", { class: "muted" }, ` · ${t("nLines", { n: formatCount(x.signed_lines, l) })}`)),
                h("td", {}, money(x.current_billed, x.currency, l), h("span", { class: "muted" }, ` · ${t("nLines", { n: formatCount(x.current_lines, l) })}`)),
                h("td", {}, money(x.difference, x.currency, l, { change: true })),
                h("td", { class: "text" }, x.changed ? h("span", { class: "badge mismatch", title: t("changedHint") }, t("changedSince")) : this.yesNo(true, "unchanged", "changedSince")),
              ),
            ),
            [4, 5, 6],
          ),
    );

    // Exchange rates.
    const fxFrom = this.input("fx-from", { size: 4, maxlength: 3, placeholder: "USD" });
    const fxTo = this.input("fx-to", { size: 4, maxlength: 3, placeholder: "CNY" });
    const fxRate = this.input("fx-rate", { size: 10, inputmode: "decimal" });
    const fxOn = this.input("fx-on", { size: 10, placeholder: "2026-10-31" });
    const ratesSection = this.section(
      "rates",
      "ratesHint",
      h(
        "div",
        { class: "rates-body" },
        this.form(
        "fx-form",
        [["rateFrom", fxFrom], ["rateTo", fxTo], ["rate", fxRate], ["date", fxOn]],
        "addRate",
        () =>
          !/^[A-Za-z]{3}$/.test(fxFrom.value.trim()) || !/^[A-Za-z]{3}$/.test(fxTo.value.trim())
            ? "invalidCurrency"
            : !isAmountInput(fxRate.value)
              ? "invalidAmount"
              : !isDate(fxOn.value)
                ? "invalidDate"
                : null,
        () =>
          this.ctx.backend.addFxRate({
            from: fxFrom.value.trim().toUpperCase(),
            to: fxTo.value.trim().toUpperCase(),
            rate: fxRate.value.trim(),
            on: fxOn.value.trim(),
          }),
        ),
        this.ratesTable(rates),
      ),
    );

    // The tables take the page's width; the two short sections share a row.
    for (const wide of [invoices, assertions, signoffs, completeness]) wide.classList.add("wide");
    return h("div", { class: "reconcile-grid" }, invoices, assertions, signoffs, completeness, split, ratesSection);
  }

  /** The rates kept, by currency pair then date: "1 USD = 7.1234 CNY on 31 Oct 2026". */
  private ratesTable(rates: FxRate[] | { error: unknown }): HTMLElement {
    if (!Array.isArray(rates)) return errorBox(rates.error, "fx-rates-error");
    if (rates.length === 0) return h("p", { class: "muted", "data-testid": "fx-rates-empty" }, t("noRates"));
    const l = this.ctx.locale;
    return this.table(
      "fx-rates",
      [t("rateFrom"), t("rateTo"), t("rate"), t("date")],
      rates.map((x) =>
        h(
          "tr",
          { "data-testid": "fx-rate-row", "data-from": x.from, "data-to": x.to, "data-on": x.on, "data-rate": x.rate },
          h("th", { scope: "row", class: "text" }, x.from),
          h("td", { class: "text" }, x.to),
          // Every digit kept: a rate is not rounded to a currency's minor unit.
          h("td", { title: `1 ${x.from} = ${x.rate} ${x.to}` }, formatDecimal(x.rate, l)),
          h("td", { class: "text" }, formatDay(x.on, l)),
        ),
      ),
      [2],
    );
  }

  /** A table; `numeric` names the columns holding figures (right-aligned). */
  private table(testid: string, head: string[], rows: HTMLElement[], numeric: number[]): HTMLElement {
    return h(
      "table",
      { class: "data compact", "data-testid": testid },
      h("thead", {}, h("tr", {}, head.map((c, i) => h("th", { scope: "col", class: numeric.includes(i) ? "" : "text" }, c)))),
      h("tbody", {}, rows),
    );
  }
}
