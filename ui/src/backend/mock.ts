// An in-memory Backend: drives the unit tests, and `npm run dev` in a plain browser.

import type { BillLines } from "../bindings/BillLines";
import type { CommandError } from "../bindings/CommandError";
import type { LinesRequest } from "../bindings/LinesRequest";
import type { ImportProgress } from "../bindings/ImportProgress";
import type { ImportReport } from "../bindings/ImportReport";
import type { Movement } from "../bindings/Movement";
import type { Overview } from "../bindings/Overview";
import type { Scope } from "../bindings/Scope";
import type { Scopes } from "../bindings/Scopes";
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
  lines?: BillLines;
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
        unpaid_orders: { count: 2, amount: "340.00", overdue_count: 0, overdue_amount: "0" },
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
  private progressListeners: ((p: ImportProgress) => void)[] = [];
  private finishedListeners: ((r: ImportReport) => void)[] = [];

  constructor(public options: MockOptions = {}) {}

  private async answer<T>(method: string, arg: unknown, value: () => T): Promise<T> {
    this.calls.push({ method, arg });
    if (this.options.delay) await new Promise((r) => setTimeout(r, this.options.delay));
    if (this.options.fail) throw new BackendError(this.options.fail);
    return value();
  }

  scopes(): Promise<Scopes> {
    return this.answer("scopes", undefined, () => this.options.scopes ?? sampleScopes());
  }

  overview(scope: Scope, months?: number): Promise<Overview> {
    if (months !== undefined) this.calls.push({ method: "months", arg: months });
    return this.answer("overview", scope, () => {
      const o = this.options.overview ?? sampleOverview();
      return typeof o === "function" ? o(scope) : o;
    });
  }

  billLines(request: LinesRequest): Promise<BillLines> {
    return this.answer("billLines", request, () => this.options.lines ?? { total_lines: 0, lines: [] });
  }

  setBalanceAlert(request: { account: string; threshold: string | null }): Promise<void> {
    return this.answer("setBalanceAlert", request, () => undefined);
  }

  recordMovement(movement: Movement): Promise<string> {
    return this.answer("recordMovement", movement, () => {
      if (this.options.refuseMovement) throw new BackendError(this.options.refuseMovement);
      return `recorded ${movement.kind} of ${movement.amount} on '${movement.account}'`;
    });
  }

  importBills(): Promise<ImportReport | null> {
    return this.answer("importBills", undefined, () => {
      const report = this.options.importReport ?? null;
      if (report) {
        report.files.forEach((f, i) => {
          this.emitProgress({ file: f.file, index: i + 1, total: report.files.length, rows: f.rows, done: true });
        });
      }
      return report;
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
}
