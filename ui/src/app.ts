// The app's shell: the page tabs (Overview, Bills), the scope switcher both pages share, import
// and record-movement, the loading, empty and error states. The pages live in `pages/`; the
// Bills page is loaded on first use, so the overview paints without it.

import type { ImportProgress } from "./bindings/ImportProgress";
import type { ImportReport } from "./bindings/ImportReport";
import type { Movement } from "./bindings/Movement";
import type { Scope } from "./bindings/Scope";
import type { Overview } from "./bindings/Overview";
import type { Scopes } from "./bindings/Scopes";
import type { Start } from "./bindings/Start";
import type { Backend } from "./backend/index";
import { h } from "./dom";
import { formatCount, formatDate, isAmountInput } from "./format";
import { type MessageKey, t } from "./i18n";
import type { BillsPage, BillsPreset } from "./pages/bills";
import { type ChartFactory, renderOverview } from "./pages/overview";
import { errorBox, errorInfo, errorSentence, tabList } from "./widgets";

export { sortAlerts, type ChartFactory } from "./pages/overview";
export { sumDecimals } from "./format";

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

export type PageKey = "overview" | "bills";

const SCOPE_KEY = "billfold.scope";
/** What an export that does not say its currency can be read in: the currencies Tencent and
 * Huawei bill in (their Chinese and international sites), whose exports may leave it out. */
const READ_AS_CURRENCIES = ["CNY", "USD"];

export function scopeKey(scope: Scope): string {
  return scope.kind === "all" ? "all" : `${scope.kind}:${scope.id}`;
}

export function parseScopeKey(key: string): Scope | null {
  if (key === "all") return { kind: "all" };
  const m = /^(account|org):(.+)$/.exec(key);
  if (!m) return null;
  return m[1] === "account" ? { kind: "account", id: m[2] } : { kind: "org", id: m[2] };
}

export class App {
  private readonly backend: Backend;
  private readonly root: HTMLElement;
  private readonly locale: string;
  private readonly storage?: Pick<Storage, "getItem" | "setItem">;
  private readonly chart?: ChartFactory;
  private onPainted?: () => void;
  private scopes: Scopes = { orgs: [], accounts: [] };
  /** The kept choice of settling imported bills (`start` answers it). */
  private importSettle = false;
  private scope: Scope = { kind: "all" };
  private page: PageKey = "overview";
  private months = 6;
  private asOf: string | null = null;
  private disposers: (() => void)[] = [];
  private readonly main: HTMLElement;
  private readonly status: HTMLElement;
  /** Where the current page is drawn; kept across reloads so figures stay while refreshing. */
  private readonly pageHost: HTMLElement;
  private header: HTMLElement | null = null;
  private bills: BillsPage | null = null;
  private loadSeq = 0;
  /** Counts the pages drawn: work scheduled for after a paint is dropped when the page is gone. */
  private drawn = 0;
  private listening = false;

  constructor(options: AppOptions) {
    this.backend = options.backend;
    this.root = options.root;
    this.locale = options.locale;
    this.storage = options.storage;
    this.chart = options.chart;
    this.onPainted = options.onPainted;
    // Not a live region itself: the alerts list and the status line are; a live <main> would read
    // every redrawn figure out on each reload.
    this.main = h("main", { id: "main" });
    this.status = h("div", { class: "status", role: "status", "data-testid": "status" });
    this.pageHost = h("div", { id: "page", class: "page", role: "tabpanel" });
  }

  /** Loads the scopes and the remembered scope's overview. */
  async start(): Promise<void> {
    this.root.replaceChildren(this.main, this.status);
    await this.reload();
  }

  /** The first page (or state) is on screen: say so, then start what can wait for it. */
  private painted(): void {
    const cb = this.onPainted;
    this.onPainted = undefined;
    cb?.();
    // Import progress and drop reports: each listener is a round trip, after the figures.
    if (!this.listening) {
      this.listening = true;
      void this.backend.onImportProgress((p) => this.showProgress(p));
      void this.backend.onImportFinished((r) => this.showImportReport(r));
    }
  }

  /** Runs `work` once the current page has been painted (the chart: the figures come first),
   * unless the page was replaced meanwhile. */
  private afterPaint(work: () => void): void {
    const drawn = this.drawn;
    const run = () => {
      if (drawn === this.drawn) work();
    };
    // A task queued from a frame callback runs once that frame is painted; queued one task
    // later, so that whatever marks the paint (main.ts) runs first.
    const later = () => setTimeout(() => setTimeout(run, 0), 0);
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(later);
    else later();
  }

  /** Reloads the scope list and the current page: on the overview, in one round trip. */
  async reload(): Promise<void> {
    const seq = ++this.loadSeq;
    if (!this.header) {
      this.dispose();
      this.main.setAttribute("aria-busy", "true");
      this.main.replaceChildren(h("p", { class: "loading", "data-testid": "loading" }, t("loading")));
    }
    const overview = this.page === "overview";
    let start: Start;
    try {
      start = await this.backend.start({
        scope: parseScopeKey(this.storage?.getItem(SCOPE_KEY) ?? ""),
        months: overview && this.months !== 6 ? this.months : null,
        overview,
      });
    } catch (e) {
      if (seq === this.loadSeq) this.showError(e, this.main);
      return;
    }
    if (seq !== this.loadSeq) return;
    this.scopes = start.scopes;
    this.importSettle = start.import_settle;
    if (!start.scope) {
      this.showEmpty();
      return;
    }
    this.scope = start.scope;
    this.renderShell();
    if (overview && start.overview && this.page === "overview") this.showOverview(start.overview);
    else await this.loadPage(seq);
  }

  private dispose(): void {
    this.drawn++;
    for (const d of this.disposers) d();
    this.disposers = [];
  }

  /** The header (title, page tabs, scope, as-of, import, record) above the page. */
  private renderShell(): void {
    const header = h(
      "header",
      { class: "bar" },
      h("h1", {}, t("appTitle")),
      tabList<PageKey>(
        t("pages"),
        [
          { key: "overview", label: t("navOverview"), testid: "nav-overview" },
          { key: "bills", label: t("navBills"), testid: "nav-bills" },
        ],
        this.page,
        "page",
        (key) => void this.switchPage(key),
      ),
      this.scopeSelect(),
      h("span", { class: "asof", "data-testid": "as-of" }, this.asOf ? t("asOf", { date: formatDate(this.asOf, this.locale) }) : ""),
      h("span", { class: "spacer" }),
      this.settleToggle(),
      h("button", { type: "button", class: "primary", "data-testid": "import-button", onclick: () => void this.runImport() }, t("importBills")),
      h("button", { type: "button", "data-testid": "record-button", onclick: () => this.openRecord() }, t("record")),
    );
    this.pageHost.setAttribute("aria-labelledby", `tab-${this.page}`);
    this.pageHost.dataset.page = this.page;
    if (this.header && this.header.parentNode === this.main) {
      this.header.replaceWith(header);
    } else {
      this.main.replaceChildren(header, this.pageHost);
    }
    this.header = header;
  }

  private async loadPage(seq = ++this.loadSeq, preset?: BillsPreset): Promise<void> {
    if (this.page === "overview") await this.loadOverview(seq);
    else await this.showBills(seq, preset);
  }

  /** Shows another page; `preset` filters the Bills page's explorer (from an overview figure). */
  async switchPage(page: PageKey, preset?: BillsPreset): Promise<void> {
    this.page = page;
    if (!this.header) return;
    this.renderShell();
    await this.loadPage(++this.loadSeq, preset);
  }

  private async loadOverview(seq: number): Promise<void> {
    this.main.setAttribute("aria-busy", "true");
    if (!this.pageHost.querySelector("[data-testid=overview]")) {
      this.dispose();
      this.pageHost.replaceChildren(h("p", { class: "loading", "data-testid": "loading" }, t("loading")));
    }
    let overview: Overview;
    try {
      overview = await this.backend.overview(this.scope, this.months === 6 ? undefined : this.months);
    } catch (e) {
      if (seq === this.loadSeq) this.showError(e, this.pageHost);
      return;
    }
    if (seq !== this.loadSeq || this.page !== "overview") return;
    this.showOverview(overview);
  }

  private showOverview(overview: Overview): void {
    this.dispose();
    this.main.removeAttribute("aria-busy");
    this.asOf = overview.as_of;
    const asOf = this.header?.querySelector("[data-testid=as-of]");
    if (asOf) asOf.textContent = t("asOf", { date: formatDate(overview.as_of, this.locale) });
    const drawn = this.drawn;
    // The overview on screen is updated rather than replaced: its alerts' live region stays.
    const previous = this.pageHost.querySelector<HTMLElement>(":scope > [data-testid=overview]");
    const view = renderOverview(
      overview,
      {
        backend: this.backend,
        locale: this.locale,
        scope: this.scope,
        scopes: this.scopes,
        chart: this.chart,
        months: this.months,
        setMonths: (n) => {
          this.months = n;
          void this.loadOverview(++this.loadSeq);
        },
        reload: () => this.reload(),
        openBills: (preset) => void this.switchPage("bills", preset),
        afterPaint: (work) => this.afterPaint(work),
        // A chart that arrives after its page was replaced is removed at once.
        onDispose: (d) => (drawn === this.drawn ? this.disposers.push(d) : d()),
      },
      previous,
    );
    if (view !== previous) this.pageHost.replaceChildren(view);
    this.painted();
  }

  private async showBills(seq: number, preset?: BillsPreset): Promise<void> {
    this.dispose();
    this.main.removeAttribute("aria-busy");
    if (!this.bills) {
      this.pageHost.replaceChildren(h("p", { class: "loading", "data-testid": "loading" }, t("loadingBills")));
      const { BillsPage } = await import("./pages/bills");
      this.bills ??= new BillsPage({
        backend: this.backend,
        locale: this.locale,
        scopes: () => this.scopes,
        asOf: () => this.asOf,
      });
    }
    if (seq !== this.loadSeq || this.page !== "bills") return;
    this.pageHost.replaceChildren(this.bills.element);
    await this.bills.show(this.scope, preset);
  }

  private async switchScope(scope: Scope): Promise<void> {
    this.scope = scope;
    this.storage?.setItem(SCOPE_KEY, scopeKey(scope));
    await this.loadPage();
  }

  private showError(e: unknown, where: HTMLElement): void {
    this.dispose();
    this.main.removeAttribute("aria-busy");
    const { code, sentence, message } = errorSentence(e);
    where.replaceChildren(
      h(
        "section",
        { class: "state error", "data-testid": "error", "data-code": code, role: "alert" },
        h("h2", {}, t("errorTitle")),
        h("p", {}, sentence),
        h("p", { class: "detail" }, message),
        h("button", { type: "button", onclick: () => void this.reload() }, t("retry")),
      ),
    );
    this.painted();
  }

  private showEmpty(): void {
    this.dispose();
    this.header = null;
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
      this.showError(e, this.main);
      return;
    }
    await this.reload();
  }

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

  // ---- import ----

  private async runImport(): Promise<void> {
    let report: ImportReport | null;
    try {
      report = await this.backend.importBills();
    } catch (e) {
      this.setStatus(h("p", { class: "error", role: "alert" }, errorInfo(e).message));
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
        h("label", {}, t("importing", { file: p.file, index: p.index, total: p.total, lines: formatCount(p.rows, this.locale) })),
        // One thousandth per step of the file being read, the files before it full.
        h("progress", { max: p.total * 1000, value: (p.index - 1) * 1000 + (p.done ? 1000 : Math.min(p.per_mille, 1000)) }),
      ),
    );
  }

  /** The kept choice of settling imported bills, beside the import button. */
  private settleToggle(): HTMLElement {
    const box = h("input", {
      type: "checkbox",
      "data-testid": "import-settle",
      checked: this.importSettle,
      onchange: async () => {
        const on = box.checked;
        try {
          await this.backend.setImportSettle(on);
          this.importSettle = on;
          // The header may have been drawn again while the choice was being kept.
          for (const b of this.root.querySelectorAll<HTMLInputElement>("[data-testid=import-settle]")) b.checked = on;
        } catch (e) {
          box.checked = this.importSettle;
          const { sentence, message } = errorSentence(e);
          this.setStatus(h("p", { class: "error", role: "alert", "data-testid": "import-settle-error" }, `${sentence} ${message}`));
        }
      },
    }) as HTMLInputElement;
    return h("label", { class: "toggle", title: t("importSettleHint") }, box, t("importSettle"));
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
          report.files.map((f, i) =>
            f.error
              ? h(
                  "li",
                  { class: "error", "data-status": f.status, "data-code": f.error.code },
                  t("importFailed", { file: f.file }),
                  h("pre", {}, f.error.message),
                  f.awaiting_currency === null ? null : this.readAs(report, i, f.awaiting_currency),
                )
              : h(
                  "li",
                  { "data-status": f.status },
                  f.status === "already_imported"
                    ? t("importAlready", { file: f.file })
                    : t("importResult", { file: f.file, rows: formatCount(f.rows, this.locale), format: f.format ?? "" }),
                  f.notes.length ? h("ul", { class: "notes" }, f.notes.map((n) => h("li", { "data-testid": "import-note" }, n))) : null,
                ),
          ),
        ),
        h("button", { type: "button", onclick: () => this.setStatus(null) }, t("close")),
      ),
    );
    void this.reload();
  }

  /** For a file refused only because it does not say its amounts' currency: a button per
   * currency its exports are in, importing it again in the one chosen. */
  private readAs(report: ImportReport, index: number, file: number): HTMLElement {
    const choose = async (currency: string) => {
      for (const b of buttons) b.disabled = true;
      let again: ImportReport;
      try {
        again = await this.backend.importInCurrency(file, currency);
      } catch (e) {
        // Said in the report, under the file: the number was used up already (a file changed
        // since comes back as a failed file in the report instead). Only importing the file
        // again can help, so the buttons go.
        for (const b of buttons) b.remove();
        box.append(errorBox(e, "import-read-as-error"));
        return;
      }
      const files = report.files.slice();
      files.splice(index, 1, ...again.files);
      this.showImportReport({ files });
    };
    const buttons: HTMLButtonElement[] = READ_AS_CURRENCIES.map((c) =>
      h("button", { type: "button", "data-testid": "import-read-as", "data-currency": c, onclick: () => void choose(c) }, c),
    );
    const box = h("div", { class: "read-as", title: t("importReadAsHint") }, h("span", {}, t("importReadAs")), ...buttons);
    return box;
  }

  private setStatus(node: Node | null): void {
    if (node) this.status.replaceChildren(node);
    else this.status.replaceChildren();
  }

  // ---- record a movement ----

  openRecord(): void {
    const accounts = this.scopes.accounts;
    const s = this.scope;
    const current = (s.kind === "account" ? s.id : undefined) ?? accounts[0]?.id ?? "";
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
      { name: "voucher_kind", "data-testid": "movement-voucher-kind" },
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
    // One operation id per opened form, sent with every attempt: a second click, or a retry
    // after an answer that never came, is a no-op in the core. A new form gets a new id.
    const opId = newOperationId();
    const save = h("button", { type: "submit", class: "primary", "data-testid": "movement-submit" }, t("save"));
    let pending = false;
    const setPending = (on: boolean) => {
      pending = on;
      save.disabled = on;
      if (on) dialog.setAttribute("aria-busy", "true");
      else dialog.removeAttribute("aria-busy");
    };
    const submit = async (e: Event) => {
      e.preventDefault();
      if (pending) return;
      error.textContent = "";
      const m = buildMovement(kind.value, account.value, amount.value, voucherKind.value, expires.value);
      if ("problem" in m) {
        error.textContent = t(m.problem);
        return;
      }
      setPending(true);
      let summary: string;
      try {
        summary = await this.backend.recordMovement({ op_id: opId, movement: m.movement });
      } catch (err) {
        error.textContent = errorInfo(err).message;
        setPending(false);
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
          save,
        ),
      ),
    );
    this.root.append(dialog);
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
    amount.focus();
  }
}

/** A fresh operation id (a v4 UUID) for a movement form. `crypto.randomUUID` needs a secure
 * context (the app's is one); elsewhere the same from `getRandomValues`. */
export function newOperationId(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === "function") return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
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

