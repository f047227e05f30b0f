// An in-memory Backend: drives the unit tests, and `npm run dev` in a plain browser.

import type { AssertionRequest } from "../bindings/AssertionRequest";
import type { CommandError } from "../bindings/CommandError";
import type { ConvertRequest } from "../bindings/ConvertRequest";
import type { Converted } from "../bindings/Converted";
import type { Diff } from "../bindings/Diff";
import type { DiffQuery } from "../bindings/DiffQuery";
import type { DiffRow } from "../bindings/DiffRow";
import type { ExportDone } from "../bindings/ExportDone";
import type { ExportRequest } from "../bindings/ExportRequest";
import type { Facets } from "../bindings/Facets";
import type { FxRate } from "../bindings/FxRate";
import type { FxRateRequest } from "../bindings/FxRateRequest";
import type { Group } from "../bindings/Group";
import type { Groups } from "../bindings/Groups";
import type { GroupsQuery } from "../bindings/GroupsQuery";
import type { InvoiceRequest } from "../bindings/InvoiceRequest";
import type { Line } from "../bindings/Line";
import type { LinePage } from "../bindings/LinePage";
import type { LinesQuery } from "../bindings/LinesQuery";
import type { Mark } from "../bindings/Mark";
import type { MarkRequest } from "../bindings/MarkRequest";
import type { Marks } from "../bindings/Marks";
import type { OriginalRow } from "../bindings/OriginalRow";
import type { Reconciliation } from "../bindings/Reconciliation";
import type { ReviewFilter } from "../bindings/ReviewFilter";
import type { Signoff } from "../bindings/Signoff";
import type { SignoffRequest } from "../bindings/SignoffRequest";
import { compareDecimal, sumDecimals } from "../format";
import type { ImportProgress } from "../bindings/ImportProgress";
import type { ImportReport } from "../bindings/ImportReport";
import type { Movement } from "../bindings/Movement";
import type { MovementRequest } from "../bindings/MovementRequest";
import type { Overview } from "../bindings/Overview";
import type { Scope } from "../bindings/Scope";
import type { Scopes } from "../bindings/Scopes";
import type { Start } from "../bindings/Start";
import type { StartRequest } from "../bindings/StartRequest";
import { type Backend, BackendError } from "./index";

export interface MockOptions {
  scopes?: Scopes;
  overview?: Overview | ((scope: Scope) => Overview);
  /** Every call fails with this error. */
  fail?: CommandError;
  /** `recordMovement` fails with this error. */
  refuseMovement?: CommandError;
  /** Milliseconds before each answer. */
  delay?: number;
  importReport?: ImportReport | null;
  /** The kept choice of settling imports (default off). */
  importSettle?: boolean;
  /** The cost lines the review commands answer from (default: `sampleLines()`). */
  lines?: Line[];
  /** One command (by its Backend method name) fails with this error. */
  failOn?: Record<string, CommandError>;
  /** `exportReview` answers `null`, as when the save dialog is cancelled. */
  exportCancelled?: boolean;
  reconciliation?: Reconciliation;
}

export function sampleScopes(): Scopes {
  return {
    orgs: [{ id: "acme", mode: "unified" }],
    accounts: [
      {
        id: "acme-admin",
        name: "Acme Group",
        provider: "Tencent Cloud",
        currency: "USD",
        mode: "prepaid",
        org: "acme",
        role: "admin",
        alert_enabled: true,
        alert_threshold: "20000",
      },
      {
        id: "acme-dev",
        name: "Acme Dev",
        provider: "Tencent Cloud",
        currency: "USD",
        mode: "prepaid",
        org: "acme",
        role: "member",
        alert_enabled: false,
        alert_threshold: null,
      },
    ],
  };
}

export function sampleOverview(): Overview {
  // [month, amount, net amount, CVM, COS]: exact strings, as the core sends them.
  const trend: [string, string, string, string, string][] = [
    ["2026-06", "4000.10", "3950.10", "3200.00", "800.10"],
    ["2026-07", "3710.50", "3660.50", "2950.50", "760.00"],
    ["2026-08", "2440.25", "2390.25", "1800.00", "640.25"],
    ["2026-09", "4410.75", "4360.75", "3500.75", "910.00"],
    ["2026-10", "3400.00", "3350.00", "2700.00", "700.00"],
    ["2026-11", "2630.4567", "2580.4567", "2100.4567", "530.00"],
  ];
  return {
    as_of: "2026-11-23T09:00:00Z",
    finance_mode: "unified",
    currencies: [
      {
        currency: "USD",
        modes: ["prepaid"],
        balances: {
          available: "12345.67",
          cash: "10000.00",
          complimentary: "500.00",
          revenue: "0",
          vouchers: "1200.00",
          prepaid_cards: "700.675",
          frozen: "55.005",
          pending_withdrawals: "0",
          arrears: "0",
          withdrawable: "9945.00",
        },
        unpaid_orders: {
          count: 2,
          amount: "340.00",
          overdue_count: 0,
          overdue_amount: "0",
          orders: [
            { account: "acme-dev", product: "CVM", charged_at: "2026-11-15T10:00:00Z", amount: "300.005", overdue: false, due_at: "2026-11-30T10:00:00Z" },
            { account: "acme-admin", product: null, charged_at: "2026-11-20T10:00:00Z", amount: "39.995", overdue: false, due_at: "2026-12-05T10:00:00Z" },
          ],
        },
        cash_coupons: { count: 3, amount: "150.00" },
        invoiceable: "8210.00",
        trend: trend.map(([month, amount, net_amount, cvm, cos]) => ({
          month,
          amount,
          net_amount,
          services: [
            { service: "CVM", amount: cvm, net_amount: cvm },
            { service: "COS", amount: cos, net_amount: cos },
          ],
        })),
      },
    ],
    renewals: {
      due_30d: 1,
      expired: 1,
      frozen: 0,
      items: [
        { state: "due", id: "ins-7f3a9c", account: "acme-admin", product: "CVM", region: "ap-guangzhou", expires_at: "2026-11-29T09:00:00Z", auto_renew: false },
        { state: "expired", id: "rds-web-01", account: "acme-dev", product: "RDS", region: null, expires_at: "2026-11-01T00:00:00Z", auto_renew: false },
      ],
    },
    members: [
      { id: "acme-admin", name: "Acme Group", provider: "Tencent Cloud", currency: "USD", mode: "prepaid", role: "admin", available: "12345.67" },
      { id: "acme-dev", name: "Acme Dev", provider: "Tencent Cloud", currency: "USD", mode: "prepaid", role: "member", available: "0" },
    ],
    alerts: [
      {
        kind: "renewal_due",
        severity: "info",
        message: "3 resources are due for renewal by 20 Dec 2026: renew them or switch on auto-renew.",
        account: "acme-admin",
        due_at: null,
      },
      {
        kind: "balance_below_threshold",
        severity: "warning",
        message: "The balance 12,345.67 USD is below your alert threshold of 20,000.00: top up before 26 Nov to keep services running.",
        account: "acme-admin",
        due_at: null,
      },
      {
        kind: "voucher_expiring",
        severity: "info",
        message: "2 vouchers expire within 9 days: use them or they lapse.",
        account: "acme-admin",
        due_at: null,
      },
    ],
  };
}

export function emptyScopes(): Scopes {
  return { orgs: [], accounts: [] };
}

export class MockBackend implements Backend {
  readonly calls: { method: string; arg?: unknown }[] = [];
  /** The movements recorded, once per operation id (as the core keeps them). */
  readonly recorded: Movement[] = [];
  private readonly operations = new Map<string, { movement: string; summary: string }>();
  private progressListeners: ((p: ImportProgress) => void)[] = [];
  private finishedListeners: ((r: ImportReport) => void)[] = [];

  constructor(public options: MockOptions = {}) {}

  private async answer<T>(method: string, arg: unknown, value: () => T): Promise<T> {
    this.calls.push({ method, arg });
    if (this.options.delay) await new Promise((r) => setTimeout(r, this.options.delay));
    if (this.options.fail) throw new BackendError(this.options.fail);
    const refusal = this.options.failOn?.[method];
    if (refusal) throw new BackendError(refusal);
    return value();
  }

  /** The arguments of every call of one method, oldest first. */
  argsOf(method: string): unknown[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.arg);
  }

  start(request: StartRequest): Promise<Start> {
    return this.answer("start", request, () => {
      const scopes = this.options.scopes ?? sampleScopes();
      const scope = pickScope(scopes, request.scope);
      if (scope && request.overview && request.months !== null) this.calls.push({ method: "months", arg: request.months });
      const o = this.options.overview ?? sampleOverview();
      const overview = scope && request.overview ? (typeof o === "function" ? o(scope) : o) : null;
      return { scopes, scope, overview, import_settle: this.options.importSettle ?? false };
    });
  }

  overview(scope: Scope, months?: number): Promise<Overview> {
    if (months !== undefined) this.calls.push({ method: "months", arg: months });
    return this.answer("overview", scope, () => {
      const o = this.options.overview ?? sampleOverview();
      return typeof o === "function" ? o(scope) : o;
    });
  }

  setBalanceAlert(request: { account: string; threshold: string | null }): Promise<void> {
    return this.answer("setBalanceAlert", request, () => undefined);
  }

  recordMovement(request: MovementRequest): Promise<string> {
    return this.answer("recordMovement", request, () => {
      const { op_id, movement } = request;
      if (!op_id.trim()) throw new BackendError({ code: "invalid_input", message: "a movement needs an operation id of 1 to 100 characters" });
      // As the core: an id already applied with the same values is a no-op, with others a conflict.
      const same = JSON.stringify(movement);
      const done = this.operations.get(op_id);
      if (done && done.movement === same) return `operation '${op_id}' was already applied; nothing changed`;
      if (done) throw new BackendError({ code: "conflict", message: `operation id '${op_id}' was already used for a different operation; nothing was changed` });
      if (this.options.refuseMovement) throw new BackendError(this.options.refuseMovement);
      const summary = `recorded ${movement.kind} of ${movement.amount} on '${movement.account}'`;
      this.operations.set(op_id, { movement: same, summary });
      this.recorded.push(movement);
      return summary;
    });
  }

  importBills(): Promise<ImportReport | null> {
    return this.answer("importBills", undefined, () => {
      const report = this.options.importReport ?? null;
      if (report) {
        report.files.forEach((f, i) => {
          this.emitProgress({ file: f.file, index: i + 1, total: report.files.length, rows: f.rows, per_mille: 1000, done: true });
        });
      }
      return report;
    });
  }

  /** Answers with the refused file of the last report that has this number, imported. */
  importInCurrency(file: number, currency: string): Promise<ImportReport> {
    return this.answer("importInCurrency", { file, currency }, () => {
      const refused = this.options.importReport?.files.find((f) => f.awaiting_currency === file);
      if (!refused) throw new BackendError({ code: "not_found", message: `no refused file has the number ${file}: import it again` });
      return {
        files: [{ file: refused.file, status: "imported", format: "huawei", rows: 2, error: null, awaiting_currency: null, notes: [`read in ${currency}`] }],
      };
    });
  }

  setImportSettle(on: boolean): Promise<void> {
    return this.answer("setImportSettle", on, () => {
      this.options.importSettle = on;
    });
  }

  openDemo(): Promise<void> {
    return this.answer("openDemo", undefined, () => {
      this.options.scopes = sampleScopes();
    });
  }

  emitProgress(p: ImportProgress): void {
    for (const l of this.progressListeners) l(p);
  }

  emitFinished(r: ImportReport): void {
    for (const l of this.finishedListeners) l(r);
  }

  async onImportProgress(listener: (p: ImportProgress) => void): Promise<() => void> {
    this.progressListeners.push(listener);
    return () => {
      this.progressListeners = this.progressListeners.filter((l) => l !== listener);
    };
  }

  async onImportFinished(listener: (r: ImportReport) => void): Promise<() => void> {
    this.finishedListeners.push(listener);
    return () => {
      this.finishedListeners = this.finishedListeners.filter((l) => l !== listener);
    };
  }

  // ---- bill review, in memory ----

  readonly marks: Mark[] = [];
  /** Mark id → the line a line mark is on. */
  private readonly markedLine = new Map<number, number>();
  readonly rates: FxRateRequest[] = [];
  reviewerName: string | null = null;
  private lineData(): Line[] {
    if (!this.options.lines) this.options.lines = sampleLines();
    return this.options.lines;
  }

  private matching(f: ReviewFilter, period = true): Line[] {
    const accounts = (this.options.scopes ?? sampleScopes()).accounts;
    const eq = (want: string | null, have: string | null) => !want || want === have;
    return this.lineData().filter((l) => {
      const s = f.scope;
      if (s.kind === "account" && l.account !== s.id) return false;
      if (s.kind === "org" && accounts.find((a) => a.id === l.account)?.org !== s.id) return false;
      if (!eq(f.account, l.account) || !eq(f.provider, l.provider) || !eq(f.sub_account, l.sub_account)) return false;
      if (!eq(f.service, l.service) || !eq(f.region, l.region) || !eq(f.resource, l.resource_id)) return false;
      if (f.category && f.category.toLowerCase() !== l.category.toLowerCase()) return false;
      if (f.currency && f.currency.toUpperCase() !== l.currency) return false;
      if (period && f.from && l.month < f.from) return false;
      if (period && f.to && l.month > f.to) return false;
      if (f.text) {
        const hay = `${l.description ?? ""} ${l.resource_id ?? ""} ${l.resource_name ?? ""}`.toLowerCase();
        if (!hay.includes(f.text.toLowerCase())) return false;
      }
      if (f.tag) {
        const tags = l.tags ? (JSON.parse(l.tags) as Record<string, string>) : {};
        const [k, v] = f.tag.split("=", 2);
        if (!(k in tags) || (v !== undefined && tags[k] !== v)) return false;
      }
      return true;
    });
  }

  private markOf(l: Line): string | null {
    const keyed = (m: Mark) =>
      (m.target === "line" && this.markedLine.get(m.id) === l.id) ||
      (m.target === "resource" && m.resource_id === l.resource_id && m.month === l.month && m.account === l.account) ||
      (m.target === "service" && m.service === l.service && m.month === l.month && m.account === l.account);
    const order = ["line", "resource", "service"];
    for (const target of order) {
      const found = [...this.marks].reverse().find((m) => m.target === target && keyed(m));
      if (found) return found.status;
    }
    return null;
  }

  reviewFacets(scope: Scope): Promise<Facets> {
    return this.answer("reviewFacets", scope, () => {
      const lines = this.matching(emptyFilter(scope));
      const set = (f: (l: Line) => string | null) =>
        [...new Set(lines.map(f).filter((v): v is string => v !== null))].sort();
      return {
        months: set((l) => l.month),
        accounts: set((l) => l.account),
        providers: set((l) => l.provider),
        members: set((l) => l.sub_account),
        services: set((l) => l.service),
        regions: set((l) => l.region),
        categories: set((l) => l.category),
        currencies: set((l) => l.currency),
      };
    });
  }

  reviewLines(query: LinesQuery): Promise<LinePage> {
    return this.answer("reviewLines", query, () => {
      if (!["billed", "effective", "list", "source"].includes(query.sort)) {
        throw new BackendError({ code: "invalid_input", message: `'${query.sort}' is not a sort: expected billed, effective, list or source` });
      }
      const all = this.matching(query.filter);
      const currencies = [...new Set(all.map((l) => l.currency))].sort();
      const totals = currencies.map((currency) => {
        const of = all.filter((l) => l.currency === currency);
        return { currency, billed_cost: sumDecimals(of.map((l) => l.billed_cost)), lines: of.length };
      });
      const key = (l: Line) =>
        query.sort === "effective" ? l.effective_cost : query.sort === "list" ? (l.list_cost ?? "0") : l.billed_cost;
      const sorted = query.sort === "source" ? all : [...all].sort((a, b) => compareDecimal(key(b), key(a)) || a.id - b.id);
      const page = Math.max(1, query.page);
      const lines = sorted.slice((page - 1) * 100, page * 100).map((l) => ({ ...l, review: this.markOf(l) }));
      return { page, page_size: 100, total_lines: all.length, totals, lines };
    });
  }

  reviewGroups(query: GroupsQuery): Promise<Groups> {
    return this.answer("reviewGroups", query, () => {
      const by = query.by;
      const value = (l: Line): string | null => {
        if (by.startsWith("tag:")) {
          const tags = l.tags ? (JSON.parse(l.tags) as Record<string, string>) : {};
          return tags[by.slice(4)] ?? null;
        }
        const field: Record<string, (l: Line) => string | null> = {
          month: (l) => l.month, service: (l) => l.service, account: (l) => l.account,
          sub_account: (l) => l.sub_account, provider: (l) => l.provider, region: (l) => l.region,
          category: (l) => l.category, resource: (l) => l.resource_id,
        };
        const f = field[by];
        if (!f) throw new BackendError({ code: "invalid_input", message: `'${by}' is not a grouping` });
        return f(l);
      };
      const acc = new Map<string, Line[]>();
      for (const l of this.matching(query.filter)) {
        const k = JSON.stringify([value(l), l.currency]);
        acc.set(k, [...(acc.get(k) ?? []), l]);
      }
      let groups: Group[] = [...acc.entries()].map(([k, ls]) => {
        const [v, currency] = JSON.parse(k) as [string | null, string];
        const billed = sumDecimals(ls.map((l) => l.billed_cost));
        return {
          value: v, currency, billed_cost: billed,
          effective_cost: sumDecimals(ls.map((l) => l.effective_cost)),
          list_cost: sumDecimals(ls.map((l) => l.list_cost ?? l.billed_cost)),
          net_cost: sumDecimals([billed, ...ls.map((l) => negate(l.coupon_paid ?? "0"))]),
          lines: ls.length,
        };
      });
      groups = by === "month"
        ? groups.sort((a, b) => (a.value ?? "").localeCompare(b.value ?? "") || a.currency.localeCompare(b.currency))
        : groups.sort((a, b) => a.currency.localeCompare(b.currency) || compareDecimal(b.billed_cost, a.billed_cost));
      return { by, total_groups: groups.length, groups: groups.slice(0, 200) };
    });
  }

  originalRow(lineId: number): Promise<OriginalRow> {
    return this.answer("originalRow", lineId, () => {
      const l = this.lineData().find((x) => x.id === lineId);
      if (!l) throw new BackendError({ code: "not_found", message: `there is no cost line ${lineId}` });
      if (l.source_file === "ledger") {
        return { source_file: l.source_file, fields: [], raw: null, note: "recorded in Billfold, not imported: it has no original row" };
      }
      return {
        source_file: l.source_file,
        fields: [
          { column: "BilledCost", value: l.billed_cost },
          { column: "ServiceName", value: l.service },
          { column: "ResourceId", value: l.resource_id ?? "" },
        ],
        raw: null,
        note: null,
      };
    });
  }

  reviewDiff(query: DiffQuery): Promise<Diff> {
    return this.answer("reviewDiff", query, () => {
      const lines = this.matching(query.filter, false);
      const key = (l: Line) => (query.by === "resource" ? (l.resource_id ?? `(${l.service})`) : l.service);
      const sums = new Map<string, { service: string; currency: string; a: string[]; b: string[] }>();
      for (const l of lines) {
        if (l.month !== query.from && l.month !== query.to) continue;
        const k = JSON.stringify([key(l), l.service, l.currency]);
        const e = sums.get(k) ?? { service: l.service, currency: l.currency, a: [], b: [] };
        (l.month === query.from ? e.a : e.b).push(l.billed_cost);
        sums.set(k, e);
      }
      const rows: DiffRow[] = [...sums.entries()].map(([k, e]) => {
        const a = sumDecimals(e.a.length ? e.a : ["0"]);
        const b = sumDecimals(e.b.length ? e.b : ["0"]);
        const zero = (x: string) => compareDecimal(x, "0") === 0;
        const status = zero(a) && !zero(b) ? "new" : !zero(a) && zero(b) ? "gone" : compareDecimal(a, b) === 0 ? "same" : "changed";
        const change = sumDecimals([b, negate(a)]);
        return {
          key: (JSON.parse(k) as string[])[0], service: e.service, currency: e.currency, status,
          from_amount: a, to_amount: b, change, change_pct: zero(a) ? null : pct(change, a),
        };
      });
      const abs = (x: string) => x.replace(/^-/, "");
      rows.sort((x, y) => compareDecimal(abs(y.change), abs(x.change)));
      const moving = rows.filter((r) => r.status !== "same");
      const count = (s: string) => rows.filter((r) => r.status === s).length;
      const corrections = lines.filter(
        (l) => (l.month === query.from || l.month === query.to) && (l.charge_class ?? "").toLowerCase() === "correction",
      );
      return {
        from: query.from, to: query.to, by: query.by,
        counts: { new: count("new"), gone: count("gone"), changed: count("changed"), same: count("same") },
        rows: moving.slice(0, 200),
        movers_by_amount: moving.slice(0, 10),
        movers_by_pct: moving.filter((r) => r.change_pct !== null)
          .sort((x, y) => compareDecimal(abs(y.change_pct ?? "0"), abs(x.change_pct ?? "0"))).slice(0, 10),
        unit_price_changes: [],
        total_unit_price_changes: 0,
        corrections_total: corrections.length,
        // The core lists the first 100.
        corrections: corrections.slice(0, 100).map((l) => ({
            id: l.id, source_file: l.source_file, source_line: l.source_line, account: l.account, month: l.month,
            service: l.service, resource_id: l.resource_id, category: l.category, charge_class: l.charge_class,
            currency: l.currency, billed_cost: l.billed_cost,
          })),
      };
    });
  }

  markReview(request: MarkRequest): Promise<Mark> {
    return this.answer("markReview", request, () => {
      if (!["reviewed", "disputed", "accepted"].includes(request.status)) {
        throw new BackendError({ code: "invalid_input", message: `'${request.status}' is not a review status: expected reviewed, disputed or accepted` });
      }
      const t = request.target;
      let base: Omit<Mark, "id" | "status" | "note" | "reviewer" | "at" | "lines" | "orphaned" | "billed_when_marked" | "billed_now" | "currency" | "amount_changed">;
      if (t.kind === "line") {
        const l = this.lineData().find((x) => x.id === t.id);
        if (!l) throw new BackendError({ code: "not_found", message: `there is no cost line ${t.id}: see \`billfold lines\`` });
        base = { target: "line", provider: l.provider, account: l.account, month: l.month, resource_id: l.resource_id, sku_id: l.sku_id, service: l.service };
      } else if (t.kind === "resource") {
        base = { target: "resource", provider: null, account: t.account, month: t.month, resource_id: t.resource, sku_id: null, service: null };
      } else {
        base = { target: "service", provider: null, account: t.account, month: t.month, resource_id: null, sku_id: null, service: t.service };
      }
      const mark: Mark = {
        ...base,
        id: this.marks.length + 1,
        status: request.status,
        note: request.note,
        reviewer: this.reviewerName,
        at: "2026-11-23T09:00:00Z",
        lines: 1,
        orphaned: false,
        billed_when_marked: null,
        billed_now: null,
        currency: null,
        amount_changed: false,
      };
      this.marks.push(mark);
      if (t.kind === "line") this.markedLine.set(mark.id, t.id);
      return mark;
    });
  }

  reviewMarks(status: string | null): Promise<Marks> {
    return this.answer("reviewMarks", status, () => {
      const marks = [...this.marks].reverse().filter((m) => !status || m.status === status);
      return { total: marks.length, orphaned: marks.filter((m) => m.orphaned).length, marks };
    });
  }

  reviewer(): Promise<string | null> {
    return this.answer("reviewer", undefined, () => this.reviewerName);
  }

  setReviewer(name: string): Promise<void> {
    return this.answer("setReviewer", name, () => {
      if (!name.trim()) throw new BackendError({ code: "invalid_input", message: "the reviewer's name must not be empty" });
      this.reviewerName = name.trim();
    });
  }

  reconciliation(scope: Scope): Promise<Reconciliation> {
    return this.answer("reconciliation", scope, () => this.options.reconciliation ?? sampleReconciliation());
  }

  addInvoice(request: InvoiceRequest): Promise<void> {
    return this.answer("addInvoice", request, () => undefined);
  }

  addAssertion(request: AssertionRequest): Promise<void> {
    return this.answer("addAssertion", request, () => undefined);
  }

  signOff(request: SignoffRequest): Promise<Signoff[]> {
    return this.answer("signOff", request, () => {
      const of = this.lineData().filter((l) => l.account === request.account && l.month === request.month);
      if (of.length === 0) {
        throw new BackendError({ code: "refused", message: `'${request.account}' has no cost line in ${request.month} to sign off` });
      }
      const billed = sumDecimals(of.map((l) => l.billed_cost));
      return [{
        account: request.account, month: request.month, currency: of[0].currency, signed_at: "2026-11-23T09:00:00Z",
        reviewer: this.reviewerName, signed_billed: billed, current_billed: billed, difference: "0",
        signed_lines: of.length, current_lines: of.length, changed: false,
      }];
    });
  }

  addFxRate(request: FxRateRequest): Promise<void> {
    return this.answer("addFxRate", request, () => {
      this.rates.push(request);
    });
  }

  fxRates(): Promise<FxRate[]> {
    return this.answer("fxRates", undefined, () =>
      // One rate per pair and day (a later one replaces it), by pair then date, as the core keeps them.
      [...new Map(this.rates.map((r) => [`${r.from}|${r.to}|${r.on}`, r])).values()]
        .map(({ from, to, on, rate }) => ({ from, to, on, rate }))
        .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.on.localeCompare(b.on)),
    );
  }

  convert(request: ConvertRequest): Promise<Converted> {
    return this.answer("convert", request, () => {
      const rate = this.rates
        .filter((r) => r.from === request.from && r.to === request.to && r.on <= request.on)
        .sort((a, b) => b.on.localeCompare(a.on))[0];
      if (!rate) {
        throw new BackendError({
          code: "not_found",
          message: `there is no ${request.from}→${request.to} rate on or before ${request.on}: add one with \`billfold fx add ${request.from} ${request.to} RATE --on DATE\``,
        });
      }
      return {
        amount: request.amount, from: request.from, converted: multiply(request.amount, rate.rate), to: request.to,
        rate: rate.rate, rate_date: rate.on, inverted: false,
      };
    });
  }

  exportReview(request: ExportRequest): Promise<ExportDone | null> {
    return this.answer("exportReview", request, () => {
      if (this.options.exportCancelled) return null;
      const name = request.format === "xlsx" ? "billfold-review.xlsx" : "billfold-lines.csv";
      return { path: `/home/user/${name}`, format: request.format, lines: this.matching(request.filter).length };
    });
  }
}

/** The shell's choice of scope (`pick_scope` in src-tauri/src/convert.rs): the one asked when
 * the ledger has it, else one organization holding every account, else the only account, else
 * every account; `null` without accounts. */
export function pickScope(scopes: Scopes, asked: Scope | null): Scope | null {
  if (scopes.accounts.length === 0) return null;
  const exists = (s: Scope) =>
    s.kind === "all" || (s.kind === "org" ? scopes.orgs.some((o) => o.id === s.id) : scopes.accounts.some((a) => a.id === s.id));
  if (asked && exists(asked)) return asked;
  if (scopes.orgs.length === 1 && scopes.accounts.every((a) => a.org === scopes.orgs[0].id)) {
    return { kind: "org", id: scopes.orgs[0].id };
  }
  if (scopes.accounts.length === 1) return { kind: "account", id: scopes.accounts[0].id };
  return { kind: "all" };
}

export function emptyFilter(scope: Scope): ReviewFilter {
  return {
    scope, account: null, provider: null, sub_account: null, service: null, region: null, category: null,
    resource: null, from: null, to: null, tag: null, text: null, currency: null,
  };
}

function negate(x: string): string {
  return x.startsWith("-") ? x.slice(1) : `-${x}`;
}

/** Exact product of two decimals (for the mock's conversions). */
function multiply(a: string, b: string): string {
  const split = (x: string) => {
    const neg = x.startsWith("-");
    const [i, f = ""] = x.replace(/^[+-]/, "").split(".");
    return { n: BigInt(i + f) * (neg ? -1n : 1n), scale: f.length };
  };
  const x = split(a);
  const y = split(b);
  const n = x.n * y.n;
  const scale = x.scale + y.scale;
  const neg = n < 0n;
  const digits = (neg ? -n : n).toString().padStart(scale + 1, "0");
  const int = digits.slice(0, digits.length - scale);
  return `${neg ? "-" : ""}${int}${scale ? `.${digits.slice(digits.length - scale)}` : ""}`;
}

/** change / base × 100, two decimals, half away from zero (as the core computes it). */
function pct(change: string, base: string): string {
  const split = (x: string) => {
    const neg = x.startsWith("-");
    const [i, f = ""] = x.replace(/^[+-]/, "").split(".");
    return { n: BigInt(i + f.padEnd(12, "0")), neg };
  };
  const c = split(change);
  const b = split(base);
  // Percent with 3 decimals, then rounded half away from zero to 2.
  const q = (c.n * 100_000n) / b.n;
  const rounded = (q + 5n) / 10n;
  const s = rounded.toString().padStart(3, "0");
  return `${c.neg ? "-" : ""}${s.slice(0, -2)}.${s.slice(-2)}`;
}

/** Cost lines of the sample organization: three months, three services, two accounts. */
export function sampleLines(): Line[] {
  const lines: Line[] = [];
  const months = ["2026-09", "2026-10", "2026-11"];
  const services: [string, string, string][] = [
    ["CVM", "ins-", "Compute hours"],
    ["COS", "cos-", "Storage"],
    ["CDN", "cdn-", "Traffic"],
  ];
  let id = 1;
  for (const month of months) {
    for (let i = 0; i < 40; i++) {
      const [service, prefix, what] = services[i % 3];
      const account = i % 4 === 0 ? "acme-dev" : "acme-admin";
      const cents = 1000 + ((i * 7919 + month.charCodeAt(6) * 31) % 90000);
      const billed = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}${i % 5}`;
      lines.push({
        id,
        source_file: `focus-${month}.csv`,
        source_line: i + 2,
        provider: "Tencent Cloud",
        account,
        sub_account: account === "acme-dev" ? "dev" : null,
        month,
        charge_start: `${month}-01T00:00:00Z`,
        charge_end: `${month}-02T00:00:00Z`,
        category: "Usage",
        charge_class: i === 39 ? "Correction" : null,
        service,
        resource_id: `${prefix}${String(i % 12).padStart(3, "0")}`,
        resource_name: null,
        region: i % 2 ? "ap-guangzhou" : "ap-shanghai",
        sku_id: `SKU-${i % 3}`,
        pricing_quantity: "24",
        currency: "USD",
        billed_cost: billed,
        effective_cost: billed,
        list_cost: null,
        invoice_id: null,
        tags: i % 2 ? JSON.stringify({ team: "web" }) : JSON.stringify({ team: "data" }),
        description: `${what} ${i}`,
        coupon_paid: null,
        review: null,
      });
      id++;
    }
  }
  return lines;
}

export function sampleReconciliation(): Reconciliation {
  return {
    purses: ["available", "cash", "complimentary", "vouchers", "prepaid_cards", "frozen", "arrears", "withdrawable"],
    invoices: [
      { invoice_id: "INV-2026-10", account: "acme-admin", currency: "USD", invoice_amount: "1500.00", lines_billed: "1499.875", difference: "0.125", lines: 12, matches: false },
    ],
    assertions: [
      { account: "acme-admin", purse: "cash", at: "2026-11-01T00:00:00Z", provider_says: "10000.00", ledger_says: "9990.00", difference: "10.00", matches: false, entries_since: 2, entry_ids: [41, 42] },
    ],
    payment_split: [
      { line_id: 7, account: "acme-admin", source_file: "tencent.csv", source_line: 8, message: "the payment parts add up to 9.50 but the line bills 10.00" },
    ],
    completeness: [{ account: "acme-admin", provider: "Tencent Cloud", month: "2026-11", status: "provisional", missing_days: ["2026-11-04"] }],
    signoffs: [
      { account: "acme-admin", month: "2026-09", currency: "USD", signed_at: "2026-10-05T09:00:00Z", reviewer: "Li Wei", signed_billed: "4000.10", current_billed: "4012.60", difference: "12.50", signed_lines: 40, current_lines: 41, changed: true },
    ],
  };
}
