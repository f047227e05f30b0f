import { defineConfig } from "vitest/config";

export default defineConfig({
  // Tauri serves the built files from its own protocol: relative paths, no inline scripts
  // (the CSP forbids them), modern WebKit only.
  base: "./",
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    target: "safari16",
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.ts"],
  },
});
