import { fileURLToPath } from "node:url";
import { playwright } from "@vitest/browser-playwright";
import { defineConfig } from "vitest/config";
import { chromiumArgs, chromiumPath } from "../support/chromium.js";

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

// The conformance cases in headless Chromium, against the built package (run `npm run build` first).
export default defineConfig({
  resolve: {
    alias: {
      "node:test": here("./browser/node-test.ts"),
      "node:assert/strict": here("./browser/node-assert.ts"),
      // The subpath first: an alias also matches the names it is a prefix of.
      "openai-priority-loadbalancer/lease": here("../../dist/lease.js"),
      "openai-priority-loadbalancer": here("../../dist/index.js"),
    },
  },
  test: {
    name: "conformance (chromium)",
    include: ["test/conformance/browser.test.ts"],
    root: here("../.."),
    globalSetup: [here("./global-setup.ts")],
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
      instances: [{ browser: "chromium" }],
    },
  },
});
