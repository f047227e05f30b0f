import { describe, expect, it } from "vitest";

import { allCatalogues, setLocale, t } from "../src/i18n";

describe("message catalogue", () => {
  it("has every key in every language, with the same placeholders", () => {
    const en = allCatalogues.en;
    for (const [name, cat] of Object.entries(allCatalogues)) {
      expect(Object.keys(cat).sort(), name).toEqual(Object.keys(en).sort());
      for (const key of Object.keys(en) as (keyof typeof en)[]) {
        const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
        expect(ph(cat[key]), `${name}.${key}`).toEqual(ph(en[key]));
      }
    }
  });
  it("fills placeholders and switches language", () => {
    setLocale("zh-CN");
    expect(t("asOf", { date: "2026年11月23日" })).toBe("截至 2026年11月23日");
    setLocale("en-US");
    expect(t("asOf", { date: "Nov 23, 2026" })).toBe("as of Nov 23, 2026");
  });
});

describe("boundaries", () => {
  it("only backend/tauri.ts imports @tauri-apps/api", () => {
    const sources = import.meta.glob("../src/**/*.ts", { query: "?raw", import: "default", eager: true });
    const offenders = Object.entries(sources)
      .filter(([, text]) => String(text).includes("@tauri-apps/api"))
      .map(([path]) => path.replace("../src/", ""));
    expect(offenders).toEqual(["backend/tauri.ts"]);
  });

  it("the first paint loads neither the Bills page, Chart.js nor the mock backend", () => {
    const sources = import.meta.glob("../src/**/*.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;
    // The static imports reachable from main.ts (type-only imports vanish from the build).
    const reached = new Set<string>();
    const visit = (file: string) => {
      if (reached.has(file)) return;
      reached.add(file);
      const text = sources[file] ?? "";
      for (const m of text.matchAll(/^import\s+(?!type\b)(?:[^"';]*?\sfrom\s+)?"([^"]+)"/gm)) {
        const spec = m[1];
        if (!spec.startsWith(".")) {
          reached.add(spec);
          continue;
        }
        const parts = file.split("/").slice(0, -1);
        for (const p of spec.split("/")) {
          if (p === "..") parts.pop();
          else if (p !== ".") parts.push(p);
        }
        const target = `${parts.join("/")}.ts`;
        if (target in sources) visit(target);
      }
    };
    visit("../src/main.ts");
    expect(reached.has("../src/app.ts"), "the walk follows imports").toBe(true);
    expect(reached.has("../src/backend/tauri.ts")).toBe(true);
    for (const lazy of ["../src/pages/bills.ts", "../src/pages/explorer.ts", "../src/chart.ts", "chart.js", "../src/backend/mock.ts"]) {
      expect(reached.has(lazy), lazy).toBe(false);
    }
  });
});
