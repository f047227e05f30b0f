import { beforeEach, describe, expect, it } from "vitest";

import { App } from "../src/app";
import { MockBackend, sampleLines, sampleOverview, sampleReconciliation, sampleScopes } from "../src/backend/mock";
import type { TrendMonth } from "../src/bindings/TrendMonth";
import type { Line } from "../src/bindings/Line";
import type { LinesQuery } from "../src/bindings/LinesQuery";
import type { ReviewFilter } from "../src/bindings/ReviewFilter";
import { MINUS } from "../src/format";
import { setLocale } from "../src/i18n";
import { narrowTo } from "../src/pages/explorer";
import { defaultMonths } from "../src/pages/diff";

function memoryStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
}

const flush = (ms = 0) => new Promise((r) => setTimeout(r, ms));

async function until<T>(ready: () => T | null | undefined | false, timeout = 3000): Promise<T> {
  const end = Date.now() + timeout;
  for (;;) {
    const v = ready();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await flush(5);
  }
}

const q = (root: ParentNode, id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const qa = (root: ParentNode, id: string) => [...root.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];

function choose(root: ParentNode, id: string, value: string) {
  const s = q(root, id) as HTMLSelectElement;
  s.value = value;
  s.dispatchEvent(new Event("change"));
}

function type(root: ParentNode, id: string, value: string) {
  const i = q(root, id) as HTMLInputElement;
  i.value = value;
  i.dispatchEvent(new Event("change"));
}

/** The app on the Bills page, its lines shown. */
async function openBills(backend = new MockBackend(), locale = "en-US") {
  setLocale(locale);
  const root = document.createElement("div");
  document.body.replaceChildren(root);
  const app = new App({ backend, root, locale, storage: memoryStorage() });
  await app.start();
  q(root, "nav-bills")!.click();
  await until(() => q(root, "lines") ?? q(root, "lines-empty") ?? q(root, "lines-error") ?? q(root, "bills-error"));
  await settled(backend);
  return { app, root, backend };
}

/** Waits until every call made so far has been answered and drawn. */
async function settled(backend: MockBackend) {
  let n = -1;
  while (n !== backend.calls.length) {
    n = backend.calls.length;
    await flush(15);
  }
}

function lastFilter(backend: MockBackend, method = "reviewLines"): ReviewFilter {
  return (backend.argsOf(method).at(-1) as { filter: ReviewFilter }).filter;
}

function line(id: number, patch: Partial<Line>): Line {
  return { ...sampleLines()[0], id, ...patch };
}

describe("navigation", () => {
  beforeEach(() => setLocale("en-US"));

  it("has two keyboard-reachable page tabs; the arrow keys switch pages", async () => {
    const backend = new MockBackend();
    setLocale("en-US");
    const root = document.createElement("div");
    document.body.replaceChildren(root);
    const app = new App({ backend, root, locale: "en-US" });
    await app.start();
    const overview = q(root, "nav-overview")!;
    const bills = q(root, "nav-bills")!;
    expect(overview.getAttribute("role")).toBe("tab");
    expect(overview.getAttribute("aria-selected")).toBe("true");
    expect(overview.tabIndex).toBe(0);
    expect(bills.tabIndex).toBe(-1);
    overview.focus();
    overview.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    await until(() => q(root, "lines"));
    expect(q(root, "nav-bills")!.getAttribute("aria-selected")).toBe("true");
    expect(document.activeElement?.getAttribute("data-testid")).toBe("nav-bills");
    q(root, "nav-overview")!.click();
    await until(() => q(root, "available-balance"));
  });

  it("the scope switcher applies to the Bills page", async () => {
    const { root, backend } = await openBills();
    expect(lastFilter(backend).scope).toEqual({ kind: "org", id: "acme" });
    choose(root, "scope-select", "account:acme-dev");
    await until(() => lastFilter(backend).scope.kind === "account");
    await settled(backend);
    expect(backend.argsOf("reviewFacets").at(-1)).toEqual({ kind: "account", id: "acme-dev" });
    expect(lastFilter(backend).scope).toEqual({ kind: "account", id: "acme-dev" });
    expect(q(root, "filter-account"), "one account: no account filter").toBeNull();
    expect(qa(root, "line").every((r) => r.textContent?.includes("acme-dev"))).toBe(true);
  });

  it("a service of the trend opens the explorer on that month and service", async () => {
    const backend = new MockBackend();
    setLocale("en-US");
    const root = document.createElement("div");
    document.body.replaceChildren(root);
    const app = new App({ backend, root, locale: "en-US" });
    await app.start();
    (root.querySelector("[data-testid=trend-service][data-month='2026-11'][data-service=COS]") as HTMLElement).click();
    await until(() => q(root, "lines"));
    await settled(backend);
    expect(lastFilter(backend)).toMatchObject({ from: "2026-11", to: "2026-11", service: "COS", provider: null, text: null });
    expect((q(root, "filter-service") as HTMLSelectElement).value).toBe("COS");
    expect(qa(root, "line").every((r) => r.dataset.service === "COS" && r.dataset.month === "2026-11")).toBe(true);
  });

  it("a renewing resource opens its lines of every month", async () => {
    const backend = new MockBackend();
    setLocale("en-US");
    const root = document.createElement("div");
    document.body.replaceChildren(root);
    const app = new App({ backend, root, locale: "en-US" });
    await app.start();
    q(root, "renewals-due")!.closest("button")!.click();
    q(root, "renewal-resource")!.click();
    await until(() => q(root, "lines") ?? q(root, "lines-empty"));
    await settled(backend);
    expect(lastFilter(backend)).toMatchObject({ resource: "ins-7f3a9c", from: null, to: null });
  });
});

/** The sample organization with a member billing in yuan: two currency blocks, lines of both. */
function twoCurrencies(): MockBackend {
  const scopes = sampleScopes();
  scopes.accounts.push({
    id: "acme-cn", name: "Acme China", provider: "Tencent Cloud", currency: "CNY", mode: "prepaid",
    org: "acme", role: "member", alert_enabled: false, alert_threshold: null,
  });
  const cny = ["2026-10", "2026-11"].flatMap((month, m) =>
    [0, 1, 2].map((i) =>
      line(1000 + m * 10 + i, {
        account: "acme-cn", sub_account: "cn", month, currency: "CNY",
        service: i === 2 ? "COS" : "CVM", billed_cost: `${100 + i}.5${m}`, resource_id: `ins-cn-${i}`,
      }),
    ),
  );
  const overview = sampleOverview();
  const trend: TrendMonth[] = ["2026-10", "2026-11"].map((month) => ({
    month, amount: "302.50", net_amount: "302.50",
    services: [{ service: "CVM", amount: "201.00", net_amount: "201.00" }, { service: "COS", amount: "102.50", net_amount: "102.50" }],
  }));
  overview.currencies.push({ ...overview.currencies[0], currency: "CNY", trend });
  return new MockBackend({ scopes, overview, lines: [...sampleLines(), ...cny] });
}

describe("currency", () => {
  beforeEach(() => setLocale("en-US"));

  it("a trend bar carries its currency to the explorer", async () => {
    const backend = twoCurrencies();
    const root = document.createElement("div");
    document.body.replaceChildren(root);
    // The chart reports a bar clicked with its month and service; the block says its currency.
    const bars = new Map<string, (month: string, service: string | null) => void>();
    const app = new App({
      backend, root, locale: "en-US", storage: memoryStorage(),
      chart: async (_host, _trend, currency, _locale, onSelect) => {
        bars.set(currency, onSelect);
        return () => undefined;
      },
    });
    await app.start();
    await until(() => bars.size === 2);
    bars.get("CNY")!("2026-11", "CVM");
    await until(() => q(root, "lines"));
    await settled(backend);
    expect(lastFilter(backend)).toMatchObject({ from: "2026-11", to: "2026-11", service: "CVM", currency: "CNY" });
    expect(lastFilter(backend, "reviewGroups")).toMatchObject({ currency: "CNY" });
    expect((q(root, "filter-currency") as HTMLSelectElement).value).toBe("CNY");
    expect(qa(root, "line").map((r) => r.dataset.lineId)).toEqual(["1011", "1010"]);
    expect(qa(root, "line-total").map((x) => [x.dataset.currency, x.dataset.value])).toEqual([["CNY", "202.02"]]);
    // The same month and service of the other block: its own currency.
    q(root, "nav-overview")!.click();
    await until(() => bars.size === 2 && q(root, "available-balance"));
    bars.get("USD")!("2026-11", "CVM");
    await until(() => lastFilter(backend).currency === "USD");
    await settled(backend);
    expect(qa(root, "line-total").map((x) => x.dataset.currency)).toEqual(["USD"]);
  });

  it("a data-table cell and a month carry their block's currency", async () => {
    const backend = twoCurrencies();
    const root = document.createElement("div");
    document.body.replaceChildren(root);
    const app = new App({ backend, root, locale: "en-US", storage: memoryStorage() });
    await app.start();
    (root.querySelector("[data-testid=trend-service][data-currency=CNY][data-month='2026-10'][data-service=COS]") as HTMLElement).click();
    await until(() => q(root, "lines"));
    await settled(backend);
    expect(lastFilter(backend)).toMatchObject({ from: "2026-10", to: "2026-10", service: "COS", currency: "CNY" });
    q(root, "nav-overview")!.click();
    await until(() => q(root, "available-balance"));
    (root.querySelector("[data-testid=trend-month][data-currency=USD][data-month='2026-10']") as HTMLElement).click();
    await until(() => lastFilter(backend).currency === "USD");
    expect(lastFilter(backend)).toMatchObject({ from: "2026-10", to: "2026-10", service: null, currency: "USD" });
  });

  it("the filter bar offers a currency only when the scope bills in several", async () => {
    const one = await openBills();
    expect(q(one.root, "filter-currency"), "one currency: no choice").toBeNull();
    const { root, backend } = await openBills(twoCurrencies());
    const select = q(root, "filter-currency") as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(["", "CNY", "USD"]);
    choose(root, "filter-currency", "CNY");
    await settled(backend);
    expect(lastFilter(backend)).toMatchObject({ currency: "CNY", from: "2026-11", to: "2026-11" });
    expect(lastFilter(backend, "reviewGroups")).toMatchObject({ currency: "CNY" });
    expect(qa(root, "line-total").map((x) => x.dataset.currency)).toEqual(["CNY"]);
    q(root, "filter-clear")!.click();
    await settled(backend);
    expect(lastFilter(backend).currency).toBeNull();
    expect(qa(root, "line-total").map((x) => x.dataset.currency)).toEqual(["CNY", "USD"]);
  });

  it("a group narrows to its value in its currency", async () => {
    const { root, backend } = await openBills(twoCurrencies());
    expect(qa(root, "group-row").filter((r) => r.dataset.value === "CVM").map((r) => r.dataset.currency)).toEqual(["CNY", "USD"]);
    (root.querySelector("[data-testid=group-row][data-value=CVM][data-currency=CNY] [data-testid=group-open]") as HTMLElement).click();
    await settled(backend);
    expect(lastFilter(backend)).toMatchObject({ service: "CVM", currency: "CNY" });
    expect(qa(root, "line-total").map((x) => [x.dataset.currency, x.dataset.lines])).toEqual([["CNY", "2"]]);
  });

  it("a row of month over month opens the explorer in its currency", async () => {
    const { root, backend } = await openBills(twoCurrencies());
    q(root, "bills-view-diff")!.click();
    await until(() => q(root, "diff-counts"));
    const row = qa(root, "diff-row").find((r) => r.textContent?.includes("CNY"))!;
    row.querySelector("button")!.click();
    await until(() => q(root, "lines"));
    await settled(backend);
    expect(lastFilter(backend)).toMatchObject({ from: "2026-11", to: "2026-11", currency: "CNY" });
  });
});

describe("explorer filters", () => {
  it("opens on the latest month with lines", async () => {
    const { root, backend } = await openBills();
    expect(lastFilter(backend)).toEqual({
      scope: { kind: "org", id: "acme" },
      account: null, provider: null, sub_account: null, service: null, region: null, category: null,
      resource: null, from: "2026-11", to: "2026-11", tag: null, text: null, currency: null,
    });
    expect((q(root, "filter-from") as HTMLSelectElement).value).toBe("2026-11");
    expect(q(root, "lines-count")?.textContent).toBe("1–40 of 40");
  });

  it("sends every filter the user sets, blank ones as null, to lines and groups alike", async () => {
    const { root, backend } = await openBills();
    choose(root, "filter-from", "2026-09");
    await settled(backend);
    choose(root, "filter-service", "CVM");
    await settled(backend);
    choose(root, "filter-region", "ap-guangzhou");
    await settled(backend);
    choose(root, "filter-member", "dev");
    await settled(backend);
    type(root, "filter-tag", "team=web");
    await settled(backend);
    type(root, "filter-text", "  hours ");
    await settled(backend);
    const want = {
      scope: { kind: "org", id: "acme" },
      account: null, provider: null, sub_account: "dev", service: "CVM", region: "ap-guangzhou", category: null,
      resource: null, from: "2026-09", to: "2026-11", tag: "team=web", text: "hours", currency: null,
    };
    expect(lastFilter(backend)).toEqual(want);
    expect(lastFilter(backend, "reviewGroups")).toEqual(want);
    for (const row of qa(root, "line")) expect(row.dataset.service).toBe("CVM");
    q(root, "filter-clear")!.click();
    await settled(backend);
    expect(lastFilter(backend)).toMatchObject({ service: null, region: null, sub_account: null, tag: null, text: null, from: "2026-09", to: "2026-11" });
  });
});

describe("grouping", () => {
  it("shows exact sums and line counts per group and currency", async () => {
    const lines = [
      line(1, { service: "CVM", billed_cost: "0.1", currency: "USD", month: "2026-11" }),
      line(2, { service: "CVM", billed_cost: "0.2", currency: "USD", month: "2026-11" }),
      line(3, { service: "CVM", billed_cost: "100.005", currency: "CNY", month: "2026-11" }),
      line(4, { service: "COS", billed_cost: "7", currency: "USD", month: "2026-11" }),
    ];
    const { root } = await openBills(new MockBackend({ lines }));
    const rows = qa(root, "group-row").map((r) => [
      r.dataset.value,
      r.dataset.currency,
      q(r, "group-billed")!.dataset.value,
      q(r, "group-billed")!.textContent,
      q(r, "group-lines")!.textContent,
    ]);
    expect(rows).toEqual([
      ["CVM", "CNY", "100.005", "100.01", "1"],
      ["COS", "USD", "7", "7.00", "1"],
      ["CVM", "USD", "0.3", "0.30", "2"],
    ]);
    // Totals: one per currency, never added together.
    const totals = qa(root, "line-total").map((t) => [t.dataset.currency, t.dataset.value, t.dataset.lines]);
    expect(totals).toEqual([["CNY", "100.005", "1"], ["USD", "7.3", "3"]]);
    expect(q(root, "converted-sum")).toBeNull();
  });

  it("groups by another dimension, and a group narrows the filter", async () => {
    const { root, backend } = await openBills();
    choose(root, "group-by", "month");
    await settled(backend);
    expect((backend.argsOf("reviewGroups").at(-1) as { by: string }).by).toBe("month");
    choose(root, "group-by", "service");
    await settled(backend);
    const cvm = qa(root, "group-row").find((r) => r.dataset.value === "CVM")!;
    q(cvm, "group-open")!.click();
    await settled(backend);
    expect(lastFilter(backend).service).toBe("CVM");
    // Narrowed to a service, the groups move on to its resources.
    expect((backend.argsOf("reviewGroups").at(-1) as { by: string }).by).toBe("resource");
    expect((q(root, "group-by") as HTMLSelectElement).value).toBe("resource");
    expect(qa(root, "group-row").every((r) => r.dataset.value?.startsWith("ins-"))).toBe(true);
  });

  it("groups by a tag key; lines without the tag cannot be narrowed to", async () => {
    const lines = [
      line(1, { tags: JSON.stringify({ env: "prod" }), month: "2026-11" }),
      line(2, { tags: null, month: "2026-11" }),
    ];
    const { root, backend } = await openBills(new MockBackend({ lines }));
    choose(root, "group-by", "tag");
    type(root, "group-tag-key", "env");
    await settled(backend);
    expect((backend.argsOf("reviewGroups").at(-1) as { by: string }).by).toBe("tag:env");
    const rows = qa(root, "group-row");
    expect(rows.map((r) => r.dataset.value)).toEqual(["prod", ""]);
    expect(q(rows[1], "group-open")).toBeNull();
    q(rows[0], "group-open")!.click();
    await settled(backend);
    expect(lastFilter(backend).tag).toBe("env=prod");
  });

  it("narrowTo maps each dimension to its filter", () => {
    expect(narrowTo("month", "2026-10")).toEqual({ patch: { from: "2026-10", to: "2026-10" }, next: "service" });
    expect(narrowTo("sub_account", "dev").patch).toEqual({ sub_account: "dev" });
    expect(narrowTo("resource", "ins-1")).toEqual({ patch: { resource: "ins-1" }, next: "month" });
    expect(narrowTo("tag:team", "web").patch).toEqual({ tag: "team=web" });
    expect(narrowTo("category", "Usage").patch).toEqual({ category: "Usage" });
  });
});

describe("paging and sorting", () => {
  const many = Array.from({ length: 250 }, (_, i) =>
    line(i + 1, { month: "2026-11", billed_cost: `${1000 - i}.5`, effective_cost: `${i}.25`, source_line: i + 2 }),
  );

  it("pages by 100 with the totals of every line", async () => {
    const { root, backend } = await openBills(new MockBackend({ lines: many }));
    expect(q(root, "lines-count")?.textContent).toBe("1–100 of 250");
    expect(qa(root, "line")).toHaveLength(100);
    expect((q(root, "lines-prev") as HTMLButtonElement).disabled).toBe(true);
    expect(q(root, "line-total")?.dataset.lines).toBe("250");
    q(root, "lines-next")!.click();
    await settled(backend);
    expect((backend.argsOf("reviewLines").at(-1) as LinesQuery).page).toBe(2);
    expect(q(root, "lines-count")?.textContent).toBe("101–200 of 250");
    q(root, "lines-next")!.click();
    await settled(backend);
    expect(q(root, "lines-count")?.textContent).toBe("201–250 of 250");
    expect((q(root, "lines-next") as HTMLButtonElement).disabled).toBe(true);
    expect(qa(root, "line")).toHaveLength(50);
  });

  it("sorts by another money column, from the first page", async () => {
    const { root, backend } = await openBills(new MockBackend({ lines: many }));
    q(root, "lines-next")!.click();
    await settled(backend);
    choose(root, "lines-sort", "effective");
    await settled(backend);
    const last = backend.argsOf("reviewLines").at(-1) as LinesQuery;
    expect([last.sort, last.page]).toEqual(["effective", 1]);
    expect(q(qa(root, "line")[0], "line-billed")?.dataset.value).toBe("751.5"); // effective 249.25
  });

  it("shows each line's source file and line, at full precision", async () => {
    const lines = [line(7, { month: "2026-11", source_file: "focus.csv", source_line: 9, billed_cost: "1200.123456789", currency: "USD" })];
    const { root } = await openBills(new MockBackend({ lines }));
    const row = q(root, "line")!;
    expect(q(row, "line-source")?.textContent).toBe("focus.csv:9");
    expect(q(row, "line-billed")?.textContent).toBe("1,200.123456789");
    expect(q(row, "line-billed")?.title).toBe("1,200.123456789 USD");
  });
});

describe("details and marking", () => {
  it("shows the original row on demand", async () => {
    const { root, backend } = await openBills();
    const row = qa(root, "line")[0];
    q(row, "line-details-button")!.click();
    const details = root.querySelector<HTMLElement>(`[data-testid=line-details][data-line-id='${row.dataset.lineId}']`)!;
    expect(details.hidden).toBe(false);
    await until(() => details.querySelector("[data-testid=original-row] table"));
    expect(backend.argsOf("originalRow")).toEqual([Number(row.dataset.lineId)]);
    expect(q(details, "original-row")?.textContent).toContain("BilledCost");
  });

  it("marks a line disputed with a note, and shows its new status", async () => {
    const { root, backend } = await openBills();
    const row = qa(root, "line")[0];
    const id = Number(row.dataset.lineId);
    q(row, "line-details-button")!.click();
    const form = q(root, "mark-form")!;
    choose(form, "mark-status", "disputed");
    (q(form, "mark-note") as HTMLInputElement).value = "  stopped on 3 Nov  ";
    form.dispatchEvent(new Event("submit", { cancelable: true }));
    await settled(backend);
    expect(backend.argsOf("markReview")).toEqual([{ target: { kind: "line", id }, status: "disputed", note: "stopped on 3 Nov" }]);
    expect(q(root, "mark-done")?.textContent).toBe("Marked the line disputed (1 lines carry it).");
    const again = root.querySelector<HTMLElement>(`[data-testid=line][data-line-id='${id}']`)!;
    expect(q(again, "line-review")?.dataset.status).toBe("disputed");
    // The details stay open on the marked line.
    expect(root.querySelector<HTMLElement>(`[data-testid=line-details][data-line-id='${id}']`)?.hidden).toBe(false);
  });

  it("marks a resource-month or a service-month of the line's account", async () => {
    const { root, backend } = await openBills();
    const row = qa(root, "line")[0];
    q(row, "line-details-button")!.click();
    const form = q(root, "mark-form")!;
    choose(form, "mark-target", "service");
    choose(form, "mark-status", "accepted");
    form.dispatchEvent(new Event("submit", { cancelable: true }));
    await settled(backend);
    const sent = backend.argsOf("markReview")[0] as { target: unknown; note: unknown };
    expect(sent.target).toEqual({ kind: "service", service: row.dataset.service, month: "2026-11", account: expect.any(String) });
    expect(sent.note).toBeNull();
    // A service mark covers every line of that service in the month, in that account.
    const same = qa(root, "line").filter((r) => r.dataset.service === row.dataset.service && r.dataset.account === row.dataset.account);
    expect(same.length).toBeGreaterThan(1);
    expect(same.every((r) => q(r, "line-review")?.dataset.status === "accepted")).toBe(true);
  });

  it("shows the core's sentence when a mark is refused", async () => {
    const sentence = "there is no cost line 9: see `billfold lines`";
    const backend = new MockBackend({ failOn: { markReview: { code: "not_found", message: sentence } } });
    const { root } = await openBills(backend);
    q(qa(root, "line")[0], "line-details-button")!.click();
    q(root, "mark-form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await settled(backend);
    const err = q(root, "mark-error")!;
    expect(err.dataset.code).toBe("not_found");
    expect(err.textContent).toContain("Something this needs does not exist.");
    expect(err.textContent).toContain(sentence);
  });

  it("lists the marks, orphans flagged, and filters them by status", async () => {
    const backend = new MockBackend();
    const { root } = await openBills(backend);
    backend.marks.push(
      { id: 1, target: "resource", provider: null, account: "acme-admin", month: "2026-10", resource_id: "ins-001", sku_id: null, service: null, status: "disputed", note: "not ours", reviewer: "Li Wei", at: "2026-11-20T08:00:00Z", lines: 0, orphaned: true, billed_when_marked: "40", billed_now: null, currency: "CNY", amount_changed: false },
      { id: 2, target: "service", provider: null, account: "acme-admin", month: "2026-11", resource_id: null, sku_id: null, service: "CVM", status: "reviewed", note: null, reviewer: null, at: "2026-11-21T08:00:00Z", lines: 12, orphaned: false, billed_when_marked: "1200.5", billed_now: "1350", currency: "CNY", amount_changed: true },
    );
    q(root, "bills-view-marks")!.click();
    await until(() => q(root, "marks"));
    const rows = qa(root, "mark-row");
    expect(rows.map((r) => [r.dataset.status, r.dataset.orphaned])).toEqual([["reviewed", "false"], ["disputed", "true"]]);
    expect(q(rows[1], "mark-orphaned")?.textContent).toBe("orphaned");
    expect(q(rows[1], "mark-note-text")?.textContent).toBe("not ours");
    expect(q(root, "marks-summary")?.textContent).toBe("2 marks, 1 orphaned.");
    // The re-issued bill moved what the service mark covers: now, and what it was when marked.
    expect(q(rows[0], "mark-billed")?.textContent).toContain("1,350.00");
    expect(q(rows[0], "mark-amount-changed")?.textContent).toBe("was 1,200.50 when marked");
    expect(q(rows[1], "mark-amount-changed")).toBeNull();
    choose(root, "marks-status", "disputed");
    await settled(backend);
    expect(backend.argsOf("reviewMarks").at(-1)).toBe("disputed");
    expect(qa(root, "mark-row")).toHaveLength(1);
  });

  it("keeps the reviewer's name through the core; an empty one is refused with its sentence", async () => {
    const { root, backend } = await openBills();
    const input = q(root, "reviewer-name") as HTMLInputElement;
    input.value = "Li Wei";
    input.form!.dispatchEvent(new Event("submit", { cancelable: true }));
    await settled(backend);
    expect(backend.argsOf("setReviewer")).toEqual(["Li Wei"]);
    expect(q(root, "reviewer-note")?.textContent).toBe("Saved.");
    input.value = " ";
    input.form!.dispatchEvent(new Event("submit", { cancelable: true }));
    await settled(backend);
    expect(q(root, "reviewer-note")?.textContent).toBe("the reviewer's name must not be empty");
  });
});

describe("errors", () => {
  it("a refused query shows the app's sentence for its code and the core's own", async () => {
    const sentence = "'2026-13' is not a month: expected YYYY-MM such as 2026-11";
    const backend = new MockBackend({ failOn: { reviewLines: { code: "invalid_input", message: sentence } } });
    const { root } = await openBills(backend);
    const err = q(root, "lines-error")!;
    expect(err.getAttribute("role")).toBe("alert");
    expect(err.dataset.code).toBe("invalid_input");
    expect(err.textContent).toBe(`That input was not accepted. ${sentence}`);
  });

  it("the page says so when its facets cannot be read, and retries", async () => {
    const backend = new MockBackend({ failOn: { reviewFacets: { code: "storage", message: "disk I/O error" } } });
    const { root } = await openBills(backend);
    expect(q(root, "bills-error")?.textContent).toContain("disk I/O error");
    backend.options.failOn = {};
    root.querySelector<HTMLButtonElement>("[data-testid=bills] button")!.click();
    await until(() => q(root, "lines"));
  });
});

describe("conversion", () => {
  const two = [
    line(1, { month: "2026-11", currency: "USD", billed_cost: "100.5" }),
    line(2, { month: "2026-11", currency: "CNY", billed_cost: "10" }),
  ];

  it("converts totals only with a rate the user added, showing the rate and its date", async () => {
    const backend = new MockBackend({ lines: two });
    const { root } = await openBills(backend);
    type(root, "convert-to", "");
    (q(root, "convert-to") as HTMLInputElement).value = "cny";
    q(root, "convert-to")!.closest("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await settled(backend);
    const err = q(root, "convert-error")!;
    expect(err.textContent).toContain("there is no USD→CNY rate on or before 2026-11-30");
    expect(q(root, "converted-sum"), "no sum without every rate").toBeNull();

    backend.rates.push({ from: "USD", to: "CNY", rate: "7.1234", on: "2026-10-31" });
    q(root, "convert-to")!.closest("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await settled(backend);
    expect(backend.argsOf("convert").at(-1)).toEqual({ amount: "100.5", from: "USD", to: "CNY", on: "2026-11-30" });
    const c = q(root, "converted")!;
    expect([c.dataset.value, c.dataset.rate, c.dataset.rateDate]).toEqual(["715.90170", "7.1234", "2026-10-31"]);
    expect(c.textContent).toBe("≈ 715.90 CNY at 1 USD = 7.1234 CNY, rate of Oct 31, 2026");
    expect(q(root, "converted-sum")?.dataset.value).toBe("725.90170");
    expect(q(root, "converted-sum")?.textContent).toBe("Together ≈ 725.90 CNY");
  });
});

describe("month over month", () => {
  it("defaults to the latest month and the one before", () => {
    expect(defaultMonths(["2026-09", "2026-10", "2026-11"], "")).toEqual({ from: "2026-10", to: "2026-11" });
    expect(defaultMonths(["2026-09", "2026-10", "2026-11"], "2026-10")).toEqual({ from: "2026-09", to: "2026-10" });
    expect(defaultMonths(["2026-09"], "")).toEqual({ from: "2026-09", to: "2026-09" });
  });

  it("shows new, gone and changed rows with change and percent, movers and corrections", async () => {
    const lines = [
      line(1, { month: "2026-10", service: "CVM", billed_cost: "200" }),
      line(2, { month: "2026-11", service: "CVM", billed_cost: "150" }),
      line(3, { month: "2026-10", service: "CDN", billed_cost: "40" }),
      line(4, { month: "2026-11", service: "COS", billed_cost: "12.5" }),
      line(5, { month: "2026-11", service: "CVM", billed_cost: "-5", charge_class: "Correction" }),
    ];
    const { root, backend } = await openBills(new MockBackend({ lines }));
    q(root, "bills-view-diff")!.click();
    await until(() => q(root, "diff-counts"));
    expect(backend.argsOf("reviewDiff").at(-1)).toMatchObject({ from: "2026-10", to: "2026-11", by: "service" });
    expect((backend.argsOf("reviewDiff").at(-1) as { filter: ReviewFilter }).filter.from).toBe("2026-11");
    expect(q(root, "diff-counts")?.textContent).toBe("October 2026 → November 2026: 1 new, 1 gone, 1 changed, 0 unchanged.");
    const rows = qa(root, "diff-row").map((r) => [r.dataset.key, r.dataset.status, q(r, "diff-change")?.textContent, r.querySelector(".pct")?.textContent ?? "—"]);
    expect(rows).toEqual([
      ["CVM", "changed", `${MINUS}55.00`, `${MINUS}27.50%`],
      ["CDN", "gone", `${MINUS}40.00`, `${MINUS}100.00%`],
      ["COS", "new", "+12.50", "—"],
    ]);
    expect(qa(q(root, "diff-movers-pct")!, "diff-change").map((e) => e.textContent)).toEqual([`${MINUS}40.00`, `${MINUS}55.00`]);
    expect(qa(root, "correction")).toHaveLength(1);
    // A row opens the explorer on the later month, narrowed to it.
    (root.querySelector("[data-testid=diff-row][data-key=COS] button") as HTMLElement).click();
    await until(() => q(root, "lines"));
    await settled(backend);
    expect(lastFilter(backend)).toMatchObject({ service: "COS", from: "2026-11", to: "2026-11" });
  });

  it("says how many corrections there are, and how many are listed", async () => {
    const many = Array.from({ length: 105 }, (_, i) =>
      line(500 + i, { month: "2026-11", service: "CVM", billed_cost: `-${i + 1}`, charge_class: "Correction" }),
    );
    const { root } = await openBills(new MockBackend({ lines: [...sampleLines(), ...many] }));
    q(root, "bills-view-diff")!.click();
    await until(() => q(root, "diff-counts"));
    // The sample's two (one a month) and 105 more.
    expect(q(root, "corrections-count")?.dataset.value).toBe("107");
    expect(q(root, "corrections-count")?.textContent).toBe("107");
    expect(qa(root, "correction")).toHaveLength(100);
    expect(q(root, "corrections-shown")?.textContent).toBe("100 of 107 shown.");
  });

  it("shows the count alone when every correction is listed", async () => {
    const { root } = await openBills();
    q(root, "bills-view-diff")!.click();
    await until(() => q(root, "diff-counts"));
    expect(q(root, "corrections-count")?.dataset.value).toBe("2");
    expect(qa(root, "correction")).toHaveLength(2);
    expect(q(root, "corrections-shown")).toBeNull();
  });

  it("compares by resource on request", async () => {
    const { root, backend } = await openBills();
    q(root, "bills-view-diff")!.click();
    await until(() => q(root, "diff-counts"));
    choose(root, "diff-by", "resource");
    choose(root, "diff-from", "2026-09");
    q(root, "diff-run")!.click();
    await settled(backend);
    expect(backend.argsOf("reviewDiff").at(-1)).toMatchObject({ from: "2026-09", to: "2026-11", by: "resource" });
    expect(qa(root, "diff-row")[0].dataset.key).toMatch(/^(ins|cos|cdn)-/);
  });
});

describe("reconciliation", () => {
  it("shows each check, with mismatches and changed sign-offs flagged", async () => {
    const { root } = await openBills();
    q(root, "bills-view-reconcile")!.click();
    await until(() => q(root, "invoice-row"));
    const inv = q(root, "invoice-row")!;
    expect(inv.dataset.matches).toBe("false");
    expect(q(inv, "invoice-difference")?.textContent).toBe("+0.13");
    expect(q(root, "assertion-row")?.dataset.matches).toBe("false");
    expect(q(root, "signoff-row")?.dataset.changed).toBe("true");
    expect(q(root, "signoff-row")?.textContent).toContain("changed since");
    expect(q(root, "completeness-row")?.textContent).toContain("2026-11-04");
    expect(q(root, "split-row")?.textContent).toContain("the payment parts add up to 9.50");
  });

  it("checks an invoice: typing slips are caught here, the rest goes to the core", async () => {
    const { root, backend } = await openBills();
    q(root, "bills-view-reconcile")!.click();
    await until(() => q(root, "invoice-form"));
    const form = q(root, "invoice-form")!;
    (q(form, "invoice-id") as HTMLInputElement).value = "INV-9";
    (q(form, "invoice-amount") as HTMLInputElement).value = "1,000";
    form.dispatchEvent(new Event("submit", { cancelable: true }));
    await settled(backend);
    expect(q(root, "invoice-form-problem")?.textContent).toBe("Enter an amount such as 100 or 12.50.");
    expect(backend.argsOf("addInvoice")).toEqual([]);
    (q(form, "invoice-amount") as HTMLInputElement).value = "1000.50";
    form.dispatchEvent(new Event("submit", { cancelable: true }));
    await settled(backend);
    expect(backend.argsOf("addInvoice")).toEqual([{ account: "acme-admin", invoice_id: "INV-9", amount: "1000.50" }]);
    expect(backend.argsOf("reconciliation").length).toBeGreaterThan(1);
  });

  it("signs off a month; a refusal shows the core's sentence", async () => {
    const { root, backend } = await openBills();
    q(root, "bills-view-reconcile")!.click();
    await until(() => q(root, "signoff-form"));
    choose(root, "signoff-account", "acme-dev");
    choose(root, "signoff-month", "2026-10");
    q(root, "signoff-form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await settled(backend);
    expect(backend.argsOf("signOff")).toEqual([{ account: "acme-dev", month: "2026-10" }]);
    expect(q(root, "signoff-form-done")?.textContent).toBe("Saved.");
    backend.options.lines = [];
    choose(root, "signoff-account", "acme-dev");
    choose(root, "signoff-month", "2026-10");
    q(root, "signoff-form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await settled(backend);
    expect(q(root, "signoff-form-error")?.textContent).toContain("'acme-dev' has no cost line in 2026-10 to sign off");
  });

  it("adds a dated exchange rate", async () => {
    const { root, backend } = await openBills(new MockBackend({ reconciliation: sampleReconciliation() }));
    q(root, "bills-view-reconcile")!.click();
    await until(() => q(root, "fx-form"));
    const form = q(root, "fx-form")!;
    for (const [id, v] of [["fx-from", "usd"], ["fx-to", "CNY"], ["fx-rate", "7.1234"], ["fx-on", "2026-10-31"]]) {
      (q(form, id) as HTMLInputElement).value = v;
    }
    form.dispatchEvent(new Event("submit", { cancelable: true }));
    await settled(backend);
    expect(backend.argsOf("addFxRate")).toEqual([{ from: "USD", to: "CNY", rate: "7.1234", on: "2026-10-31" }]);
    // The view was drawn again: a fresh form.
    const again = q(root, "fx-form")!;
    for (const [id, v] of [["fx-from", "USD"], ["fx-to", "CNY"], ["fx-rate", "7.1"], ["fx-on", "2026-02-30"]]) {
      (q(again, id) as HTMLInputElement).value = v;
    }
    again.dispatchEvent(new Event("submit", { cancelable: true }));
    await settled(backend);
    expect(q(root, "fx-form-problem")?.textContent).toBe("Enter a date such as 2026-12-31.");
  });
});

describe("exchange rates", () => {
  it("lists the rates kept beside the form, and again after one is added", async () => {
    const backend = new MockBackend();
    backend.rates.push({ from: "USD", to: "CNY", rate: "7.1", on: "2026-09-30" });
    const { root } = await openBills(backend);
    q(root, "bills-view-reconcile")!.click();
    await until(() => q(root, "fx-rates"));
    const rows = () => qa(root, "fx-rate-row").map((r) => [r.dataset.from, r.dataset.to, r.dataset.on, r.dataset.rate]);
    expect(rows()).toEqual([["USD", "CNY", "2026-09-30", "7.1"]]);
    expect(q(root, "fx-rate-row")?.textContent).toBe("USDCNY7.1Sep 30, 2026");
    // The table sits beside the form, in the same section.
    expect(q(root, "fx-form")?.parentElement).toBe(q(root, "fx-rates")?.parentElement);
    const calls = backend.argsOf("fxRates").length;
    const form = q(root, "fx-form")!;
    for (const [id, v] of [["fx-from", "usd"], ["fx-to", "cny"], ["fx-rate", "7.12345678"], ["fx-on", "2026-10-31"]]) {
      (q(form, id) as HTMLInputElement).value = v;
    }
    form.dispatchEvent(new Event("submit", { cancelable: true }));
    await settled(backend);
    expect(backend.argsOf("fxRates").length).toBe(calls + 1);
    expect(rows()).toEqual([
      ["USD", "CNY", "2026-09-30", "7.1"],
      ["USD", "CNY", "2026-10-31", "7.12345678"],
    ]);
    expect(qa(root, "fx-rate-row")[1].textContent, "every digit of the rate").toContain("7.12345678");
  });

  it("says when no rate is kept, and shows its own error without hiding the checks", async () => {
    const { root } = await openBills();
    q(root, "bills-view-reconcile")!.click();
    await until(() => q(root, "fx-rates-empty"));
    expect(q(root, "fx-rates-empty")?.textContent).toBe("No rate kept yet.");
    const failing = await openBills(new MockBackend({ failOn: { fxRates: { code: "storage", message: "disk I/O error" } } }));
    q(failing.root, "bills-view-reconcile")!.click();
    await until(() => q(failing.root, "fx-rates-error"));
    expect(q(failing.root, "fx-rates-error")?.textContent).toContain("disk I/O error");
    expect(q(failing.root, "invoice-row")).not.toBeNull();
  });

  it("shows the days of rates in Simplified Chinese", async () => {
    const backend = new MockBackend();
    backend.rates.push({ from: "USD", to: "CNY", rate: "7.1", on: "2026-09-30" });
    const { root } = await openBills(backend, "zh-CN");
    q(root, "bills-view-reconcile")!.click();
    await until(() => q(root, "fx-rates"));
    expect(q(root, "fx-rate-row")?.textContent).toContain("2026年9月30日");
  });
});

describe("export", () => {
  it("exports the current view as CSV and the review as XLSX through Rust's save dialog", async () => {
    const { root, backend } = await openBills();
    choose(root, "filter-service", "CDN");
    await settled(backend);
    q(root, "export-xlsx")!.click();
    await settled(backend);
    const sent = backend.argsOf("exportReview").at(-1) as { filter: ReviewFilter; format: string };
    expect(sent.format).toBe("xlsx");
    expect(sent.filter).toMatchObject({ service: "CDN", from: "2026-11", to: "2026-11" });
    expect(q(root, "export-result")?.textContent).toBe("Wrote 13 lines to /home/user/billfold-review.xlsx");
    backend.options.exportCancelled = true;
    q(root, "export-csv")!.click();
    await settled(backend);
    expect((backend.argsOf("exportReview").at(-1) as { format: string }).format).toBe("csv");
    expect(q(root, "export-result")).toBeNull();
    expect(root.textContent).toContain("Export cancelled.");
  });
});

describe("formatting", () => {
  it("formats the Bills page for the locale and in Simplified Chinese", async () => {
    const lines = [line(1, { month: "2026-11", billed_cost: "1234567.891", currency: "USD" })];
    const { root } = await openBills(new MockBackend({ lines }), "zh-CN");
    expect(q(root, "nav-bills")?.textContent).toBe("账单");
    expect(q(root, "bills-view-diff")?.textContent).toBe("环比");
    expect(q(root, "line-total")?.textContent).toContain("1,234,567.89");
    expect(q(root, "line-total")?.textContent).toContain("1 行");
    expect(q(root, "lines-count")?.textContent).toBe("第 1–1 行，共 1 行");
  });

  it("uses the locale's separators (de-DE)", async () => {
    const lines = [line(1, { month: "2026-11", billed_cost: "-1234.5", currency: "EUR" })];
    const { root } = await openBills(new MockBackend({ lines }), "de-DE");
    expect(q(root, "line-total")?.dataset.value).toBe("-1234.5");
    expect(q(root, "line-total")?.textContent).toContain(`${MINUS}1.234,50`);
    expect(q(root, "line-billed")?.textContent).toBe(`${MINUS}1.234,50`);
  });
});
