import "./styles.css";

performance.mark("script");

import { App } from "./app";
import type { Backend } from "./backend/index";
// In the main chunk: one module fetch less before the first round trip.
import { tauriBackend } from "./backend/tauri";
import { resolveLocale } from "./format";
import { setLocale } from "./i18n";

async function pickBackend(): Promise<Backend> {
  // Inside the app window Tauri injects its internals; in a plain browser (`npm run dev`) the
  // mock backend shows sample data.
  if ("__TAURI_INTERNALS__" in window) return tauriBackend;
  const { MockBackend } = await import("./backend/mock");
  return new MockBackend();
}

// Linux's fonts come from fontconfig's own defaults (styles.css says why).
if (navigator.userAgent.includes("Linux")) document.documentElement.dataset.platform = "linux";

async function main(): Promise<void> {
  // The shell passes the OS locale (WebKitGTK reports "C" when the C library lacks it).
  const fromShell = (window as { __BILLFOLD_LOCALE__?: string }).__BILLFOLD_LOCALE__;
  const locale = resolveLocale(new URLSearchParams(location.search).get("locale"), fromShell, navigator.language);
  setLocale(locale);
  document.documentElement.lang = locale;
  const root = document.getElementById("app");
  if (!root) return;
  const app = new App({
    backend: await pickBackend().finally(() => performance.mark("backend")),
    root,
    locale,
    storage: window.localStorage,
    chart: async (host, trend, currency, loc, onSelect) =>
      (await import("./chart")).drawTrend(host, trend, currency, loc, onSelect),
    onPainted: () => {
      // Marks the moment real figures are on screen, for the start-up measurement.
      performance.mark("overview-painted");
      // The frame that lays the figures out and paints them starts with its animation-frame
      // callbacks; a task queued from one runs once that frame is done.
      requestAnimationFrame(() => {
        performance.mark("frame");
        setTimeout(() => {
          performance.mark("painted");
          document.body.setAttribute("data-painted", String(Math.round(performance.now())));
        }, 0);
      });
    },
  });
  await app.start();
}

void main();
