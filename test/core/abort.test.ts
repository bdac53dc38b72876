import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLoadBalancer, type FetchFunction, type LoadBalancerEvent } from "../../src/index.js";

/** A backend that never answers until the attempt's signal aborts: the fetch rejects with its reason, as a real fetch does. */
const hanging: FetchFunction = (_input, init) =>
  new Promise((_resolve, reject) => {
    const signal = init?.signal;
    signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the caller's AbortSignal", () => {
  it("an abort before the call rejects with the signal's reason and calls no backend", async () => {
    const fetch = vi.fn<FetchFunction>(async () => new Response("ok"));
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch });
    const controller = new AbortController();
    const reason = new Error("cancelled by the user");
    controller.abort(reason);
    await expect(lb.fetch("https://x/v1/chat/completions", { signal: controller.signal })).rejects.toBe(reason);
    expect(fetch).not.toHaveBeenCalled();
  });

  it("an abort during an attempt stops at once, penalises no backend and leaves no timer", async () => {
    const fetch = vi.fn<FetchFunction>(hanging);
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }, { url: "https://b.example.com", priority: 2 }],
      fetch,
      attemptTimeoutMs: 30_000,
    });
    const events: LoadBalancerEvent[] = [];
    lb.on("*", (event) => events.push(event));
    const controller = new AbortController();
    const pending = lb.fetch("https://x/v1/chat/completions", {
      method: "POST",
      body: "{}",
      signal: controller.signal,
    });
    await vi.advanceTimersByTimeAsync(1000);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(events.map((event) => [event.type, "result" in event ? event.result : undefined])).toEqual([
      ["attempt", undefined],
      ["outcome", "aborted"],
    ]);
    expect(lb.snapshot().backends.map((backend) => [backend.state, backend.errors, backend.inFlight])).toEqual([
      ["available", 0, 0],
      ["available", 0, 0],
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("an abort during an attempt rejects with a custom reason too", async () => {
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: hanging });
    const controller = new AbortController();
    const pending = lb.fetch("https://x/", { signal: controller.signal });
    const reason = new Error("navigated away");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it("an abort signal on a Request input is honoured", async () => {
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: hanging });
    const controller = new AbortController();
    const pending = lb.fetch(new Request("https://x/v1/models", { signal: controller.signal }));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("attemptTimeoutMs", () => {
  it("an attempt without response headers in time is aborted, its backend cools down (timeout) and the request fails over", async () => {
    const received: string[] = [];
    const fetch: FetchFunction = (input, init) => {
      received.push(String(input));
      return String(input).startsWith("https://slow.") ? hanging(input, init) : Promise.resolve(new Response("fast"));
    };
    const lb = createLoadBalancer({
      backends: [{ url: "https://slow.example.com" }, { url: "https://fast.example.com", priority: 2 }],
      fetch,
      attemptTimeoutMs: 2000,
      defaultCooldownMs: 15_000,
    });
    const throttles: LoadBalancerEvent[] = [];
    lb.on("cooldown", (event) => throttles.push(event));
    const pending = lb.fetch("https://x/v1/chat/completions", { method: "POST", body: "{}" });
    await vi.advanceTimersByTimeAsync(1999);
    expect(received).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    const response = await pending;
    expect(await response.text()).toBe("fast");
    expect(throttles).toMatchObject([{ reason: "timeout", cooldownMs: 15_000, backend: { name: "slow.example.com" } }]);
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "timeout", errors: 1 });
  });

  it("the timeout covers the headers only: a slow body after fast headers is not cut", async () => {
    let finish!: () => void;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("first "));
        finish = () => {
          controller.enqueue(new TextEncoder().encode("last"));
          controller.close();
        };
      },
    });
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }],
      fetch: async () => new Response(body),
      attemptTimeoutMs: 1000,
    });
    const response = await lb.fetch("https://x/");
    await vi.advanceTimersByTimeAsync(5000);
    finish();
    expect(await response.text()).toBe("first last");
    expect(lb.snapshot().backends[0]!.state).toBe("available");
  });
});
