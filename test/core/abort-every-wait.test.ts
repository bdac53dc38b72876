import { getEventListeners } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLoadBalancer, type FetchFunction, type LoadBalancerEvent } from "../../src/index.js";
import { azure } from "../../src/providers/index.js";
import { ok } from "../support/backends.js";
import { seededRandom } from "../support/random.js";

const CHAT = "https://client.example.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21";
/** A fetch that ignores its signal and never answers. */
const deaf: FetchFunction = () => new Promise<Response>(() => {});
const never = () => new Promise<string>(() => {});

beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] }));
afterEach(() => vi.useRealTimers());

describe("the caller's abort is honoured at every wait", () => {
  it("a token provider that never resolves: the abort rejects the request and nothing stays in flight", async () => {
    const lb = createLoadBalancer({
      backends: [azure({ url: "https://a.openai.azure.com", tokenProvider: never })],
      fetch: async () => ok(),
    });
    const outcomes: LoadBalancerEvent[] = [];
    lb.on("outcome", (event) => outcomes.push(event));
    const controller = new AbortController();
    const pending = lb.fetch(CHAT, { method: "POST", body: "{}", signal: controller.signal });
    await vi.advanceTimersByTimeAsync(10);
    const reason = new Error("user gave up");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(lb.snapshot().backends[0]).toMatchObject({ inFlight: 0, state: "available" });
    expect(outcomes).toEqual([expect.objectContaining({ result: "aborted" })]);
  });

  it("a token provider that never resolves: the attempt deadline fails over to the next backend", async () => {
    const lb = createLoadBalancer({
      backends: [
        azure({ url: "https://a.openai.azure.com", tokenProvider: never }),
        { url: "https://b.example.com", priority: 2 },
      ],
      attemptTimeoutMs: 1_000,
      fetch: async () => ok({ by: "b" }),
    });
    const pending = lb.fetch(CHAT, { method: "POST", body: "{}" });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await (await pending).json()).toEqual({ by: "b" });
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "timeout", inFlight: 0 });
  });

  it("a custom fetch that ignores its signal: the abort rejects at once", async () => {
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: deaf });
    const controller = new AbortController();
    const pending = lb.fetch(CHAT, { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(lb.snapshot().backends[0]!.inFlight).toBe(0);
  });

  it("a custom fetch that ignores its signal: the attempt deadline still applies", async () => {
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }, { url: "https://b.example.com", priority: 2 }],
      attemptTimeoutMs: 500,
      fetch: (input) => (String(input).startsWith("https://a.") ? deaf(input) : Promise.resolve(ok({ by: "b" }))),
    });
    const pending = lb.fetch(CHAT);
    await vi.advanceTimersByTimeAsync(500);
    expect(await (await pending).json()).toEqual({ by: "b" });
  });

  it("a Request input: its signal is honoured even by a fetch that ignores it", async () => {
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: deaf });
    const controller = new AbortController();
    const pending = lb.fetch(new Request(CHAT, { method: "POST", body: "{}", signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(lb.snapshot().backends[0]!.inFlight).toBe(0);
  });

  it("a response that arrives after the abort is released, never handed back", async () => {
    let release: ((response: Response) => void) | undefined;
    const cancelled = vi.fn();
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }],
      fetch: () =>
        new Promise((resolve) => {
          release = resolve;
        }),
    });
    const controller = new AbortController();
    const pending = lb.fetch(CHAT, { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    release!(new Response(new ReadableStream({ cancel: cancelled })));
    await vi.advanceTimersByTimeAsync(1);
    expect(cancelled).toHaveBeenCalled();
  });

  it("an abort in the microtasks right after the attempt began rejects a fetch that never answers", async () => {
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: deaf });
    const controller = new AbortController();
    const reason = new Error("user gave up");
    // Queued before the request starts: it runs before the header watch listens to the signal.
    queueMicrotask(() => controller.abort(reason));
    const pending = lb.fetch(CHAT, { method: "POST", body: "{}", signal: controller.signal });
    await expect(pending).rejects.toBe(reason);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    expect(lb.snapshot().backends[0]).toMatchObject({ inFlight: 0 });
  });

  it("an answer already there leaves no listener on the caller's signal, and one that never comes is abortable", async () => {
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: async () => ok() });
    const shared = new AbortController();
    for (let i = 0; i < 20; i++) await lb.fetch(CHAT, { method: "POST", body: "{}", signal: shared.signal });
    expect(getEventListeners(shared.signal, "abort")).toHaveLength(0);
    const slow = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: deaf });
    const pending = slow.fetch(CHAT, { method: "POST", body: "{}", signal: shared.signal });
    await vi.advanceTimersByTimeAsync(10);
    expect(getEventListeners(shared.signal, "abort")).toHaveLength(1);
    shared.abort(new Error("stop"));
    await expect(pending).rejects.toThrow("stop");
    expect(getEventListeners(shared.signal, "abort")).toHaveLength(0);
  });

  it("a long-lived caller signal keeps no listener per request (no AbortSignal.any, which leaks in Node 20)", async () => {
    const lb = createLoadBalancer({
      backends: [azure({ url: "https://a.openai.azure.com", tokenProvider: async () => "token" })],
      attemptTimeoutMs: 60_000,
      fetch: async () => ok(),
    });
    const shared = new AbortController().signal;
    for (let i = 0; i < 200; i++) await lb.fetch(CHAT, { method: "POST", body: "{}", signal: shared });
    expect(getEventListeners(shared, "abort")).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("chaos: under random aborts, failures and delays, no aborted request ever gets a response and inFlight returns to 0", async () => {
    const random = seededRandom(20_261_122);
    const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const fetch: FetchFunction = async (_input, init) => {
      const roll = random();
      const wait = Math.floor(random() * 40);
      // A third of the attempts ignore their signal, as a careless custom fetch does.
      if (roll < 0.33) {
        await delay(wait);
      } else {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, wait);
          init?.signal?.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(init.signal!.reason);
          });
        });
      }
      if (roll < 0.15) return new Response(null, { status: 429, headers: { "retry-after-ms": "5" } });
      if (roll < 0.25) return new Response(null, { status: 503 });
      if (roll < 0.3) throw new TypeError("fetch failed");
      return ok();
    };
    const lb = createLoadBalancer({
      backends: [
        { url: "https://a.example.com" },
        { url: "https://b.example.com" },
        { url: "https://c.example.com", priority: 2 },
      ],
      fetch,
      attemptTimeoutMs: 30,
      maxWaitMs: 20,
      defaultCooldownMs: 10,
    });
    let violations = 0;
    let aborted = 0;
    let settled = 0;
    const all: Promise<void>[] = [];
    for (let i = 0; i < 400; i++) {
      const controller = new AbortController();
      if (random() < 0.5) {
        setTimeout(() => controller.abort(), Math.floor(random() * 60));
      }
      all.push(
        lb.fetch(`${CHAT}&i=${i}`, { method: "POST", body: "{}", signal: controller.signal }).then(
          () => {
            settled++;
            if (controller.signal.aborted) violations++;
          },
          () => {
            settled++;
            aborted++;
          },
        ),
      );
      await vi.advanceTimersByTimeAsync(Math.floor(random() * 5));
    }
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(all);
    expect(settled).toBe(400);
    expect(aborted).toBeGreaterThan(50);
    expect(violations).toBe(0);
    expect(lb.snapshot().backends.map((backend) => backend.inFlight)).toEqual([0, 0, 0]);
  });
});
