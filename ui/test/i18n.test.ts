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
});
