import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_RETRY_BODY, parseRetryMessage, retryInBody } from "../../src/core/cooldown.js";
import { createLoadBalancer, parseCooldownMs } from "../../src/index.js";
import { ok, SimulatedBackends, tooMany } from "../support/backends.js";

const NOW = Date.UTC(2026, 11, 6, 18, 0, 0);

/** Reset values that promise nothing: zero in every spelling, and negatives (Azure's `-1`). */
const unusableReset = fc.oneof(
  fc.constantFrom("0", "-1", "0s", "0ms", "0.0", "0m0s", " 0 "),
  fc.integer({ min: -1_000_000, max: -1 }).map(String),
  fc.double({ max: -Number.MIN_VALUE, noNaN: true }).map(String),
);

describe("x-ratelimit-reset-* of 0 or below is not a cooldown", () => {
  it("a 429 with only unusable resets (Azure's Responses API: remaining -1, reset 0) asks for nothing", () => {
    fc.assert(
      fc.property(unusableReset, fc.option(unusableReset, { nil: undefined }), (tokens, requests) => {
        const headers = new Headers({ "x-ratelimit-remaining-tokens": "-1", "x-ratelimit-reset-tokens": tokens });
        if (requests !== undefined) headers.set("x-ratelimit-reset-requests", requests);
        expect(parseCooldownMs(headers, NOW)).toBeUndefined();
      }),
    );
  });

  it("an unusable reset falls back to the other reset when that one is usable", () => {
    fc.assert(
      fc.property(unusableReset, fc.integer({ min: 1, max: 3_600_000 }), (unusable, ms) => {
        const headers = new Headers({ "x-ratelimit-reset-tokens": unusable, "x-ratelimit-reset-requests": `${ms}ms` });
        expect(parseCooldownMs(headers, NOW)).toBe(ms);
      }),
    );
  });

  it("the balancer cools such a 429's backend for defaultCooldownMs, not 0 ms", async () => {
    const { fetch } = new SimulatedBackends({
      "https://a.example.com": () =>
        new Response(null, {
          status: 429,
          headers: { "x-ratelimit-remaining-tokens": "-1", "x-ratelimit-reset-tokens": "0" },
        }),
      "https://b.example.com": () => ok(),
    });
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }, { url: "https://b.example.com", priority: 2 }],
      fetch,
      now: () => NOW,
    });
    expect((await lb.fetch("https://x/v1/responses", { method: "POST", body: "{}" })).status).toBe(200);
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "rate-limit", until: NOW + 10_000 });
  });
});

/** Text around the wait that cannot itself be read as one. */
const filler = fc.string({ maxLength: 40 }).filter((text) => !/retry after|try again in/i.test(text));

describe("the wait in an error message", () => {
  it("Azure's 'retry after N seconds' is N seconds, whatever surrounds it", () => {
    fc.assert(
      fc.property(
        filler,
        fc.integer({ min: 1, max: 86_400 }),
        fc.constantFrom("second", "seconds", "Seconds"),
        filler,
        (before, seconds, unit, after) => {
          expect(parseRetryMessage(`${before} Please retry after ${seconds} ${unit}.${after}`)).toBe(seconds * 1000);
        },
      ),
    );
  });

  it.each([
    ["Please try again in 1.898s.", 1898],
    ["Please try again in 6m0s. Visit https://platform.openai.com/account/rate-limits", 360_000],
    ["Rate limit reached. Please try again in 20ms.", 20],
    [
      "Requests to the Responses_Create Operation have exceeded call rate limit. Please retry after 86400 seconds.",
      86_400_000,
    ],
    ["retry after 2 minutes", 120_000],
    ["retry after 250 milliseconds", 250],
  ])("%s → %d ms", (message, expected) => {
    expect(parseRetryMessage(message)).toBe(expected);
  });

  it("anything else, a wait of 0 included, says nothing, and nothing throws", () => {
    expect(parseRetryMessage("retry after 0 seconds")).toBeUndefined();
    expect(parseRetryMessage("The server is overloaded")).toBeUndefined();
    expect(parseRetryMessage(42)).toBeUndefined();
    fc.assert(
      fc.property(fc.string(), (message) => {
        const ms = parseRetryMessage(message);
        expect(ms === undefined || (Number.isFinite(ms) && ms > 0)).toBe(true);
      }),
    );
  });
});

const azureCapacity = (message: string, headers: Record<string, string> = {}): Response =>
  Response.json({ error: { code: "429", message } }, { status: 429, headers });

describe("a 429 whose wait is only in its body", () => {
  function balancer(first: () => Response | Promise<Response>) {
    const backends = new SimulatedBackends({
      "https://ptu.example.com": first,
      "https://paygo.example.com": () => ok(),
    });
    const lb = createLoadBalancer({
      backends: [{ url: "https://ptu.example.com" }, { url: "https://paygo.example.com", priority: 2 }],
      fetch: backends.fetch,
      now: () => NOW,
    });
    return lb;
  }

  it("cools its backend for the wait in the message, and the request is served by the next tier", async () => {
    const lb = balancer(() => azureCapacity("Please retry after 7 seconds."));
    expect((await lb.fetch("https://x/v1/chat/completions", { method: "POST", body: "{}" })).status).toBe(200);
    expect(lb.snapshot().backends[0]!.until).toBe(NOW + 7000);
  });

  it("a header's wait comes first: the body is not read", async () => {
    const lb = balancer(() => azureCapacity("Please retry after 7 seconds.", { "retry-after": "2" }));
    await lb.fetch("https://x/v1/chat/completions", { method: "POST", body: "{}" });
    expect(lb.snapshot().backends[0]!.until).toBe(NOW + 2000);
  });

  it("a body larger than 8 kB, or not JSON, is not read: defaultCooldownMs", async () => {
    const large = balancer(() => azureCapacity(`${"x".repeat(MAX_RETRY_BODY)} Please retry after 7 seconds.`));
    await large.fetch("https://x/v1/chat/completions", { method: "POST", body: "{}" });
    expect(large.snapshot().backends[0]!.until).toBe(NOW + 10_000);
    const text = balancer(() => new Response("Please retry after 7 seconds.", { status: 429 }));
    await text.fetch("https://x/v1/chat/completions", { method: "POST", body: "{}" });
    expect(text.snapshot().backends[0]!.until).toBe(NOW + 10_000);
  });

  it("the read races the caller's signal: an abort rejects at once, and the 429 still cools its backend", async () => {
    const never = new ReadableStream<Uint8Array>({ start() {} });
    const lb = balancer(() => new Response(never, { status: 429, headers: { "content-type": "application/json" } }));
    const controller = new AbortController();
    const pending = lb.fetch("https://x/v1/chat/completions", {
      method: "POST",
      body: "{}",
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(new Error("gave up"));
    await expect(pending).rejects.toThrow("gave up");
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "rate-limit", until: NOW + 10_000 });
  });

  it("retryInBody never rejects: a broken body says nothing", async () => {
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error("reset"));
      },
    });
    const response = new Response(broken, { status: 429, headers: { "content-type": "application/json" } });
    expect(await retryInBody(response, undefined)).toBeUndefined();
    expect(await retryInBody(tooMany(), undefined)).toBeUndefined();
  });
});
