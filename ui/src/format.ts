// Every number, amount and date the UI shows is formatted here, and only here.
//
// Amounts arrive as exact decimal strings and are formatted without ever becoming a float:
// the string is split into sign, integer digits and fraction digits; rounding (half away from
// zero, to the currency's minor unit) is done on the digits with BigInt; the integer part is
// grouped by `Intl.NumberFormat#format(bigint)`, which is exact in every engine we run on
// (V8 for the tests, JavaScriptCore in WebKitGTK for the app); the locale's decimal separator
// and digits are taken from `formatToParts`. Negative figures carry a minus sign (U+2212), so the
// sign never depends on colour.

export const MINUS = "\u2212";

/** A decimal split into its parts: `neg`, integer digits (no leading zeros but "0"), fraction digits. */
export interface Dec {
  neg: boolean;
  int: string;
  frac: string;
}

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

/** Parses an exact decimal string as the core sends it ("-12.3400", "5"). Throws on anything else. */
export function parseDecimal(text: string): Dec {
  const m = DECIMAL.exec(text.trim());
  if (!m) throw new Error(`not a decimal amount: '${text}'`);
  const int = m[2].replace(/^0+(?=\d)/, "");
  return { neg: m[1] === "-", int, frac: m[3] ?? "" };
}

function isZero(d: Dec): boolean {
  return /^0*$/.test(d.int) && /^0*$/.test(d.frac);
}

/** Rounds to `digits` fraction digits, half away from zero (the SPEC's rounding for display). */
export function roundHalfAway(d: Dec, digits: number): Dec {
  if (d.frac.length <= digits) return { ...d, frac: d.frac.padEnd(digits, "0") };
  const kept = d.frac.slice(0, digits);
  const up = d.frac.charCodeAt(digits) >= "5".charCodeAt(0);
  if (!up) return { neg: d.neg, int: d.int, frac: kept };
  const scaled = BigInt(d.int + kept) + 1n;
  const s = scaled.toString().padStart(digits + 1, "0");
  const int = digits === 0 ? s : s.slice(0, s.length - digits);
  const frac = digits === 0 ? "" : s.slice(s.length - digits);
  return { neg: d.neg, int: int.replace(/^0+(?=\d)/, ""), frac };
}

/**
 * One formatter per locale and options, made once: an `Intl` constructor loads the locale's
 * data (tens of microseconds to a millisecond each in JavaScriptCore), and the overview formats
 * a few hundred figures before its first paint.
 */
const formatters = new Map<string, unknown>();

function once<T>(key: string, make: () => T): T {
  let f = formatters.get(key) as T | undefined;
  if (f === undefined) {
    f = make();
    formatters.set(key, f);
  }
  return f;
}

/** Digits of the currency's minor unit (USD 2, JPY 0, KWD 3), from the platform's ISO 4217 data. */
export function minorUnits(currency: string): number {
  return once(`minor|${currency}`, () => {
    try {
      return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      return 2;
    }
  });
}

interface LocaleParts {
  group: Intl.NumberFormat;
  decimal: string;
  digits: string[];
}

const localeCache = new Map<string, LocaleParts>();

function localeParts(locale: string): LocaleParts {
  let p = localeCache.get(locale);
  if (!p) {
    const group = new Intl.NumberFormat(locale, { maximumFractionDigits: 0, useGrouping: true });
    const decimal =
      new Intl.NumberFormat(locale, { minimumFractionDigits: 1 })
        .formatToParts(1.5)
        .find((x) => x.type === "decimal")?.value ?? ".";
    const plain = new Intl.NumberFormat(locale, { useGrouping: false });
    const digits = Array.from({ length: 10 }, (_, i) => plain.format(i));
    p = { group, decimal, digits };
    localeCache.set(locale, p);
  }
  return p;
}

function render(d: Dec, locale: string): string {
  const p = localeParts(locale);
  const int = p.group.format(BigInt(d.int));
  const frac = d.frac.replace(/\d/g, (c) => p.digits[c.charCodeAt(0) - 48]);
  const body = frac ? `${int}${p.decimal}${frac}` : int;
  return d.neg && !isZero(d) ? `${MINUS}${body}` : body;
}

/**
 * A money figure for display: grouped per locale, rounded to the currency's minor unit
 * (`full: true` keeps every digit the core sent, for hover titles and the lines view, padded
 * to the minor unit so that "96" reads "96.00" beside "0.0000123").
 */
export function formatAmount(
  amount: string,
  currency: string,
  locale: string,
  opts: { full?: boolean } = {},
): string {
  const d = parseDecimal(amount);
  const minor = minorUnits(currency);
  if (opts.full) return render({ ...d, frac: d.frac.padEnd(minor, "0") }, locale);
  return render(roundHalfAway(d, minor), locale);
}

/** A decimal that is not money (an exchange rate): every digit, grouped per locale, no padding. */
export function formatDecimal(value: string, locale: string): string {
  return render(parseDecimal(value), locale);
}

/** The hover title of a figure: every digit, and the currency. */
export function amountTitle(amount: string, currency: string, locale: string): string {
  return `${formatAmount(amount, currency, locale, { full: true })} ${currency}`;
}

/** True when the exact decimal is below zero (a zero with a minus sign is not). */
export function isNegative(amount: string): boolean {
  const d = parseDecimal(amount);
  return d.neg && !isZero(d);
}

/** Compares two exact decimals: -1, 0 or 1. */
export function compareDecimal(a: string, b: string): number {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  const n = Math.max(x.frac.length, y.frac.length);
  const bx = BigInt(x.int + x.frac.padEnd(n, "0")) * (x.neg ? -1n : 1n);
  const by = BigInt(y.int + y.frac.padEnd(n, "0")) * (y.neg ? -1n : 1n);
  return bx < by ? -1 : bx > by ? 1 : 0;
}

/** A count (orders, coupons, renewals). */
export function formatCount(n: number, locale: string): string {
  return once(`count|${locale}`, () => new Intl.NumberFormat(locale, { maximumFractionDigits: 0 })).format(n);
}

/** `YYYY-MM` as a short month label ("Nov 2026", "2026年11月"). */
export function formatMonth(month: string, locale: string, style: "short" | "long" = "short"): string {
  const [y, m] = month.split("-").map(Number);
  return once(`month|${locale}|${style}`, () => new Intl.DateTimeFormat(locale, { month: style, year: "numeric", timeZone: "UTC" })).format(
    new Date(Date.UTC(y, m - 1, 1)),
  );
}

/** A calendar day (`YYYY-MM-DD`) as a date, the same day in every time zone. */
export function formatDay(day: string, locale: string): string {
  const t = new Date(`${day}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(t.getTime())) return day;
  return once(`day|${locale}`, () => new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" })).format(t);
}

/** An RFC 3339 instant as a date ("23 Nov 2026" style, per locale). */
export function formatDate(instant: string, locale: string): string {
  const t = new Date(instant);
  if (Number.isNaN(t.getTime())) return instant;
  return once(`date|${locale}`, () => new Intl.DateTimeFormat(locale, { dateStyle: "medium" })).format(t);
}

/**
 * The height of a bar in the chart. This is the one place a money string becomes a float, and
 * it is only geometry: every figure shown as text is formatted from the string.
 */
export function chartValue(amount: string): number {
  return Number(amount);
}

/** Checks a user-typed amount before it is sent: digits with an optional fraction, no grouping. */
export function isAmountInput(text: string): boolean {
  return /^\d+(\.\d+)?$/.test(text.trim());
}

/**
 * The first usable locale of the candidates (URL override, the OS language), else en-US.
 * A POSIX locale such as "C" or "C.UTF-8" (what WebKitGTK reports when LANG is unset) is not one.
 */
export function resolveLocale(...candidates: (string | null | undefined)[]): string {
  for (const c of candidates) {
    if (!c) continue;
    const tag = c.replace(/[.@].*$/, "").replace(/_/g, "-");
    if (tag === "C" || tag === "POSIX") continue;
    try {
      const [canonical] = Intl.getCanonicalLocales(tag);
      if (canonical && Intl.NumberFormat.supportedLocalesOf([canonical]).length > 0) return canonical;
    } catch {
      // not a BCP 47 tag: try the next one
    }
  }
  return "en-US";
}

/** Exact sum of decimal strings (BigInt on the digits, no float). */
export function sumDecimals(values: string[]): string {
  let scale = 0;
  for (const v of values) scale = Math.max(scale, (v.split(".")[1] ?? "").length);
  let total = 0n;
  for (const v of values) {
    const neg = v.startsWith("-");
    const [i, f = ""] = v.replace(/^[+-]/, "").split(".");
    const n = BigInt(i + f.padEnd(scale, "0"));
    total += neg ? -n : n;
  }
  const neg = total < 0n;
  const digits = (neg ? -total : total).toString().padStart(scale + 1, "0");
  const int = digits.slice(0, digits.length - scale);
  const frac = scale ? `.${digits.slice(digits.length - scale)}` : "";
  return `${neg ? "-" : ""}${int}${frac}`;
}

/** A change: like `formatAmount`, with a plus sign when above zero (a minus sign below). */
export function formatChange(amount: string, currency: string, locale: string, opts: { full?: boolean } = {}): string {
  const text = formatAmount(amount, currency, locale, opts);
  const d = parseDecimal(amount);
  return !d.neg && !isZero(roundHalfAway(d, opts.full ? d.frac.length : minorUnits(currency))) ? `+${text}` : text;
}

/**
 * A percent the core computed (a decimal string such as "-12.50", already in percent), shown
 * with two decimals, a sign, and the locale's percent sign and spacing ("+12.50%", "+12,50 %").
 */
export function formatPercent(pct: string, locale: string): string {
  const d = roundHalfAway(parseDecimal(pct), 2);
  const body = render({ ...d, neg: false }, locale);
  const parts = once(`percent|${locale}`, () => new Intl.NumberFormat(locale, { style: "percent" }).formatToParts(0.5));
  let out = "";
  let placed = false;
  for (const p of parts) {
    if (p.type === "integer" || p.type === "group" || p.type === "decimal" || p.type === "fraction") {
      if (!placed) out += body;
      placed = true;
    } else if (p.type === "percentSign" || p.type === "literal") {
      out += p.value;
    }
  }
  const zero = isZero(d);
  return `${zero ? "" : d.neg ? MINUS : "+"}${out}`;
}

/** The last day of a `YYYY-MM` month, `YYYY-MM-DD`. */
export function lastDayOfMonth(month: string): string {
  const [y, m] = month.split("-").map(Number);
  const day = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${month}-${String(day).padStart(2, "0")}`;
}

/** Checks a typed month, `YYYY-MM`. */
export function isMonth(text: string): boolean {
  const m = /^(\d{4})-(\d{2})$/.exec(text.trim());
  return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 12;
}

/** Checks a typed date, `YYYY-MM-DD`. */
export function isDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** Checks a typed signed amount (balance assertions may be negative). */
export function isSignedAmountInput(text: string): boolean {
  return /^-?\d+(\.\d+)?$/.test(text.trim());
}

/** An RFC 3339 instant as a date and time in UTC ("Nov 8, 2026, 9:00 AM UTC"). */
export function formatInstant(instant: string, locale: string): string {
  const t = new Date(instant);
  if (Number.isNaN(t.getTime())) return instant;
  const f = once(`instant|${locale}`, () => new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }));
  return `${f.format(t)} UTC`;
}

/** Days (`YYYY-MM-DD`, sorted) as runs of consecutive days: `[first, last, count]`. */
export function dayRuns(days: string[]): [string, string, number][] {
  const runs: [string, string, number][] = [];
  const next = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  for (const d of days) {
    const last = runs[runs.length - 1];
    if (last && next(last[1]) === d) {
      last[1] = d;
      last[2] += 1;
    } else {
      runs.push([d, d, 1]);
    }
  }
  return runs;
}
