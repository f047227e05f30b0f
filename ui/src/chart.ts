// The expenditure trend as a Chart.js stacked bar chart (amount by service) with a line for the
// net amount. Loaded lazily so the figures paint before the chart library is parsed.
//
// Bar heights are the only floats in the UI (chartValue); tooltips show the exact figures
// formatted from the decimal strings.

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";

import type { TrendMonth } from "./bindings/TrendMonth";
import { chartValue, formatAmount, formatMonth } from "./format";
import { t } from "./i18n";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);
// The page's own fonts (styles.css), not Chart.js's Helvetica/Arial stack.
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily || "sans-serif";

const PALETTE = ["#3b7a67", "#6b9bc3", "#c9a65a", "#a2789c", "#7f8c8d", "#d08770", "#5e81ac", "#8fbcbb"];

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export async function drawTrend(
  host: HTMLElement,
  trend: TrendMonth[],
  currency: string,
  locale: string,
  onSelect: (month: string, service: string | null) => void,
): Promise<() => void> {
  const canvas = document.createElement("canvas");
  host.replaceChildren(canvas);
  const services = [...new Set(trend.flatMap((m) => m.services.map((s) => s.service)))];
  const exact = new Map<string, string>(); // "dataset|index" -> exact decimal
  const datasets = services.map((service, si) => ({
    type: "bar" as const,
    label: service,
    stack: "amount",
    backgroundColor: PALETTE[si % PALETTE.length],
    data: trend.map((m, i) => {
      const s = m.services.find((x) => x.service === service);
      exact.set(`${si}|${i}`, s?.amount ?? "0");
      return chartValue(s?.amount ?? "0");
    }),
  }));
  const netIndex = datasets.length;
  trend.forEach((m, i) => exact.set(`${netIndex}|${i}`, m.net_amount));
  const axis = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const text = cssVar("--fg-muted", "#666");
  const grid = cssVar("--line", "#ddd");
  // The centre of each drawn bar segment, in CSS pixels from the canvas's top-left corner:
  // lets an end-to-end test click a real bar (a WebDriver cannot see inside a canvas).
  const geometry = {
    id: "billfold-bar-geometry",
    afterDraw: (c: Chart) => {
      const bars: { month: string; service: string; x: number; y: number }[] = [];
      services.forEach((service, si) => {
        c.getDatasetMeta(si).data.forEach((el, i) => {
          const { x, y, base } = el.getProps(["x", "y", "base"], true) as { x: number; y: number; base: number };
          if (Math.abs(base - y) >= 2) bars.push({ month: trend[i].month, service, x: Math.round(x), y: Math.round((y + base) / 2) });
        });
      });
      host.dataset.bars = JSON.stringify(bars);
    },
  };
  const chart = new Chart(canvas, {
    plugins: [geometry],
    data: {
      labels: trend.map((m) => formatMonth(m.month, locale)),
      datasets: [
        ...datasets,
        {
          type: "line" as const,
          label: t("trendNet"),
          data: trend.map((m) => chartValue(m.net_amount)),
          borderColor: cssVar("--fg", "#222"),
          backgroundColor: cssVar("--fg", "#222"),
          borderWidth: 1.5,
          pointRadius: 2,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      // Clicking a bar opens the lines behind it (the service's, when a bar segment was hit).
      onClick: (_event, elements, chart) => {
        const hit = chart.getElementsAtEventForMode(_event as unknown as Event, "nearest", { intersect: true }, false)[0];
        const any = hit ?? elements[0];
        if (!any) return;
        const service = hit && hit.datasetIndex < netIndex ? services[hit.datasetIndex] : null;
        onSelect(trend[any.index].month, service);
      },
      scales: {
        x: { stacked: true, ticks: { color: text }, grid: { display: false } },
        y: {
          stacked: true,
          beginAtZero: true,
          // Axis ticks are geometry, not figures: whole units (steps too, so an empty trend does
          // not label 0, 0.5 and 1 as 0, 1, 1), grouped per locale.
          ticks: { color: text, maxTicksLimit: 5, precision: 0, callback: (v) => axis.format(Number(v)) },
          grid: { color: grid },
        },
      },
      plugins: {
        legend: { position: "top", align: "end", labels: { color: text, boxWidth: 10, boxHeight: 10 } },
        tooltip: {
          callbacks: {
            label: (ctx) =>
              `${ctx.dataset.label}: ${formatAmount(exact.get(`${ctx.datasetIndex}|${ctx.dataIndex}`) ?? "0", currency, locale)}`,
          },
        },
      },
    },
  });
  return () => chart.destroy();
}
