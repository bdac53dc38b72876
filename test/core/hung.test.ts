import { createServer, type Server, type Socket } from "node:net";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createLoadBalancer, type LoadBalancerEvent } from "../../src/index.js";
import { hang, ok, SimulatedBackends } from "../support/backends.js";
import { chatCompletion } from "../support/payloads.js";
import { type ServedBackends, serveBackends } from "../support/server.js";

const CHAT = "https://client.example.com/v1/chat/completions";
const STREAMED = JSON.stringify({ model: "gpt-4o", stream: true, messages: [] });
const BUFFERED = JSON.stringify({ model: "gpt-4o", messages: [] });
const served = (name: string) => () => ok({}, { headers: { "x-host": name } });
const host = (response: Response): string | null => response.headers.get("x-host");

/** A tier-1 backend whose answer the test chooses (`hang` until the attempt is abandoned), and a healthy tier 2. */
function tiers(options: Parameters<typeof createLoadBalancer>[0] extends infer O ? Partial<O> : never = {}) {
  const state = { primary: hang as (exchange: never) => Response | Promise<Response> };
  const backends = new SimulatedBackends({
    "https://primary.example.com": (exchange) => state.primary(exchange as never),
    "https://spare.example.com": served("spare"),
  });
  const lb = createLoadBalancer({
    backends: [{ url: "https://primary.example.com" }, { url: "https://spare.example.com", priority: 2 }],
    fetch: backends.fetch,
    ...options,
  });
  const events: LoadBalancerEvent[] = [];
  lb.on("*", (event) => events.push(event));
  return { lb, backends, state, events };
}

describe("a backend that accepts and never answers, with default options", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] }));
  afterEach(() => vi.useRealTimers());

  it("a streamed request fails over to tier 2 after the 30 s header timeout, and the backend cools (timeout)", async () => {
    const { lb } = tiers();
    let settled = false;
    const pending = lb.fetch(CHAT, { method: "POST", body: STREAMED }).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(29_000);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000); // the sweep checks once a second
    expect(host(await pending)).toBe("spare");
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "timeout", errors: 1 });
    // While it cools, requests go straight to tier 2.
    expect(host(await lb.fetch(CHAT, { method: "POST", body: STREAMED }))).toBe("spare");
  });

  it("a non-streamed request waits up to 300 s before any answer was seen, then fails over", async () => {
    const { lb } = tiers();
    let settled = false;
    const pending = lb.fetch(CHAT, { method: "POST", body: BUFFERED }).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(299_000);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(host(await pending)).toBe("spare");
  });

  it("a non-streamed request's timeout is learned: after 20 answers of about 1 s it is 60 s (4 × p99, at least 60 s)", async () => {
    const { lb, state } = tiers();
    state.primary = async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return served("primary")();
    };
    for (let i = 0; i < 20; i++) {
      const answer = lb.fetch(CHAT, { method: "POST", body: BUFFERED });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(host(await answer)).toBe("primary");
    }
    state.primary = hang;
    let settled = false;
    const pending = lb.fetch(CHAT, { method: "POST", body: BUFFERED }).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(host(await pending)).toBe("spare");
  });

  it("an upload (a multipart or binary body) is not judged by the completions' latency: 300 s, and an abort costs nothing", async () => {
    const { lb, state } = tiers();
    state.primary = served("primary");
    for (let i = 0; i < 20; i++) await lb.fetch(CHAT, { method: "POST", body: BUFFERED });
    state.primary = hang;
    const form = (): FormData => {
      const data = new FormData();
      data.append("file", new Blob(["audio"]), "speech.mp3");
      return data;
    };
    let settled = false;
    const pending = lb.fetch(CHAT, { method: "POST", body: form() }).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(200_000);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(101_000);
    expect(host(await pending)).toBe("spare");

    const fresh = tiers();
    const controller = new AbortController();
    const aborted = fresh.lb.fetch(CHAT, { method: "POST", body: form(), signal: controller.signal });
    await vi.advanceTimersByTimeAsync(20_000);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: "AbortError" });
    expect(fresh.lb.snapshot().backends[0]).toMatchObject({ state: "available", errors: 0 });
  });

  it("a streamed JSON body of a MiB or more (a prompt with images) waits like an upload: 300 s, not 30 s", async () => {
    const { lb } = tiers();
    const image = "A".repeat(1 << 20);
    const body = JSON.stringify({ model: "gpt-4o", stream: true, messages: [{ role: "user", content: image }] });
    let settled = false;
    const pending = lb.fetch(CHAT, { method: "POST", body }).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(299_000);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(host(await pending)).toBe("spare");
  });

  it("headerTimeoutMs: false waits as long as the caller does; a number sets both kinds", async () => {
    const off = tiers({ headerTimeoutMs: false });
    const controller = new AbortController();
    const waiting = off.lb.fetch(CHAT, { method: "POST", body: STREAMED, signal: controller.signal });
    await vi.advanceTimersByTimeAsync(400_000);
    expect(off.lb.snapshot().backends[0]).toMatchObject({ state: "available", inFlight: 1 });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });

    const five = tiers({ headerTimeoutMs: 5_000 });
    const pending = five.lb.fetch(CHAT, { method: "POST", body: BUFFERED });
    await vi.advanceTimersByTimeAsync(6_000);
    expect(host(await pending)).toBe("spare");
  });

  it("a failed probe of a timed-out backend waits its header timeout again; a probe that answers brings it back", async () => {
    const { lb, state, events } = tiers({ headerTimeoutMs: { streamed: 2_000 } });
    const first = lb.fetch(CHAT, { method: "POST", body: STREAMED });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(host(await first)).toBe("spare");
    await vi.advanceTimersByTimeAsync(10_000); // defaultCooldownMs: a timeout is not a quick failure
    expect(lb.snapshot().backends[0]!.state).toBe("probing");
    state.primary = served("primary");
    expect(host(await lb.fetch(CHAT, { method: "POST", body: STREAMED }))).toBe("primary");
    expect(events.filter((event) => event.type === "probe")).toMatchObject([{ success: true }]);
  });
});

describe("the learned header timeout is per deployment", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] }));
  afterEach(() => vi.useRealTimers());

  const azureChat = (deployment: string) =>
    `https://client.example.com/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`;

  /**
   * A tier-1 backend that answered 20 requests to deployment `fast` in 1 s each (`before` then runs), then hangs
   * on every deployment; a healthy tier 2.
   */
  async function learnedOnFast(before?: (lb: ReturnType<typeof createLoadBalancer>) => Promise<void>) {
    const state = { hung: false };
    const backends = new SimulatedBackends({
      "https://primary.example.com": async (exchange) => {
        if (state.hung) return hang(exchange);
        if (exchange.request.url.includes("/one-off-")) return served("primary")();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        return served("primary")();
      },
      "https://spare.example.com": served("spare"),
    });
    const lb = createLoadBalancer({
      backends: [{ url: "https://primary.example.com" }, { url: "https://spare.example.com", priority: 2 }],
      fetch: backends.fetch,
    });
    for (let i = 0; i < 20; i++) {
      const answer = lb.fetch(azureChat("fast"), { method: "POST", body: BUFFERED });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(host(await answer)).toBe("primary");
    }
    await before?.(lb);
    state.hung = true;
    return lb;
  }

  /** Starts a request to `deployment`; `settled()` tells whether it has ended. */
  function started(lb: ReturnType<typeof createLoadBalancer>, deployment: string, signal?: AbortSignal) {
    let settled = false;
    const pending = lb.fetch(azureChat(deployment), { method: "POST", body: BUFFERED, signal }).finally(() => {
      settled = true;
    });
    pending.catch(() => {});
    return { pending, settled: () => settled };
  }

  it("after 20 answers of about 1 s on one deployment, a hung request there is cut at 60 s", async () => {
    const lb = await learnedOnFast();
    const request = started(lb, "fast");
    await vi.advanceTimersByTimeAsync(59_000);
    expect(request.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(host(await request.pending)).toBe("spare");
  });

  it("a hung request on another deployment of the same backend still waits 300 s: a fast model's latency does not cut a slow one", async () => {
    const lb = await learnedOnFast();
    const request = started(lb, "reasoning");
    await vi.advanceTimersByTimeAsync(299_000);
    expect(request.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(host(await request.pending)).toBe("spare");
  });

  it("at most 256 deployments are remembered per backend: one-off deployments make it forget one no longer used, not one in use", async () => {
    /** `count` one-off deployments, with a request to `fast` after every `fastEvery`-th (0: none). */
    const oneOffs = (count: number, fastEvery: number) => async (lb: ReturnType<typeof createLoadBalancer>) => {
      for (let i = 1; i <= count; i++) {
        expect(host(await lb.fetch(azureChat(`one-off-${i}`), { method: "POST", body: BUFFERED }))).toBe("primary");
        if (fastEvery === 0 || i % fastEvery !== 0) continue;
        const answer = lb.fetch(azureChat("fast"), { method: "POST", body: BUFFERED });
        await vi.advanceTimersByTimeAsync(1_000);
        expect(host(await answer)).toBe("primary");
      }
    };
    const forgotten = await learnedOnFast(oneOffs(600, 0));
    const relearning = started(forgotten, "fast");
    await vi.advanceTimersByTimeAsync(100_000); // back to the 300 s bound
    expect(relearning.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(201_000);
    expect(host(await relearning.pending)).toBe("spare");

    // Used once every 10 one-offs: it keeps its 60 s (forgetting the oldest first would have lost it, not relearned since).
    const kept = await learnedOnFast(oneOffs(600, 10));
    const cut = started(kept, "fast");
    await vi.advanceTimersByTimeAsync(61_000);
    expect(cut.settled()).toBe(true);
    expect(host(await cut.pending)).toBe("spare");
  });

  it("a caller's abort after 3 s costs the learned deployment nothing, but counts as a timeout on a deployment not learned yet", async () => {
    const learned = await learnedOnFast();
    const controller = new AbortController();
    const onFast = started(learned, "fast", controller.signal);
    await vi.advanceTimersByTimeAsync(3_000); // within 4 × its p99 of about 1 s
    controller.abort();
    await expect(onFast.pending).rejects.toMatchObject({ name: "AbortError" });
    expect(learned.snapshot().backends[0]).toMatchObject({ state: "available", errors: 0, inFlight: 0 });

    const other = await learnedOnFast();
    const stop = new AbortController();
    const onSlow = started(other, "reasoning", stop.signal);
    await vi.advanceTimersByTimeAsync(3_000); // past the 2 s rule of a scope not learned yet
    stop.abort();
    await expect(onSlow.pending).rejects.toMatchObject({ name: "AbortError" });
    expect(other.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "timeout", errors: 1 });
  });
});

describe("headerTimeoutMs is validated", () => {
  const backends = [{ url: "https://a.example.com" }];
  it.each([
    [-1, /headerTimeoutMs must be a number of milliseconds >= 0, got -1/],
    [0, /headerTimeoutMs must be > 0 \(false for no limit\), got 0/],
    [true, /headerTimeoutMs must be a number of milliseconds > 0, false, or \{ streamed, buffered \}, got true/],
    [{ streamed: "fast" }, /headerTimeoutMs.streamed must be a number of milliseconds >= 0, got "fast"/],
    [{ buffered: 0 }, /headerTimeoutMs.buffered must be > 0 \(false for no limit, "learned" to learn it\), got 0/],
    [{ streamed: 3e9 }, /headerTimeoutMs.streamed must be at most 2147483647 ms/],
    [{ stream: 1000 }, /headerTimeoutMs/],
  ])("%j is refused with a TypeError naming the field", (value, message) => {
    expect(() => createLoadBalancer({ backends, headerTimeoutMs: value as never })).toThrow(TypeError);
    expect(() => createLoadBalancer({ backends, headerTimeoutMs: value as never })).toThrow(message);
  });

  it("accepts a number, false, and each kind alone", () => {
    const values: NonNullable<Parameters<typeof createLoadBalancer>[0]["headerTimeoutMs"]>[] = [
      1_000,
      false,
      { streamed: 5_000 },
      { buffered: "learned" },
      { buffered: false },
    ];
    for (const value of values) {
      expect(() => createLoadBalancer({ backends, headerTimeoutMs: value })).not.toThrow();
    }
  });
});

describe("the caller's abort after a long wait for headers", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] }));
  afterEach(() => vi.useRealTimers());

  async function abortAfter(ms: number, headers: Record<string, string> = {}) {
    const { lb, events } = tiers();
    const controller = new AbortController();
    const pending = lb.fetch(CHAT, { method: "POST", body: BUFFERED, headers, signal: controller.signal });
    await vi.advanceTimersByTimeAsync(ms);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    return { lb, events };
  }

  it("a short wait is the caller's own choice: no penalty", async () => {
    const { lb, events } = await abortAfter(1_500);
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "available", errors: 0, inFlight: 0 });
    expect(events.find((event) => event.type === "outcome")).toMatchObject({ result: "aborted" });
  });

  it("2 s or more without headers, from a backend not yet learned, counts as its timeout; the caller still gets its abort", async () => {
    const { lb, events } = await abortAfter(2_000);
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "timeout", errors: 1, inFlight: 0 });
    expect(events.find((event) => event.type === "outcome")).toMatchObject({ result: "failure", reason: "timeout" });
  });

  it("the timeout the OpenAI SDK declares (x-stainless-timeout) is the measure when there is one", async () => {
    const { lb } = await abortAfter(5_000, { "x-stainless-timeout": "5" });
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "timeout" });
    const early = await abortAfter(4_000, { "x-stainless-timeout": "5" });
    expect(early.lb.snapshot().backends[0]).toMatchObject({ state: "available", errors: 0 });
  });
});

describe("over real sockets, through the OpenAI SDK at its defaults", () => {
  let silent: Server;
  let silentUrl: string;
  const sockets = new Set<Socket>();
  let healthy: ServedBackends;

  beforeAll(async () => {
    // Accepts every connection, reads the request, never answers.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("data", () => {});
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address() as { port: number };
    silentUrl = `http://127.0.0.1:${address.port}`;
    healthy = await serveBackends(
      new SimulatedBackends({
        "https://tier2.test": () => Response.json(chatCompletion("gpt-4o", "served by tier 2")),
      }),
    );
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    await healthy.close();
  });

  it("with a short SDK timeout every request is served by tier 2: the SDK's abort counts against the silent backend", async () => {
    const lb = createLoadBalancer({
      backends: [
        { url: silentUrl, name: "silent", priority: 1 },
        { url: healthy.url("https://tier2.test"), name: "tier2", priority: 2 },
      ],
    });
    const client = new OpenAI({ apiKey: "k", baseURL: "http://sdk.invalid/v1", fetch: lb.fetch, timeout: 2_500 });
    const answers = await Promise.all(
      Array.from({ length: 4 }, () =>
        client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
      ),
    );
    expect(answers.map((answer) => answer.choices[0]?.message.content)).toEqual(Array(4).fill("served by tier 2"));
    expect(lb.snapshot().backends[0]).toMatchObject({ name: "silent", reason: "timeout" });
    // Later requests do not touch it while it cools.
    const later = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(later.choices[0]?.message.content).toBe("served by tier 2");
    await lb.close();
  }, 20_000);
});
