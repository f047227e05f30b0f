import { beforeEach, describe, expect, it } from "vitest";

import { App, buildMovement, sortAlerts } from "../src/app";
import { MockBackend, emptyScopes, sampleOverview, sampleScopes } from "../src/backend/mock";
import type { Alert } from "../src/bindings/Alert";
import { MINUS } from "../src/format";
import { setLocale } from "../src/i18n";

function memoryStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
}

async function flush(ms = 0) {
  await new Promise((r) => setTimeout(r, ms));
}

/** Waits until `ready` holds (the Bills page is loaded on first use). */
async function until(ready: () => unknown, timeout = 3000) {
  const end = Date.now() + timeout;
  while (!ready()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await flush(5);
  }
}

function mount(backend: MockBackend, locale = "en-US", storage = memoryStorage()) {
  setLocale(locale);
  const root = document.createElement("div");
  document.body.replaceChildren(root);
  const app = new App({ backend, root, locale, storage });
  return { app, root, storage };
}

const q = (root: HTMLElement, id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const qa = (root: HTMLElement, id: string) => [...root.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];

describe("overview", () => {
  beforeEach(() => setLocale("en-US"));

  it("shows every figure, rounded to the minor unit, full precision in the title", async () => {
    const { app, root } = mount(new MockBackend());
    await app.start();
    expect(q(root, "available-balance")?.textContent).toBe("12,345.67");
    expect(q(root, "balance-cash")?.textContent).toBe("10,000.00");
    expect(q(root, "balance-complimentary")?.textContent).toBe("500.00");
    expect(q(root, "balance-frozen")?.textContent).toBe("55.01");
    expect(q(root, "balance-frozen")?.title).toBe("55.005 USD");
    expect(q(root, "balance-frozen")?.dataset.value).toBe("55.005");
    expect(q(root, "balance-arrears")?.textContent).toBe("0.00");
    expect(q(root, "unpaid-orders")?.textContent).toBe("2 · 340.00");
    expect(q(root, "cash-coupons")?.textContent).toBe("3 · 150.00");
    expect(q(root, "invoiceable")?.textContent).toBe("8,210.00");
    expect(q(root, "renewals-due")?.textContent).toBe("1");
    expect(q(root, "renewals-expired")?.textContent).toBe("1");
    expect(q(root, "renewals-frozen")?.textContent).toBe("0");
    expect(q(root, "trend-chart")?.dataset.months).toBe("6");
    expect(q(root, "trend-chart")?.querySelectorAll("tbody tr").length).toBe(6);
    expect(q(root, "import-button")).not.toBeNull();
    expect(q(root, "scope-select")).not.toBeNull();
  });

  it("lists the unpaid orders under their tile: account, date, amount, due or overdue", async () => {
    const { app, root } = mount(new MockBackend());
    await app.start();
    expect(q(root, "unpaid-orders")?.textContent).toBe("2 · 340.00");
    const list = q(root, "unpaid-list") as HTMLDetailsElement;
    expect(list.open).toBe(false);
    expect(list.querySelector("summary")?.textContent).toBe("The orders (2)");
    const rows = qa(root, "unpaid-order");
    expect(rows.map((r) => r.dataset.account)).toEqual(["acme-dev", "acme-admin"]);
    const cells = rows[0].querySelectorAll("th, td");
    expect(cells[0].textContent).toBe("acme-devCVM");
    expect(cells[1].textContent).toBe("Nov 15, 2026");
    expect(cells[2].textContent).toBe("300.01");
    expect(cells[2].querySelector<HTMLElement>(".amount")?.title).toBe("300.005 USD");
    expect(cells[3].textContent).toBe("due Nov 30, 2026");
    // Opening it widens the tile to the row.
    list.open = true;
    list.dispatchEvent(new Event("toggle"));
    expect(list.parentElement?.classList.contains("open")).toBe(true);
  });

  it("says when the unpaid orders' list holds only the most overdue and oldest", async () => {
    const o = sampleOverview();
    const u = o.currencies[0].unpaid_orders;
    u.count = 35;
    u.overdue_count = 20;
    u.orders = Array.from({ length: 20 }, (_, i) => ({
      account: "acme-admin",
      product: "CVM",
      charged_at: `2026-10-${String(i + 1).padStart(2, "0")}T00:00:00Z`,
      amount: "1234.5",
      overdue: true,
      due_at: null,
    }));
    const { app, root } = mount(new MockBackend({ overview: o }), "zh-CN");
    await app.start();
    expect(q(root, "unpaid-list")?.querySelector("summary")?.textContent).toBe("逾期最久、最早的 20 笔，共 35 笔");
    const rows = qa(root, "unpaid-order");
    expect(rows).toHaveLength(20);
    expect(rows[0].dataset.overdue).toBe("true");
    expect(rows[0].querySelector(".state")?.textContent).toBe("逾期");
    expect(rows[0].querySelector(".amount")?.textContent).toBe("1,234.50");
  });

  it("shows no list when nothing is unpaid", async () => {
    const o = sampleOverview();
    o.currencies[0].unpaid_orders = { count: 0, amount: "0", overdue_count: 0, overdue_amount: "0", orders: [] };
    const { app, root } = mount(new MockBackend({ overview: o }));
    await app.start();
    expect(q(root, "unpaid-orders")?.textContent).toBe("0 · 0.00");
    expect(q(root, "unpaid-list")).toBeNull();
  });

  it("formats for the user's locale", async () => {
    const { app, root } = mount(new MockBackend(), "de-DE");
    await app.start();
    expect(q(root, "available-balance")?.textContent).toBe("12.345,67");
    expect(q(root, "balance-prepaid-cards")?.textContent).toBe("700,68");
  });

  it("marks negative figures with a minus sign, not colour alone", async () => {
    const o = sampleOverview();
    o.currencies[0].balances.available = "-3.005";
    o.currencies[0].balances.arrears = "3.005";
    const { app, root } = mount(new MockBackend({ overview: o }));
    await app.start();
    const el = q(root, "available-balance");
    expect(el?.textContent).toBe(`${MINUS}3.01`);
    expect(el?.classList.contains("negative")).toBe(true);
  });

  it("shows one block per currency, never a sum", async () => {
    const o = sampleOverview();
    const cny = structuredClone(o.currencies[0]);
    cny.currency = "CNY";
    cny.balances.available = "88.80";
    o.currencies.push(cny);
    const { app, root } = mount(new MockBackend({ overview: o }));
    await app.start();
    const blocks = qa(root, "currency-block");
    expect(blocks.map((b) => b.dataset.currency)).toEqual(["USD", "CNY"]);
    expect(qa(root, "available-balance").map((e) => e.textContent)).toEqual(["12,345.67", "88.80"]);
  });

  it("lists alerts most severe first, keeping the core's order within a severity", async () => {
    const { app, root } = mount(new MockBackend());
    await app.start();
    const alerts = qa(root, "alert");
    expect(alerts.map((a) => a.dataset.severity)).toEqual(["warning", "info", "info"]);
    expect(alerts.map((a) => a.dataset.kind)).toEqual(["balance_below_threshold", "renewal_due", "voucher_expiring"]);
    expect(alerts[0].closest("[aria-live]")).not.toBeNull();
  });

  it("keeps the alerts' live region across re-renders, updating its items in place", async () => {
    const first = sampleOverview();
    const backend = new MockBackend({ overview: first });
    const { app, root } = mount(backend);
    await app.start();
    const log = q(root, "alerts-log")!;
    expect(log.getAttribute("role")).toBe("log");
    expect(log.getAttribute("aria-live")).toBe("polite");
    const [warning, renewal, voucher] = qa(root, "alert");
    const figure = q(root, "available-balance");

    // A new overview: one alert gone, one new (critical, so first), the others unchanged.
    const next = sampleOverview();
    next.currencies[0].balances.available = "100.00";
    next.alerts = [
      next.alerts[0],
      next.alerts[1],
      { kind: "service_stop", severity: "critical", message: "Services of 'acme-admin' stop at 11:00.", account: "acme-admin", due_at: "2026-11-23T11:00:00Z" },
    ];
    backend.options.overview = next;
    await app.reload();
    expect(q(root, "alerts-log")).toBe(log);
    expect(q(root, "available-balance")).not.toBe(figure);
    expect(q(root, "available-balance")?.textContent).toBe("100.00");
    const now = qa(root, "alert");
    expect(now.map((a) => a.dataset.kind)).toEqual(["service_stop", "balance_below_threshold", "renewal_due"]);
    expect(now[1]).toBe(warning);
    expect(now[2]).toBe(renewal);
    expect(voucher.isConnected).toBe(false);
    expect(q(root, "alerts-panel")?.querySelector(".badge")?.textContent).toBe("3");

    // Switching scope re-renders too; no alert left: the region stays, empty, and says so.
    backend.options.overview = { ...next, alerts: [] };
    (q(root, "scope-select") as HTMLSelectElement).value = "account:acme-dev";
    q(root, "scope-select")!.dispatchEvent(new Event("change"));
    await until(() => qa(root, "alert").length === 0);
    expect(q(root, "alerts-log")).toBe(log);
    expect(q(root, "alerts-panel")?.querySelector<HTMLElement>("p.muted")?.hidden).toBe(false);
    backend.options.overview = next;
    await app.reload();
    expect(q(root, "alerts-log")).toBe(log);
    expect(q(root, "alerts-panel")?.querySelector<HTMLElement>("p.muted")?.hidden).toBe(true);
    expect(qa(root, "alert")).toHaveLength(3);
  });

  it("sortAlerts puts critical before warning before info, unknown last", () => {
    const a = (kind: string, severity: string): Alert => ({ kind, severity, message: kind, account: "a", due_at: null });
    const sorted = sortAlerts([a("x", "info"), a("y", "odd"), a("z", "critical"), a("w", "warning"), a("v", "critical")]);
    expect(sorted.map((s) => s.kind)).toEqual(["z", "v", "w", "x", "y"]);
  });
});

describe("renewals and trend range", () => {
  it("opens the list behind a renewal count", async () => {
    const { app, root } = mount(new MockBackend());
    await app.start();
    const list = q(root, "renewal-list")!;
    expect(list.hidden).toBe(true);
    q(root, "renewals-expired")!.closest("button")!.click();
    expect(list.hidden).toBe(false);
    expect([...list.querySelectorAll("li")].map((li) => li.dataset.resource)).toEqual(["rds-web-01"]);
  });

  it("widens the trend on request", async () => {
    const backend = new MockBackend();
    const { app, root } = mount(backend);
    await app.start();
    const select = q(root, "trend-months") as HTMLSelectElement;
    select.value = "12";
    select.dispatchEvent(new Event("change"));
    await flush(5);
    expect(backend.calls.filter((c) => c.method === "months").map((c) => c.arg)).toEqual([12]);
  });
});

describe("drill-down from the overview", () => {
  it("a month of the trend opens the Bills page's explorer on that month", async () => {
    const backend = new MockBackend();
    const { app, root } = mount(backend);
    await app.start();
    (root.querySelector("[data-testid=trend-month][data-month='2026-10']") as HTMLElement).click();
    await until(() => q(root, "lines"));
    expect(q(root, "nav-bills")?.getAttribute("aria-selected")).toBe("true");
    const req = backend.argsOf("reviewLines").at(-1) as { filter: Record<string, unknown> };
    expect(req.filter).toMatchObject({ scope: { kind: "org", id: "acme" }, from: "2026-10", to: "2026-10", service: null, currency: "USD" });
  });
});

describe("states", () => {
  it("shows a loading state until the overview arrives", async () => {
    const { app, root } = mount(new MockBackend({ delay: 30 }));
    const started = app.start();
    await flush(5);
    expect(q(root, "loading")).not.toBeNull();
    expect(q(root, "available-balance")).toBeNull();
    await started;
    expect(q(root, "loading")).toBeNull();
    expect(q(root, "available-balance")).not.toBeNull();
  });

  it("shows an error state that branches on the code and can retry", async () => {
    const backend = new MockBackend({ fail: { code: "ledger_too_new", message: "the ledger is at schema 9, this Billfold knows 1" } });
    const { app, root } = mount(backend);
    await app.start();
    const err = q(root, "error");
    expect(err?.dataset.code).toBe("ledger_too_new");
    expect(err?.textContent).toContain("newer Billfold");
    expect(err?.textContent).toContain("schema 9");
    backend.options.fail = undefined;
    err?.querySelector("button")?.click();
    await flush(5);
    expect(q(root, "available-balance")).not.toBeNull();
  });

  it("shows the empty state with import and demo on a new ledger", async () => {
    const backend = new MockBackend({ scopes: emptyScopes() });
    const { app, root } = mount(backend);
    await app.start();
    expect(q(root, "empty")).not.toBeNull();
    expect(q(root, "import-button")).not.toBeNull();
    q(root, "demo-button")?.click();
    await flush(5);
    expect(backend.calls.map((c) => c.method)).toContain("openDemo");
    expect(q(root, "available-balance")).not.toBeNull();
  });
});

describe("start-up", () => {
  beforeEach(() => setLocale("en-US"));

  it("paints the figures from one round trip", async () => {
    const backend = new MockBackend();
    const { app, root } = mount(backend);
    await app.start();
    expect(backend.calls.map((c) => c.method)).toEqual(["start"]);
    expect(q(root, "available-balance")?.textContent).toBe("12,345.67");
  });

  it("opens on a default scope when the remembered one is gone from the ledger", async () => {
    const storage = memoryStorage();
    storage.setItem("billfold.scope", "account:closed-long-ago");
    const backend = new MockBackend();
    const { app, root } = mount(backend, "en-US", storage);
    await app.start();
    expect(backend.argsOf("start")[0]).toMatchObject({ scope: { kind: "account", id: "closed-long-ago" } });
    expect((q(root, "scope-select") as HTMLSelectElement).value).toBe("org:acme");
  });

  it("draws the chart only once the figures are painted, and listens for imports after them", async () => {
    const backend = new MockBackend();
    setLocale("en-US");
    const root = document.createElement("div");
    document.body.replaceChildren(root);
    const events: string[] = [];
    const progress = backend.onImportProgress.bind(backend);
    backend.onImportProgress = (l) => {
      events.push("listen");
      return progress(l);
    };
    const app = new App({
      backend,
      root,
      locale: "en-US",
      onPainted: () => events.push(root.querySelector("[data-testid=available-balance]") ? "painted" : "painted without figures"),
      chart: async () => {
        events.push("chart");
        return () => undefined;
      },
    });
    await app.start();
    expect(events).toEqual(["painted", "listen"]);
    await until(() => events.includes("chart"));
    expect(events).toEqual(["painted", "listen", "chart"]);
  });

  it("does not draw the chart of a page replaced before it was painted", async () => {
    const backend = new MockBackend();
    const { root } = mount(backend);
    let drawn = 0;
    let removed = 0;
    const app = new App({
      backend,
      root,
      locale: "en-US",
      storage: memoryStorage(),
      chart: async () => {
        drawn++;
        return () => void removed++;
      },
    });
    await app.start();
    // Another scope before the first page's frame: its chart is never drawn.
    const select = q(root, "scope-select") as HTMLSelectElement;
    select.value = "account:acme-dev";
    select.dispatchEvent(new Event("change"));
    await until(() => drawn > 0);
    await flush(30);
    expect(drawn).toBe(1);
    expect(removed).toBe(0);
  });
});

describe("scope", () => {
  it("switches scope and remembers it", async () => {
    const backend = new MockBackend();
    const storage = memoryStorage();
    const { app, root } = mount(backend, "en-US", storage);
    await app.start();
    // Nothing remembered: the shell picks the default scope (the one organization).
    expect(backend.argsOf("start")).toEqual([{ scope: null, months: null, overview: true }]);
    expect((q(root, "scope-select") as HTMLSelectElement).value).toBe("org:acme");
    const select = q(root, "scope-select") as HTMLSelectElement;
    select.value = "account:acme-dev";
    select.dispatchEvent(new Event("change"));
    await flush(5);
    expect(backend.calls.at(-1)).toEqual({ method: "overview", arg: { kind: "account", id: "acme-dev" } });
    expect(storage.m.get("billfold.scope")).toBe("account:acme-dev");

    const again = new MockBackend();
    const second = mount(again, "en-US", storage);
    await second.app.start();
    expect(again.argsOf("start")).toEqual([{ scope: { kind: "account", id: "acme-dev" }, months: null, overview: true }]);
    expect((q(second.root, "scope-select") as HTMLSelectElement).value).toBe("account:acme-dev");
  });

  it("edits the balance alert of an account scope in place", async () => {
    const backend = new MockBackend();
    const storage = memoryStorage();
    storage.setItem("billfold.scope", "account:acme-admin");
    const { app, root } = mount(backend, "en-US", storage);
    await app.start();
    const input = q(root, "alert-threshold") as HTMLInputElement;
    expect(input.value).toBe("20000");
    input.value = "25000.50";
    input.form?.dispatchEvent(new Event("submit", { cancelable: true }));
    await flush(5);
    expect(backend.calls.find((c) => c.method === "setBalanceAlert")?.arg).toEqual({ account: "acme-admin", threshold: "25000.50" });
  });
});

describe("record a movement", () => {
  it("validates the form before sending", () => {
    expect(buildMovement("topup", "a", "1,000", "regular", "")).toEqual({ problem: "invalidAmount" });
    expect(buildMovement("voucher", "a", "10", "regular", "")).toEqual({ problem: "invalidDate" });
    expect(buildMovement("card", "a", "300", "regular", "")).toEqual({
      movement: { kind: "card", account: "a", amount: "300", expires: null },
    });
    expect(buildMovement("topup", "", "5", "regular", "")).toEqual({ problem: "chooseAccount" });
  });

  it("shows the core's sentence when the ledger refuses", async () => {
    const sentence = "only 9,945.00 USD of cash is withdrawable from 'acme-admin'; 20,000.00 was asked";
    const backend = new MockBackend({ refuseMovement: { code: "refused", message: sentence } });
    const { app, root } = mount(backend);
    await app.start();
    q(root, "record-button")?.click();
    const dialog = q(root, "record-dialog")!;
    (dialog.querySelector("[data-testid=movement-kind]") as HTMLSelectElement).value = "withdraw";
    (dialog.querySelector("[data-testid=movement-amount]") as HTMLInputElement).value = "20000";
    dialog.querySelector("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await flush(5);
    expect(q(root, "movement-error")?.textContent).toBe(sentence);
    expect(backend.calls.find((c) => c.method === "recordMovement")?.arg).toEqual({
      op_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      movement: { kind: "withdraw", account: "acme-admin", amount: "20000" },
    });
  });

  /** Opens the form and types a top-up of `amount`. */
  function fillTopup(root: HTMLElement, amount: string) {
    q(root, "record-button")?.click();
    const dialog = q(root, "record-dialog")!;
    (dialog.querySelector("[data-testid=movement-kind]") as HTMLSelectElement).value = "topup";
    (dialog.querySelector("[data-testid=movement-amount]") as HTMLInputElement).value = amount;
    return dialog.querySelector<HTMLButtonElement>("[data-testid=movement-submit]")!;
  }

  it("records a double click once: Save is disabled while the call is pending", async () => {
    const backend = new MockBackend({ delay: 20 });
    const { app, root } = mount(backend);
    await app.start();
    const save = fillTopup(root, "100");
    save.click();
    expect(save.disabled).toBe(true);
    save.click();
    // Enter in a field submits the form even so: the form ignores it while pending.
    save.form!.dispatchEvent(new Event("submit", { cancelable: true }));
    await until(() => q(root, "movement-done"));
    expect(backend.argsOf("recordMovement")).toHaveLength(1);
    expect(backend.recorded).toEqual([{ kind: "topup", account: "acme-admin", amount: "100" }]);
    expect(q(root, "record-dialog")).toBeNull();
  });

  it("re-enables Save after an error and retries under the same operation id", async () => {
    const backend = new MockBackend({ failOn: { recordMovement: { code: "internal", message: "the answer was lost" } } });
    const { app, root } = mount(backend);
    await app.start();
    const save = fillTopup(root, "100");
    save.click();
    expect(save.disabled).toBe(true);
    await until(() => q(root, "movement-error")?.textContent);
    expect(save.disabled).toBe(false);
    expect(q(root, "movement-error")?.textContent).toBe("the answer was lost");
    backend.options.failOn = undefined;
    save.click();
    await until(() => q(root, "movement-done"));
    const [first, second] = backend.argsOf("recordMovement") as { op_id: string }[];
    expect(second.op_id).toBe(first.op_id);
    // A form opened afterwards is another operation.
    fillTopup(root, "100").click();
    await until(() => backend.recorded.length === 2);
    expect((backend.argsOf("recordMovement")[2] as { op_id: string }).op_id).not.toBe(first.op_id);
  });

  it("the mock, as the core, records an operation id once and refuses it for other values", async () => {
    const backend = new MockBackend();
    const movement = { kind: "topup" as const, account: "acme-admin", amount: "5" };
    await backend.recordMovement({ op_id: "a", movement });
    expect(await backend.recordMovement({ op_id: "a", movement })).toContain("already applied");
    expect(backend.recorded).toHaveLength(1);
    await expect(backend.recordMovement({ op_id: "a", movement: { ...movement, amount: "6" } })).rejects.toMatchObject({ code: "conflict" });
    await backend.recordMovement({ op_id: "b", movement });
    expect(backend.recorded).toHaveLength(2);
  });
});

describe("import", () => {
  it("shows each file's result or its error in full", async () => {
    const backend = new MockBackend({
      importReport: {
        files: [
          {
            file: "focus-2026-10.csv",
            status: "imported",
            format: "focus-1.2",
            rows: 1200,
            error: null,
            awaiting_currency: null,
            notes: ["not settled: 'acme-data' 2026-10: postpaid, and the month's bill is provisional"],
          },
          { file: "again.csv", status: "already_imported", format: "focus-1.2", rows: 0, error: null, awaiting_currency: null, notes: [] },
          {
            file: "bad.csv",
            status: "failed",
            format: null,
            rows: 0,
            error: { code: "import", message: "bad.csv line 7, column BilledCost: '12,5' is not an amount" },
            awaiting_currency: null,
            notes: [],
          },
        ],
      },
    });
    const { app, root } = mount(backend);
    await app.start();
    q(root, "import-button")?.click();
    await flush(5);
    const report = q(root, "import-report");
    expect(report?.textContent).toContain("focus-2026-10.csv: 1,200 lines imported (focus-1.2)");
    expect(report?.textContent).toContain("again.csv: imported before, nothing added");
    expect(report?.textContent).toContain("bad.csv line 7, column BilledCost: '12,5' is not an amount");
    expect(qa(root, "import-note").map((n) => n.textContent)).toEqual([
      "not settled: 'acme-data' 2026-10: postpaid, and the month's bill is provisional",
    ]);
  });

  it("offers a currency for a file that does not say it, and imports it in the one chosen", async () => {
    const backend = new MockBackend({
      importReport: {
        files: [
          { file: "ok.csv", status: "imported", format: "focus-1.2", rows: 3, error: null, awaiting_currency: null, notes: [] },
          {
            file: "unmarked.csv",
            status: "failed",
            format: null,
            rows: 0,
            error: { code: "currency_unstated", message: "unmarked.csv: not imported, nothing was written: the header does not say the currency of its amounts (Amount Due)" },
            awaiting_currency: 4,
            notes: [],
          },
        ],
      },
    });
    const { app, root } = mount(backend);
    await app.start();
    q(root, "import-button")?.click();
    await flush(5);
    const buttons = qa(root, "import-read-as");
    expect(buttons.map((b) => b.textContent)).toEqual(["CNY", "USD"]);
    buttons[1].click();
    await flush(5);
    expect(backend.argsOf("importInCurrency")).toEqual([{ file: 4, currency: "USD" }]);
    const report = q(root, "import-report");
    expect(report?.textContent).toContain("ok.csv: 3 lines imported (focus-1.2)");
    expect(report?.textContent).toContain("unmarked.csv: 2 lines imported (huawei)");
    expect(report?.textContent).not.toContain("not imported");
    expect(qa(root, "import-read-as")).toEqual([]);
  });

  it("a refused choice of currency says why under the file, and the buttons go", async () => {
    const backend = new MockBackend({
      importReport: {
        files: [
          {
            file: "unmarked.csv",
            status: "failed",
            format: null,
            rows: 0,
            error: { code: "currency_unstated", message: "unmarked.csv: the header does not say the currency of its amounts" },
            awaiting_currency: 0,
            notes: [],
          },
        ],
      },
      failOn: { importInCurrency: { code: "conflict", message: "unmarked.csv changed since it was refused: import it again to see what it holds now" } },
    });
    const { app, root } = mount(backend);
    await app.start();
    q(root, "import-button")?.click();
    await flush(5);
    qa(root, "import-read-as")[0].click();
    await flush(5);
    expect(q(root, "import-read-as-error")?.textContent).toContain("changed since it was refused");
    expect(qa(root, "import-read-as")).toEqual([]);
    expect(q(root, "import-report")?.textContent).toContain("unmarked.csv: not imported");
  });

  it("a file refused for another reason gets no choice of currency", async () => {
    const backend = new MockBackend({
      importReport: {
        files: [
          { file: "bad.csv", status: "failed", format: null, rows: 0, error: { code: "import", message: "bad" }, awaiting_currency: null, notes: [] },
        ],
      },
    });
    const { app, root } = mount(backend);
    await app.start();
    q(root, "import-button")?.click();
    await flush(5);
    expect(q(root, "import-report")?.textContent).toContain("bad.csv: not imported");
    expect(qa(root, "import-read-as")).toEqual([]);
  });

  it("keeps the choice of settling imported bills, and shows it as kept", async () => {
    const backend = new MockBackend({ importSettle: false });
    const { app, root } = mount(backend);
    await app.start();
    const box = q(root, "import-settle") as HTMLInputElement;
    expect(box.checked).toBe(false);
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    await flush(3);
    expect(backend.calls.filter((c) => c.method === "setImportSettle").map((c) => c.arg)).toEqual([true]);
    const again = mount(backend);
    await again.app.start();
    expect((q(again.root, "import-settle") as HTMLInputElement).checked).toBe(true);
  });

  it("a refused change of the settle choice puts the box back and says why", async () => {
    const backend = new MockBackend({ failOn: { setImportSettle: { code: "storage", message: "disk full" } } });
    const { app, root } = mount(backend);
    await app.start();
    const box = q(root, "import-settle") as HTMLInputElement;
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    await flush(3);
    expect(box.checked).toBe(false);
    expect(q(root, "import-settle-error")?.textContent).toContain("disk full");
  });

  it("shows progress events while a file is read", async () => {
    const backend = new MockBackend();
    const { app, root } = mount(backend);
    await app.start();
    backend.emitProgress({ file: "big.csv", index: 2, total: 3, rows: 0, per_mille: 0, done: false });
    expect(q(root, "import-progress")?.textContent).toContain("Importing big.csv (file 2 of 3)");
    backend.emitProgress({ file: "big.csv", index: 2, total: 3, rows: 250000, per_mille: 500, done: false });
    expect(q(root, "import-progress")?.textContent).toContain("250,000 lines");
    const bar = q(root, "import-progress")?.querySelector("progress");
    expect(bar?.max).toBe(3000);
    expect(bar?.value).toBe(1500);
  });
});

describe("sample data", () => {
  it("the sample scopes have an organization", () => {
    expect(sampleScopes().orgs.length).toBe(1);
  });
});
