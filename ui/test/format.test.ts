import { describe, expect, it } from "vitest";

import {
  MINUS,
  formatDecimal,
  amountTitle,
  compareDecimal,
  formatAmount,
  formatCount,
  formatMonth,
  isAmountInput,
  minorUnits,
  parseDecimal,
  resolveLocale,
  roundHalfAway,
  dayRuns,
  formatChange,
  formatInstant,
  formatPercent,
  isDate,
  isMonth,
  isSignedAmountInput,
  lastDayOfMonth,
  sumDecimals,
} from "../src/format";

describe("formatAmount per locale", () => {
  const cases: [string, string, string][] = [
    ["en-US", "1234567.891", "1,234,567.89"],
    ["zh-CN", "1234567.891", "1,234,567.89"],
    ["de-DE", "1234567.891", "1.234.567,89"],
    ["en-US", "0", "0.00"],
    ["de-DE", "0.5", "0,50"],
    ["zh-CN", "-55", `${MINUS}55.00`],
  ];
  for (const [locale, amount, expected] of cases) {
    it(`${locale}: ${amount} -> ${expected}`, () => {
      expect(formatAmount(amount, "USD", locale)).toBe(expected);
    });
  }
});

describe("rounding to the currency's minor unit, half away from zero", () => {
  it("rounds half up in magnitude for both signs", () => {
    expect(formatAmount("2.345", "CNY", "en-US")).toBe("2.35");
    expect(formatAmount("-2.345", "CNY", "en-US")).toBe(`${MINUS}2.35`);
    expect(formatAmount("2.344999", "CNY", "en-US")).toBe("2.34");
    expect(formatAmount("0.125", "USD", "en-US")).toBe("0.13"); // banker's would give 0.12
  });
  it("carries into the integer part", () => {
    expect(formatAmount("999999.995", "USD", "en-US")).toBe("1,000,000.00");
    expect(formatAmount("9.5", "JPY", "en-US")).toBe("10");
  });
  it("uses each currency's minor unit", () => {
    expect(minorUnits("USD")).toBe(2);
    expect(minorUnits("JPY")).toBe(0);
    expect(minorUnits("KWD")).toBe(3);
    expect(formatAmount("1234.5", "JPY", "en-US")).toBe("1,235");
    expect(formatAmount("1.2345", "KWD", "de-DE")).toBe("1,235");
  });
  it("never shows a minus sign on a zero", () => {
    expect(formatAmount("-0.001", "USD", "en-US")).toBe("0.00");
    expect(formatAmount("-0", "USD", "en-US")).toBe("0.00");
  });
  it("works on the digits, so huge amounts stay exact", () => {
    expect(formatAmount("123456789012345678901234.565", "USD", "en-US")).toBe(
      "123,456,789,012,345,678,901,234.57",
    );
  });
  it("roundHalfAway on parts", () => {
    expect(roundHalfAway(parseDecimal("0.995"), 2)).toEqual({ neg: false, int: "1", frac: "00" });
    expect(roundHalfAway(parseDecimal("-0.004"), 2)).toEqual({ neg: true, int: "0", frac: "00" });
  });
});

describe("full precision", () => {
  it("keeps every digit the core sent, grouped per locale", () => {
    expect(formatAmount("12345.6789012345", "USD", "en-US", { full: true })).toBe("12,345.6789012345");
    expect(formatAmount("12345.6789012345", "USD", "de-DE", { full: true })).toBe("12.345,6789012345");
    expect(amountTitle("-3.14159", "CNY", "zh-CN")).toBe(`${MINUS}3.14159 CNY`);
  });

  it("pads to the currency's minor unit, so a column of lines reads alike", () => {
    expect(formatAmount("96", "USD", "en-US", { full: true })).toBe("96.00");
    expect(formatAmount("297.6", "CNY", "en-US", { full: true })).toBe("297.60");
    expect(formatAmount("-0.5", "EUR", "de-DE", { full: true })).toBe(`${MINUS}0,50`);
    expect(formatAmount("1500", "JPY", "en-US", { full: true })).toBe("1,500");
    expect(formatAmount("1.5", "KWD", "en-US", { full: true })).toBe("1.500");
    expect(formatChange("5", "USD", "en-US", { full: true })).toBe("+5.00");
  });

  it("a rate is not money: every digit, no padding", () => {
    expect(formatDecimal("7.1", "en-US")).toBe("7.1");
    expect(formatDecimal("1234.56789", "de-DE")).toBe("1.234,56789");
  });
});

describe("parsing", () => {
  it("refuses what is not a plain decimal", () => {
    expect(() => parseDecimal("1e5")).toThrow();
    expect(() => parseDecimal("1,000")).toThrow();
    expect(() => parseDecimal("NaN")).toThrow();
    expect(() => parseDecimal("")).toThrow();
  });
  it("compares and sums exactly", () => {
    expect(compareDecimal("0.1", "0.10")).toBe(0);
    expect(compareDecimal("-1", "0.5")).toBe(-1);
    expect(compareDecimal("10.01", "10.009")).toBe(1);
    expect(sumDecimals(["0.1", "0.2"])).toBe("0.3");
    expect(sumDecimals(["1.005", "-2"])).toBe("-0.995");
  });
  it("checks typed amounts", () => {
    expect(isAmountInput("100")).toBe(true);
    expect(isAmountInput("12.50")).toBe(true);
    expect(isAmountInput("1,000")).toBe(false);
    expect(isAmountInput("-5")).toBe(false);
    expect(isAmountInput("1e3")).toBe(false);
  });
});

describe("counts and months", () => {
  it("groups counts per locale", () => {
    expect(formatCount(12345, "en-US")).toBe("12,345");
    expect(formatCount(12345, "de-DE")).toBe("12.345");
  });
  it("labels months without time-zone drift", () => {
    expect(formatMonth("2026-11", "en-US")).toBe("Nov 2026");
    expect(formatMonth("2026-01", "zh-CN")).toBe("2026年1月");
  });
});

describe("resolveLocale", () => {
  it("takes the first usable locale and ignores POSIX names", () => {
    expect(resolveLocale("C")).toBe("en-US");
    expect(resolveLocale(null, "C.UTF-8", "de_DE.UTF-8")).toBe("de-DE");
    expect(resolveLocale("zh-CN", "en-US")).toBe("zh-CN");
    expect(resolveLocale("not a locale!!", undefined)).toBe("en-US");
  });
});

describe("review figures", () => {
  it("changes carry a sign, minus as U+2212", () => {
    expect(formatChange("12.5", "USD", "en-US")).toBe("+12.50");
    expect(formatChange("-12.5", "USD", "en-US")).toBe(`${MINUS}12.50`);
    expect(formatChange("0.004", "USD", "en-US")).toBe("0.00");
    expect(formatChange("0.001", "USD", "en-US", { full: true })).toBe("+0.001");
    expect(formatChange("1000", "JPY", "de-DE")).toBe("+1.000");
  });

  it("percents from the core's decimal, per locale, never through a float", () => {
    expect(formatPercent("12.345", "en-US")).toBe("+12.35%");
    expect(formatPercent("-27.5", "en-US")).toBe(`${MINUS}27.50%`);
    expect(formatPercent("0", "en-US")).toBe("0.00%");
    expect(formatPercent("1234.5", "de-DE")).toBe("+1.234,50\u00a0%");
    expect(formatPercent("0.125", "zh-CN")).toBe("+0.13%");
    // 0.1 + 0.2 style decimals stay exact.
    expect(formatPercent("33.335", "en-US")).toBe("+33.34%");
  });

  it("months, dates and days", () => {
    expect(lastDayOfMonth("2026-02")).toBe("2026-02-28");
    expect(lastDayOfMonth("2028-02")).toBe("2028-02-29");
    expect(lastDayOfMonth("2026-12")).toBe("2026-12-31");
    expect(isMonth("2026-11")).toBe(true);
    expect(isMonth("2026-13")).toBe(false);
    expect(isDate("2026-02-29")).toBe(false);
    expect(isDate("2028-02-29")).toBe(true);
    expect(isDate("2026-1-01")).toBe(false);
    expect(isSignedAmountInput("-10.5")).toBe(true);
    expect(isSignedAmountInput("1,000")).toBe(false);
    expect(dayRuns(["2026-10-05", "2026-10-06", "2026-10-07", "2026-10-09", "2026-10-31", "2026-11-01"])).toEqual([
      ["2026-10-05", "2026-10-07", 3],
      ["2026-10-09", "2026-10-09", 1],
      ["2026-10-31", "2026-11-01", 2],
    ]);
    expect(formatInstant("2026-11-08T09:00:00Z", "en-US")).toBe("Nov 8, 2026, 9:00 AM UTC");
  });

  it("sums exactly", () => {
    expect(sumDecimals(["0.1", "0.2"])).toBe("0.3");
    expect(sumDecimals(["100.005", "-0.005", "1"])).toBe("101.000");
  });
});
