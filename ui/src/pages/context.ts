// What the Bills page's views share: the filter, the transport filter, the page's context.

import type { AccountInfo } from "../bindings/AccountInfo";
import type { Facets } from "../bindings/Facets";
import type { ReviewFilter } from "../bindings/ReviewFilter";
import type { Scope } from "../bindings/Scope";
import type { Backend } from "../backend/index";
import { type MessageKey, hasMessage, t } from "../i18n";

/** The explorer's filter as the page holds it: "" means any. */
export interface BillsFilter {
  account: string;
  provider: string;
  sub_account: string;
  service: string;
  region: string;
  category: string;
  resource: string;
  /** `YYYY-MM`, both included. */
  from: string;
  to: string;
  /** `KEY` or `KEY=VALUE`. */
  tag: string;
  text: string;
  /** Only lines in this currency: what a per-currency figure (a trend bar, a group, a row of
   * month over month) narrows to. */
  currency: string;
}

/** What an overview figure opens the explorer with; fields left out take their defaults
 * (the period: the latest month with lines), "" means any. */
export type BillsPreset = Partial<BillsFilter>;

export type BillsViewKey = "lines" | "diff" | "marks" | "reconcile";

export function blankFilter(): BillsFilter {
  return { account: "", provider: "", sub_account: "", service: "", region: "", category: "", resource: "", from: "", to: "", tag: "", text: "", currency: "" };
}

/** The transport filter of a scope and a page filter (empty texts become "any"). */
export function toRequest(scope: Scope, f: BillsFilter): ReviewFilter {
  const v = (x: string) => (x.trim() === "" ? null : x.trim());
  return {
    scope,
    account: v(f.account),
    provider: v(f.provider),
    sub_account: v(f.sub_account),
    service: v(f.service),
    region: v(f.region),
    category: v(f.category),
    resource: v(f.resource),
    from: v(f.from),
    to: v(f.to),
    tag: v(f.tag),
    text: v(f.text),
    currency: v(f.currency),
  };
}

/** Choices kept while the page lives (a view is made anew for each filter). */
export interface BillsPrefs {
  groupBy: string;
  tagKey: string;
  sort: string;
  convertTo: string;
  diffBy: string;
  marksStatus: string;
}

export function defaultPrefs(): BillsPrefs {
  return { groupBy: "service", tagKey: "", sort: "billed", convertTo: "", diffBy: "service", marksStatus: "" };
}

/** What the views need from the page. */
export interface BillsContext {
  readonly backend: Backend;
  readonly locale: string;
  readonly scope: Scope;
  readonly facets: Facets;
  readonly filter: BillsFilter;
  readonly prefs: BillsPrefs;
  /** The filter as the commands take it. */
  request(): ReviewFilter;
  /** Narrows (or widens) the filter and reloads the view. */
  setFilter(patch: Partial<BillsFilter>): void;
  /** Shows the explorer with this filter (from a row of another view). */
  openLines(patch: Partial<BillsFilter>): void;
  /** The billing accounts of the scope, with their currency. */
  accounts(): AccountInfo[];
  reviewer(): string | null;
  /** A short confirmation in the page's status line. */
  notify(text: string, testid?: string): void;
  /** The date a conversion uses: the end of the period, else the as-of day. */
  conversionDate(): string;
}

export interface BillsView {
  readonly element: HTMLElement;
  load(): Promise<void>;
}

/** The label of a review status or target, translated when the catalogue knows it. */
export function label(prefix: string, value: string): string {
  const key = `${prefix}_${value}`;
  return hasMessage(key) ? t(key as MessageKey) : value;
}

