// The UI's only door to the app. `tauri.ts` implements it over IPC; `mock.ts` in memory for tests
// and for `npm run dev` in a browser. Nothing else in the UI knows which one it talks to.

import type { BalanceAlertRequest } from "../bindings/BalanceAlertRequest";
import type { BillLines } from "../bindings/BillLines";
import type { LinesRequest } from "../bindings/LinesRequest";
import type { CommandError } from "../bindings/CommandError";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { ImportProgress } from "../bindings/ImportProgress";
import type { ImportReport } from "../bindings/ImportReport";
import type { Movement } from "../bindings/Movement";
import type { Overview } from "../bindings/Overview";
import type { Scope } from "../bindings/Scope";
import type { Scopes } from "../bindings/Scopes";

export interface Backend {
  /** The accounts and organizations of the ledger, for the scope switcher. */
  scopes(): Promise<Scopes>;
  /** The overview of a scope, as of now, with `months` of expenditure trend (default 6). */
  overview(scope: Scope, months?: number): Promise<Overview>;
  /** The bill lines behind a bar of the trend. */
  billLines(request: LinesRequest): Promise<BillLines>;
  /** Switches an account's balance alert on with a threshold, or off. */
  setBalanceAlert(request: BalanceAlertRequest): Promise<void>;
  /** Records a top-up, withdrawal, voucher or prepaid card; answers the core's summary. */
  recordMovement(movement: Movement): Promise<string>;
  /** Opens the native file dialog and imports what the user picks; `null` when cancelled. */
  importBills(): Promise<ImportReport | null>;
  /** Fills an empty ledger with the demo data. */
  openDemo(): Promise<void>;
  /** Progress of an import (from the dialog or from files dropped on the window). */
  onImportProgress(listener: (progress: ImportProgress) => void): Promise<() => void>;
  /** An import finished outside `importBills` (files dropped on the window). */
  onImportFinished(listener: (report: ImportReport) => void): Promise<() => void>;
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
