import { fileURLToPath } from "node:url";
import { playwright } from "@vitest/browser-playwright";
import { defineConfig } from "vitest/config";
import { chromiumArgs, chromiumPath } from "../../support/chromium.js";

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

// The BroadcastChannel cases in headless Chromium (vitest browser mode, as the conformance run), against
// the built package (run `npm run build` first): node:test and node:assert mapped onto vitest, each peer
// a same-origin frame of its own.
export default defineConfig({
  resolve: {
    alias: {
      "node:test": here("../../conformance/browser/node-test.ts"),
      "node:assert/strict": here("../../conformance/browser/node-assert.ts"),
      "openai-priority-loadbalancer/shared": here("../../../dist/shared.js"),
    },
  },
  test: {
    name: "shared (chromium)",
    include: ["test/shared/browser/pages.browser.ts"],
    root: here("../../.."),
    testTimeout: 30_000,
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
      instances: [{ browser: "chromium" }],
    },
  },
});
