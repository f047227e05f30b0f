// The Backend over Tauri IPC. The only module that imports @tauri-apps/api.

import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";

import type { ImportProgress } from "../bindings/ImportProgress";
import type { ImportReport } from "../bindings/ImportReport";
import { type Backend, BackendError } from "./index";

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  const start = performance.now();
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw BackendError.from(e);
  } finally {
    // Each round trip, for the start-up measurement (tests-e2e/tests/performance.rs).
    performance.measure(`ipc ${command}`, { start });
  }
}

export function isTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

export const tauriBackend: Backend = {
  start: (request) => call("start", { request }),
  overview: (scope, months) => call("overview", { scope, months: months ?? null }),
  setBalanceAlert: (request) => call("set_balance_alert", { request }),
  recordMovement: (request) => call("record_movement", { request }),
  importBills: () => call("import_bills"),
  setImportSettle: (on) => call("set_import_settle", { on }),
  importInCurrency: (file, currency) => call("import_in_currency", { file, currency }),
  openDemo: () => call("open_demo"),
  onImportProgress: (listener) =>
    listen<ImportProgress>("import-progress", (e) => listener(e.payload)),
  onImportFinished: (listener) =>
    listen<ImportReport>("import-finished", (e) => listener(e.payload)),
  reviewFacets: (scope) => call("review_facets", { scope }),
  reviewLines: (query) => call("review_lines", { query }),
  reviewGroups: (query) => call("review_groups", { query }),
  originalRow: (lineId) => call("original_row", { lineId }),
  reviewDiff: (query) => call("review_diff", { query }),
  markReview: (request) => call("review_mark", { request }),
  reviewMarks: (status) => call("review_marks", { status }),
  reviewer: () => call("reviewer"),
  setReviewer: (name) => call("set_reviewer", { name }),
  reconciliation: (scope) => call("reconciliation", { scope }),
  addInvoice: (request) => call("add_invoice", { request }),
  addAssertion: (request) => call("add_assertion", { request }),
  signOff: (request) => call("sign_off", { request }),
  addFxRate: (request) => call("add_fx_rate", { request }),
  fxRates: () => call("fx_rates"),
  convert: (request) => call("convert_amount", { request }),
  exportReview: (request) => call("export_review", { request }),
};
