import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createLoadBalancer, type LoadBalancer } from "../../src/index.js";
import { ok, SimulatedBackends, throttled } from "../support/backends.js";
import { launchChromium } from "../support/chromium.js";
import { serveBackends, type ServedBackends } from "../support/server.js";
import { serveRemoteDashboard } from "./remote-server.js";

const TOKEN = "e2e-events-token";

let throttling = false;
const backends = new SimulatedBackends({
  "https://ptu.test": () => (throttling ? throttled(30_000) : ok()),
  "https://paygo.test": () => ok(),
});
let served: ServedBackends;
let lb: LoadBalancer;
let server: Awaited<ReturnType<typeof serveRemoteDashboard>>;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  served = await serveBackends(backends);
  lb = createLoadBalancer({
    backends: [
      { name: "ptu", url: served.url("https://ptu.test"), priority: 1 },
      { name: "paygo", url: served.url("https://paygo.test"), priority: 2 },
    ],
  });
  server = await serveRemoteDashboard(lb, TOKEN);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${server.url}?token=${TOKEN}`);
  await page.waitForSelector("html[data-ready=true]", { timeout: 30_000 }).catch((error: unknown) => {
    throw new Error(`the page did not start: ${errors.join("; ") || String(error)}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await served?.close();
});

const backend = (name: string) => page.locator(`plb-dashboard [data-backend="${name}"]`);

it("shows the server's backends from its events stream", async () => {
  await expect.poll(() => backend("ptu").getAttribute("data-state"), { timeout: 20_000 }).toBe("available");
  expect(await backend("paygo").getAttribute("data-state")).toBe("available");
  expect(await page.locator("plb-dashboard .connection").count()).toBe(0);
});

it("shows the PTU cooling after it answered 429 on the server, and the request that moved on", async () => {
  throttling = true;
  const response = await lb.fetch(`${served.url("https://ptu.test")}/openai/chat`, { method: "POST", body: "{}" });
  expect(response.status).toBe(200);
  await expect.poll(() => backend("ptu").getAttribute("data-state"), { timeout: 10_000 }).toBe("cooling");
  expect(await backend("ptu").locator(".reason").textContent()).toMatch(/^rate limit/);
  const countdown = Number.parseInt((await backend("ptu").locator(".countdown").textContent()) ?? "", 10);
  expect(countdown).toBeGreaterThan(20);
  expect(countdown).toBeLessThanOrEqual(30);
  await expect.poll(() => page.locator("plb-dashboard .log").textContent(), { timeout: 10_000 }).toMatch(/ptu/);
});

it("shows disconnected once the server is gone", async () => {
  await server.close();
  await expect
    .poll(() => page.locator("plb-dashboard .connection").textContent(), { timeout: 10_000 })
    .toBe("disconnected, reconnecting…");
});

it("shows unauthorized to a page without the token", async () => {
  const again = await serveRemoteDashboard(lb, TOKEN);
  try {
    const other = await browser.newPage();
    await other.goto(again.url);
    await expect
      .poll(() => other.locator("plb-dashboard .connection").textContent(), { timeout: 20_000 })
      .toBe("unauthorized: check the token");
    await other.close();
  } finally {
    await again.close();
  }
});
