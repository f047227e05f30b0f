// The UI's only door to the app. `tauri.ts` implements it over IPC; `mock.ts` in memory for tests
// and for `npm run dev` in a browser. Nothing else in the UI knows which one it talks to.

import type { AssertionRequest } from "../bindings/AssertionRequest";
import type { BalanceAlertRequest } from "../bindings/BalanceAlertRequest";
import type { CommandError } from "../bindings/CommandError";
import type { ConvertRequest } from "../bindings/ConvertRequest";
import type { Converted } from "../bindings/Converted";
import type { Diff } from "../bindings/Diff";
import type { DiffQuery } from "../bindings/DiffQuery";
import type { ExportDone } from "../bindings/ExportDone";
import type { ExportRequest } from "../bindings/ExportRequest";
import type { Facets } from "../bindings/Facets";
import type { FxRate } from "../bindings/FxRate";
import type { FxRateRequest } from "../bindings/FxRateRequest";
import type { Groups } from "../bindings/Groups";
import type { GroupsQuery } from "../bindings/GroupsQuery";
import type { InvoiceRequest } from "../bindings/InvoiceRequest";
import type { LinePage } from "../bindings/LinePage";
import type { LinesQuery } from "../bindings/LinesQuery";
import type { Mark } from "../bindings/Mark";
import type { MarkRequest } from "../bindings/MarkRequest";
import type { Marks } from "../bindings/Marks";
import type { OriginalRow } from "../bindings/OriginalRow";
import type { Reconciliation } from "../bindings/Reconciliation";
import type { Signoff } from "../bindings/Signoff";
import type { SignoffRequest } from "../bindings/SignoffRequest";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { ImportProgress } from "../bindings/ImportProgress";
import type { ImportReport } from "../bindings/ImportReport";
import type { MovementRequest } from "../bindings/MovementRequest";
import type { Overview } from "../bindings/Overview";
import type { Scope } from "../bindings/Scope";
import type { Start } from "../bindings/Start";
import type { StartRequest } from "../bindings/StartRequest";

export interface Backend {
  /** What the window needs to paint, in one round trip: the scope switcher's choices, the
   * scope to show (the one asked if the ledger has it, else the default; `null` when the ledger
   * has no account) and, when asked, its overview. */
  start(request: StartRequest): Promise<Start>;
  /** The overview of a scope, as of now, with `months` of expenditure trend (default 6). */
  overview(scope: Scope, months?: number): Promise<Overview>;
  /** Switches an account's balance alert on with a threshold, or off. */
  setBalanceAlert(request: BalanceAlertRequest): Promise<void>;
  /** Records a top-up, withdrawal, voucher or prepaid card under the form's operation id (the
   * same id again records nothing more); answers the core's summary. */
  recordMovement(request: MovementRequest): Promise<string>;
  /** Opens the native file dialog and imports what the user picks; `null` when cancelled. */
  importBills(): Promise<ImportReport | null>;
  /** Whether later imports (the dialog's and dropped files) settle the bills against the
   * purses, as `billfold import --settle` does; kept in the ledger. */
  setImportSettle(on: boolean): Promise<void>;
  /** Imports again a file refused for not saying its amounts' currency (its
   * `awaiting_currency` number), its amounts read in `currency`. */
  importInCurrency(file: number, currency: string): Promise<ImportReport>;
  /** Fills an empty ledger with the demo data. */
  openDemo(): Promise<void>;
  /** Progress of an import (from the dialog or from files dropped on the window). */
  onImportProgress(listener: (progress: ImportProgress) => void): Promise<() => void>;
  /** An import finished outside `importBills` (files dropped on the window). */
  onImportFinished(listener: (report: ImportReport) => void): Promise<() => void>;

  // ---- bill review ----
  /** The values the explorer's filters can take in a scope. */
  reviewFacets(scope: Scope): Promise<Facets>;
  /** One page (100) of the matching lines, with the exact totals of all of them. */
  reviewLines(query: LinesQuery): Promise<LinePage>;
  /** The matching lines grouped by one dimension. */
  reviewGroups(query: GroupsQuery): Promise<Groups>;
  /** The original row of a line, as its file had it. */
  originalRow(lineId: number): Promise<OriginalRow>;
  /** Month over month. */
  reviewDiff(query: DiffQuery): Promise<Diff>;
  /** Marks a line, a resource-month or a service-month. */
  markReview(request: MarkRequest): Promise<Mark>;
  /** The current marks (`null`: every status), orphans flagged. */
  reviewMarks(status: string | null): Promise<Marks>;
  reviewer(): Promise<string | null>;
  setReviewer(name: string): Promise<void>;
  /** Invoices, balance assertions, payment split, completeness and sign-offs of a scope. */
  reconciliation(scope: Scope): Promise<Reconciliation>;
  addInvoice(request: InvoiceRequest): Promise<void>;
  addAssertion(request: AssertionRequest): Promise<void>;
  signOff(request: SignoffRequest): Promise<Signoff[]>;
  addFxRate(request: FxRateRequest): Promise<void>;
  /** The rates the user keeps, by currency pair then date. */
  fxRates(): Promise<FxRate[]>;
  convert(request: ConvertRequest): Promise<Converted>;
  /** Opens the native save dialog (in Rust) and writes the export; `null` when cancelled. */
  exportReview(request: ExportRequest): Promise<ExportDone | null>;
}

/** A refused or failed command: the UI branches on `code`, and shows `message`. */
export class BackendError extends Error {
  readonly code: ErrorCode;
  constructor(error: CommandError) {
    super(error.message);
    this.code = error.code;
    this.name = "BackendError";
  }

  /** Whatever a command threw, as a `BackendError` (a transport failure is `internal`). */
  static from(e: unknown): BackendError {
    if (e instanceof BackendError) return e;
    if (typeof e === "object" && e !== null && "code" in e && "message" in e) {
      return new BackendError(e as CommandError);
    }
    return new BackendError({ code: "internal", message: String(e) });
  }
}
