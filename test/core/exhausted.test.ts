import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLoadBalancer, type LoadBalancerEvent, type Logger } from "../../src/index.js";
import { HttpResponse } from "msw";
import { backend, useMsw } from "../support/msw.js";

const server = useMsw();
const CHAT = "https://client.example.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21";
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"], now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

function throttling(name: string, retryAfter: string) {
  let throttled = true;
  const simulated = backend(`https://${name}.openai.azure.com`, () =>
    throttled
      ? new HttpResponse(JSON.stringify({ error: { code: "429" } }), {
          status: 429,
          headers: { "retry-after": retryAfter },
        })
      : HttpResponse.json({ served: name }),
  );
  return {
    ...simulated,
    recover: () => {
      throttled = false;
    },
  };
}

describe("when every backend is cooling down", () => {
  it("reproduces the seed's documented log: 429 with retry-after 4, then eastus serves again after 4 s and recovery fires", async () => {
    const westus = throttling("westus", "44");
    const eastus = throttling("eastus", "4");
    const southcentralus = throttling("southcentralus", "7");
    server.use(westus.handler, eastus.handler, southcentralus.handler);
    const lines: string[] = [];
    const logger: Logger = { info: (line) => lines.push(`info ${line}`), warn: (line) => lines.push(`warn ${line}`) };
    const lb = createLoadBalancer({
      maxWaitMs: 0,
      backends: ["westus", "eastus", "southcentralus"].map((name, i) => ({
        url: `https://${name}.openai.azure.com`,
        priority: i + 1,
        name,
      })),
      logger,
    });
    const events: LoadBalancerEvent[] = [];
    lb.on("*", (event) => events.push(event));

    const response = await lb.fetch(CHAT, { method: "POST", body: "{}" });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("4");
    expect(response.headers.get("retry-after-ms")).toBe("4000");
    expect(await response.json()).toEqual({
      error: {
        message: "All 3 backend(s) are cooling down; retry in 4 s.",
        type: "rate_limit_exceeded",
        param: null,
        code: "all_backends_cooling_down",
      },
    });
    expect(events.map((event) => event.type)).toEqual([
      "attempt",
      "outcome",
      "cooldown",
      "attempt",
      "outcome",
      "cooldown",
      "attempt",
      "outcome",
      "cooldown",
      "exhausted",
    ]);
    expect(events.at(-1)).toMatchObject({ type: "exhausted", retryAfterMs: 4000, waiting: false, attempt: 3 });
    expect(lines).toContain("warn Backend westus (gpt-4o) cooling down for 44 s (rate-limit, 429)");
    expect(lines).toContain("warn Backend eastus (gpt-4o) cooling down for 4 s (rate-limit, 429)");
    expect(lines).toContain("warn No backend available; answered 429, soonest retry in 4 s");
    // Attempts are logged at debug, which this logger does not have.
    expect(lines[0]).toBe("warn Backend westus (gpt-4o) cooling down for 44 s (rate-limit, 429)");

    eastus.recover();
    await vi.advanceTimersByTimeAsync(3999);
    expect(events.some((event) => event.type === "recovery")).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(events.filter((event) => event.type === "recovery")).toEqual([
      {
        type: "recovery",
        at: T0 + 4000,
        backend: { name: "eastus", url: "https://eastus.openai.azure.com", priority: 2, weight: 1 },
        deployment: "gpt-4o",
        downMs: 4000,
        hits: 1,
      },
    ]);
    expect(lines).toContain("info Backend eastus (gpt-4o) back after 4 s; 1 attempt ran into the cooldown");
    const again = await lb.fetch(CHAT, { method: "POST", body: "{}" });
    expect(await again.json()).toEqual({ served: "eastus" });
    expect(eastus.hits).toHaveLength(2);
    expect(westus.hits).toHaveLength(1);
  });

  it("answers 429 at once without calling any backend when all are already cooling", async () => {
    const a = throttling("a", "30");
    server.use(a.handler);
    const lb = createLoadBalancer({ maxWaitMs: 0, backends: [{ url: "https://a.openai.azure.com" }] });
    await lb.fetch(CHAT);
    await vi.advanceTimersByTimeAsync(10_500);
    const response = await lb.fetch(CHAT);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("20"); // 19.5 s rounded up
    expect(response.headers.get("retry-after-ms")).toBe("19500");
    expect(a.hits).toHaveLength(1);
  });

  it("the recovery fires on the next request at the latest, even when the timer did not", async () => {
    const a = throttling("a", "5");
    server.use(a.handler);
    let now = T0;
    const lb = createLoadBalancer({ maxWaitMs: 0, backends: [{ url: "https://a.openai.azure.com" }], now: () => now });
    const recoveries: number[] = [];
    lb.on("recovery", (event) => recoveries.push(event.downMs));
    await lb.fetch(CHAT);
    a.recover();
    now += 6000; // the clock moves, timers do not (a throttled background tab, say)
    expect((await lb.fetch(CHAT)).status).toBe(200);
    expect(recoveries).toEqual([6000]);
  });

  it("with maxWaitMs, waits for the soonest recovery and tries again instead of answering 429", async () => {
    const a = throttling("a", "3");
    server.use(a.handler);
    const lb = createLoadBalancer({ backends: [{ url: "https://a.openai.azure.com" }], maxWaitMs: 5000 });
    const exhausted: LoadBalancerEvent[] = [];
    lb.on("exhausted", (event) => exhausted.push(event));
    const pending = lb.fetch(CHAT);
    await vi.advanceTimersByTimeAsync(100);
    a.recover();
    await vi.advanceTimersByTimeAsync(2900);
    const response = await pending;
    expect(response.status).toBe(200);
    expect(exhausted).toMatchObject([{ retryAfterMs: 3000, waiting: true }]);
    expect(a.hits).toHaveLength(2);
  });

  it("with maxWaitMs, answers 429 when the soonest recovery is beyond the remaining budget", async () => {
    const a = throttling("a", "3");
    server.use(a.handler);
    const lb = createLoadBalancer({ backends: [{ url: "https://a.openai.azure.com" }], maxWaitMs: 5000 });
    const exhausted: Array<{ retryAfterMs: number; waiting: boolean }> = [];
    lb.on("exhausted", ({ retryAfterMs, waiting }) => exhausted.push({ retryAfterMs, waiting }));
    const pending = lb.fetch(CHAT);
    await vi.advanceTimersByTimeAsync(3000); // waited 3 s, still throttled: 3 s more would exceed the 5 s budget
    const response = await pending;
    expect(response.status).toBe(429);
    expect(exhausted).toEqual([
      { retryAfterMs: 3000, waiting: true },
      { retryAfterMs: 3000, waiting: false },
    ]);
  });

  it("the wait is abortable and penalises no backend", async () => {
    const a = throttling("a", "3");
    server.use(a.handler);
    const lb = createLoadBalancer({ backends: [{ url: "https://a.openai.azure.com" }], maxWaitMs: 5000 });
    const controller = new AbortController();
    const pending = lb.fetch(CHAT, { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(100);
    controller.abort(new Error("user gave up"));
    await expect(pending).rejects.toThrow("user gave up");
    await vi.advanceTimersByTimeAsync(1000); // the header timeouts' sweep stops on its next tick
    expect(vi.getTimerCount()).toBe(1); // only the cooldown's own timer remains
  });
});
