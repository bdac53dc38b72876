import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchChromium } from "../support/chromium.js";
import { startDemo } from "./demo-server.js";

/** Where the screenshot goes; `DASHBOARD_SCREENSHOT=docs/dashboard.png npm run test:e2e` updates the README's. */
const screenshotPath = process.env.DASHBOARD_SCREENSHOT ?? join(tmpdir(), "plb-dashboard.png");

let demo: Awaited<ReturnType<typeof startDemo>>;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  demo = await startDemo();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 }, deviceScaleFactor: 2 });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  // `?idle`: no steady load on load, so the counts below are the test's requests alone.
  await page.goto(`${demo.url}?idle`);
  await page.waitForSelector("html[data-ready=true]", { timeout: 30_000 }).catch((error: unknown) => {
    throw new Error(`the demo did not start: ${errors.join("; ") || String(error)}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

const dashboard = (selector: string) => page.locator(`plb-dashboard ${selector}`);
const backend = (name: string) => dashboard(`[data-backend="${name}"]`);
const count = async (name: string, what: string): Promise<number> =>
  Number.parseInt((await backend(name).locator(`[data-count="${what}"]`).textContent()) ?? "", 10);

it("shows the PTU cooling with a countdown and priority 2 serving the overflow after a burst", async () => {
  await page.getByRole("button", { name: "Burst of 20" }).click();
  await expect.poll(() => page.locator('[data-result="ok"]').textContent(), { timeout: 20_000 }).toBe("20 × 200");

  // The 429 cools the PTU's deployment (listed under the backend), or with a core that keeps state per backend, the backend.
  const ptu = page.locator(
    'plb-dashboard [data-backend="ptu-swedencentral"][data-state="cooling"], plb-dashboard [data-backend="ptu-swedencentral"] [data-deployment][data-state="cooling"]',
  );
  await expect.poll(() => ptu.count()).toBe(1);
  // A 429 (rate limit), or with a core that reads x-ratelimit-remaining-requests, the last request of the window (quota).
  expect(await ptu.locator(".reason").textContent()).toMatch(
    /^rate limit( \(no requests left in the window\))? · back at /,
  );
  const first = Number.parseInt((await ptu.locator(".countdown").textContent()) ?? "", 10);
  expect(first).toBeGreaterThan(0);
  expect(first).toBeLessThanOrEqual(15);
  // The countdown ticks down while the page is idle.
  await expect
    .poll(async () => Number.parseInt((await ptu.locator(".countdown").textContent()) ?? "", 10), { timeout: 5_000 })
    .toBeLessThan(first);

  expect(await count("ptu-swedencentral", "successes")).toBe(10);
  const tier2 = (await count("paygo-eastus", "successes")) + (await count("paygo-westus", "successes"));
  expect(tier2).toBe(10);
  expect(await dashboard('[data-priority="2"] h3').textContent()).toBe("Priority 2");
  expect(await dashboard('[data-total="requests"] dd').textContent()).toBe("20");
  expect(await dashboard('[data-total="2xx"] dd').textContent()).toBe("20");
});

it("streams a completion into the page while the PTU is cooling", async () => {
  await page.getByRole("button", { name: "Streamed completion" }).click();
  await expect.poll(() => page.locator(".stream").textContent(), { timeout: 20_000 }).toMatch(/\w+ \w+ \w+/);
  await expect
    .poll(() => page.getByRole("button", { name: "Streamed completion" }).isEnabled(), { timeout: 20_000 })
    .toBe(true);
  expect(await page.locator('[data-result="ok"]').textContent()).toBe("21 × 200");
});

it("keeps the page's styles out of the shadow root and can be collapsed with the keyboard", async () => {
  const fontSize = (selector: string) =>
    page.locator(selector).evaluate((element) => getComputedStyle(element).fontSize);
  expect(await fontSize("body")).toBe("15px");
  expect(await fontSize("plb-dashboard .panel")).toBe("12px");

  const toggle = dashboard("button.collapse");
  await toggle.focus();
  await page.keyboard.press("Enter");
  await expect.poll(() => toggle.getAttribute("aria-expanded")).toBe("false");
  expect(await dashboard(".body").isHidden()).toBe(true);
  await page.keyboard.press("Space");
  await expect.poll(() => toggle.getAttribute("aria-expanded")).toBe("true");
});

it("saves a screenshot of the dashboard", async () => {
  await dashboard("button.collapse").blur();
  await dashboard(".panel").screenshot({ path: screenshotPath });
  console.info(`dashboard screenshot: ${screenshotPath}`);
});
