// Small pieces every page uses: a money figure, the error box, a keyboard-driven tab list.

import { BackendError } from "./backend/index";
import { h } from "./dom";
import { amountTitle, formatAmount, formatChange, isNegative } from "./format";
import { type MessageKey, hasMessage, t } from "./i18n";

export interface MoneyOptions {
  testid?: string;
  cls?: string;
  /** Every digit the core sent (the lines view), not rounded to the minor unit. */
  full?: boolean;
  /** A change: a plus sign when above zero. */
  change?: boolean;
}

/** A money figure: formatted from the exact decimal, all its digits and currency in the title
 * and in `data-value`, a minus sign (and the `negative` class) below zero. */
export function money(amount: string, currency: string, locale: string, opts: MoneyOptions = {}): HTMLElement {
  const cls = opts.cls ?? "amount";
  const text = opts.change
    ? formatChange(amount, currency, locale, { full: opts.full })
    : formatAmount(amount, currency, locale, { full: opts.full });
  return h(
    "span",
    {
      class: isNegative(amount) ? `${cls} negative` : cls,
      "data-testid": opts.testid,
      "data-value": amount,
      title: amountTitle(amount, currency, locale),
    },
    text,
  );
}

export function errorInfo(e: unknown): { code: string; message: string } {
  const err = BackendError.from(e);
  return { code: err.code, message: err.message };
}

/** The app's sentence for the error's code, then the core's own sentence. */
export function errorSentence(e: unknown): { code: string; sentence: string; message: string } {
  const { code, message } = errorInfo(e);
  const key = `error_${code}`;
  return { code, sentence: t(hasMessage(key) ? (key as MessageKey) : "error_internal"), message };
}

/** An inline error: what kind of refusal, and the core's sentence in full. */
export function errorBox(e: unknown, testid: string): HTMLElement {
  const { code, sentence, message } = errorSentence(e);
  return h(
    "div",
    { class: "error-box", role: "alert", "data-testid": testid, "data-code": code },
    h("strong", {}, sentence),
    " ",
    h("span", { class: "detail" }, message),
  );
}

export interface TabSpec<K extends string> {
  key: K;
  label: string;
  testid: string;
}

/**
 * A tab list (WAI-ARIA pattern): the selected tab is in the Tab order, the arrow keys (and
 * Home/End) move between tabs and select them. `select` is called with the chosen key.
 */
export function tabList<K extends string>(
  label: string,
  tabs: TabSpec<K>[],
  selected: K,
  controls: string,
  select: (key: K) => void,
  cls = "tabs",
): HTMLElement {
  const buttons = tabs.map((tab) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        id: `tab-${tab.key}`,
        "aria-selected": String(tab.key === selected),
        "aria-controls": controls,
        tabindex: tab.key === selected ? 0 : -1,
        "data-testid": tab.testid,
        "data-key": tab.key,
        onclick: () => select(tab.key),
      },
      tab.label,
    ),
  );
  const list = h("div", { class: cls, role: "tablist", "aria-label": label }, buttons);
  list.addEventListener("keydown", (e: KeyboardEvent) => {
    const i = buttons.findIndex((b) => b === document.activeElement);
    if (i < 0) return;
    let next = -1;
    if (e.key === "ArrowRight") next = (i + 1) % buttons.length;
    else if (e.key === "ArrowLeft") next = (i - 1 + buttons.length) % buttons.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = buttons.length - 1;
    if (next < 0) return;
    e.preventDefault();
    select(tabs[next].key);
    // The list is usually re-rendered by `select`: focus the tab that is now selected.
    queueMicrotask(() => {
      const again = document.querySelector<HTMLElement>(`[role=tab][data-key="${tabs[next].key}"]`);
      (again ?? buttons[next]).focus();
    });
  });
  return list;
}

/** A labelled `<select>` of values with an "any" first choice. */
export function choice(
  label: string,
  testid: string,
  values: string[],
  current: string,
  onchange: (value: string) => void,
  opts: { any?: string; labels?: (v: string) => string } = {},
): HTMLElement {
  const all = current && !values.includes(current) ? [...values, current] : values;
  const select = h(
    "select",
    { "data-testid": testid, onchange: (e: Event) => onchange((e.target as HTMLSelectElement).value) },
    opts.any !== undefined ? h("option", { value: "" }, opts.any) : null,
    all.map((v) => h("option", { value: v }, opts.labels ? opts.labels(v) : v)),
  );
  select.value = current;
  return h("label", { class: "field" }, h("span", {}, label), select);
}

/** A labelled text input that reports its value when changed (Enter or leaving it). */
export function textField(
  label: string,
  testid: string,
  current: string,
  onchange: (value: string) => void,
  attrs: Record<string, string | number> = {},
): HTMLElement {
  const input = h("input", {
    type: "text",
    value: current,
    "data-testid": testid,
    onchange: (e: Event) => onchange((e.target as HTMLInputElement).value.trim()),
    ...attrs,
  });
  return h("label", { class: "field" }, h("span", {}, label), input);
}
