import { defineConfig } from "vitest/config";

/**
 * The demo in real headless Chromium: `npm run test:e2e`. A config of its own so `vitest run`
 * (the unit projects) does not start a browser.
 */
export default defineConfig({
  test: {
    name: "e2e",
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
