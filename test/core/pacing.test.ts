import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLoadBalancer, type EventOfType } from "../../src/index.js";
import { estimateTokens } from "../../src/core/pacer.ts";
import { prepareRequest, type PreparedRequest } from "../../src/core/request.ts";
import { Gate, ok, quotaHeaders, SimulatedBackends, throttled } from "../support/backends.js";

const URL = "https://x/v1/chat/completions";
const post = (body: unknown = {}): RequestInit => ({ method: "POST", body: JSON.stringify(body) });

beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] }));
afterEach(() => vi.useRealTimers());

/** One backend whose answers are held until the test opens them, each saying `remaining` requests are left (for 60 s). */
function heldAnswersWithQuota(remaining: number) {
  const gate = new Gate();
  const backends = new SimulatedBackends({
    "https://a.example.com": gate.hold(() =>
      ok({}, { headers: quotaHeaders({ remainingRequests: remaining, resetRequests: "60s" }) }),
    ),
  });
  const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: backends.fetch });
  return { gate, backends, lb };
}

describe("pacing from advertised quota (x-ratelimit-remaining-*)", () => {
  it("never has more requests in flight to a backend than it said it has left, whatever the headers and the concurrency (those sent before its first quota headers included)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ remaining: fc.integer({ min: -1, max: 4 }), reset: fc.constantFrom("", "0", "1s", "20s") }),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        fc.integer({ min: 2, max: 12 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        async (answers, concurrency, picks) => {
          const gate = new Gate();
          let served = 0;
          const violations: string[] = [];
          const backends = new SimulatedBackends({
            "https://a.example.com": gate.hold(() => {
              const { remaining, reset } = answers[served++ % answers.length]!;
              return ok(
                {},
                {
                  headers: {
                    "x-ratelimit-remaining-requests": String(remaining),
                    ...(reset && { "x-ratelimit-reset-requests": reset }),
                  },
                },
              );
            }),
          });
          // Requests sent and not answered yet, this one included.
          let inFlight = 0;
          const lb = createLoadBalancer({
            backends: [{ url: "https://a.example.com" }],
            fetch: async (input, init) => {
              inFlight++;
              const pacing = lb.snapshot().backends[0]!.pacing;
              if (pacing !== null && pacing.remainingRequests !== null) {
                // What is reserved (every request in flight) stays within what is left, and so does what is in
                // flight: those sent before the first quota headers hold a reservation too.
                if (pacing.reserved > pacing.remainingRequests)
                  violations.push(`reserved ${pacing.reserved} > remaining ${pacing.remainingRequests}`);
                if (inFlight > pacing.remainingRequests)
                  violations.push(`in flight ${inFlight} > remaining ${pacing.remainingRequests}`);
              }
              try {
                return await backends.fetch(input, init);
              } finally {
                inFlight--;
              }
            },
          });
          let settled = 0;
          const total = concurrency * 3;
          const pending: Promise<Response>[] = [];
          const launch = (count: number): void => {
            for (let n = 0; n < count && pending.length < total; n++)
              pending.push(
                lb.fetch(URL, post()).finally(() => {
                  settled++;
                }),
              );
          };
          launch(concurrency);
          const opened = new Set<number>();
          // Answers released one at a time and new requests started, in an order and at times the picks choose.
          for (let step = 0; settled < total && step < 2000; step++) {
            const pick = picks[step % picks.length]! + step;
            if (pick % 3 === 0) launch((pick % concurrency) + 1);
            await vi.advanceTimersByTimeAsync(pick % 700);
            const held: number[] = [];
            for (let index = 0; index < gate.waiting; index++) if (!opened.has(index)) held.push(index);
            if (held.length === 0) {
              launch(1);
              continue;
            }
            const index = held[pick % held.length]!;
            opened.add(index);
            gate.open(index);
          }
          expect(settled).toBe(total);
          await Promise.all(pending);
          expect(violations).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("requests in flight before the first quota headers count as reserved: 5 in flight, the first answer says 3 left, none is sent until 2 more end", async () => {
    const { gate, backends, lb } = heldAnswersWithQuota(3);
    const queued: EventOfType<"queued">[] = [];
    lb.on("queued", (event) => queued.push(event));
    const first = Array.from({ length: 5 }, () => lb.fetch(URL, post()));
    await vi.waitFor(() => expect(gate.waiting).toBe(5));
    gate.open(0);
    await first[0];
    // 4 still in flight against 3 left: nothing more may go.
    expect(lb.snapshot().backends[0]!.pacing).toMatchObject({ reserved: 4, remainingRequests: 3 });
    const later = Array.from({ length: 3 }, () => lb.fetch(URL, post()));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(backends.received).toHaveLength(5);
    expect(queued.map((event) => event.reason)).toEqual(["paced", "paced", "paced"]);
    gate.open(1);
    await first[1];
    await vi.advanceTimersByTimeAsync(1_000);
    expect(backends.received).toHaveLength(5); // 3 in flight, 3 left
    gate.open(2);
    await first[2];
    await vi.waitFor(() => expect(backends.received).toHaveLength(6)); // 2 in flight: one more may go
    await vi.advanceTimersByTimeAsync(1_000);
    expect(backends.received).toHaveLength(6);
    expect(lb.snapshot().backends[0]!.pacing).toMatchObject({ reserved: 3, remainingRequests: 3 });
    for (let round = 0; round < 4; round++) {
      gate.openAll();
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect((await Promise.all([...first, ...later])).map((response) => response.status)).toEqual(Array(8).fill(200));
    expect(lb.snapshot().backends[0]!.pacing).toMatchObject({ reserved: 0 });
  });

  it("a request in flight before the first quota headers that the caller aborts frees its reservation: a waiting request goes", async () => {
    const { gate, backends, lb } = heldAnswersWithQuota(2);
    const controller = new AbortController();
    const first = lb.fetch(URL, post());
    const aborted = lb.fetch(URL, { ...post(), signal: controller.signal });
    const third = lb.fetch(URL, post());
    await vi.waitFor(() => expect(gate.waiting).toBe(3));
    gate.open(0);
    await first;
    expect(lb.snapshot().backends[0]!.pacing).toMatchObject({ reserved: 2, remainingRequests: 2 });
    const waiting = lb.fetch(URL, post());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(backends.received).toHaveLength(3);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: "AbortError" });
    await vi.waitFor(() => expect(backends.received).toHaveLength(4));
    expect(lb.snapshot().backends[0]!.pacing).toMatchObject({ reserved: 2 });
    gate.openAll();
    expect((await Promise.all([third, waiting])).map((response) => response.status)).toEqual([200, 200]);
    expect(lb.snapshot().backends[0]!.pacing).toMatchObject({ reserved: 0 });
  });

  it("a backend with one request left gets one at a time; the others wait (reason paced) and are all served without a 429", async () => {
    const gate = new Gate();
    let inFlight = 0;
    let peak = 0;
    const backends = new SimulatedBackends({
      "https://a.example.com": async (exchange) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        const response = await gate.hold(() =>
          ok({}, { headers: quotaHeaders({ remainingRequests: 1, resetRequests: "60s" }) }),
        )(exchange);
        inFlight--;
        return response;
      },
    });
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: backends.fetch });
    const first = lb.fetch(URL, post());
    await vi.waitFor(() => expect(backends.received).toHaveLength(1));
    gate.open(0);
    await first;
    const paced: EventOfType<"paced">[] = [];
    const queued: EventOfType<"queued">[] = [];
    lb.on("paced", (event) => paced.push(event));
    lb.on("queued", (event) => queued.push(event));
    const pending = Array.from({ length: 5 }, () => lb.fetch(URL, post()));
    for (let index = 1; index <= 5; index++) {
      await vi.waitFor(() => expect(backends.received).toHaveLength(index + 1));
      expect(lb.snapshot().backends[0]!.pacing).toMatchObject({ allowed: 1, reserved: 1, remainingRequests: 1 });
      gate.open(index);
    }
    expect((await Promise.all(pending)).map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    expect(peak).toBe(1);
    expect(queued.map((event) => event.reason)).toEqual(["paced", "paced", "paced", "paced"]);
    expect(paced).toEqual([]); // what it allows did not change
  });

  it("emits paced when the advertised remaining requests change, and the snapshot shows them", async () => {
    let remaining = 5;
    const backends = new SimulatedBackends({
      "https://a.example.com": () =>
        ok(
          {},
          { headers: quotaHeaders({ remainingRequests: remaining--, remainingTokens: -1, resetRequests: "10s" }) },
        ),
    });
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com", name: "a" }], fetch: backends.fetch });
    const paced: EventOfType<"paced">[] = [];
    lb.on("paced", (event) => paced.push(event));
    await lb.fetch(URL, post());
    await lb.fetch(URL, post());
    expect(paced.map(({ allowed, basis, deployment }) => ({ allowed, basis, deployment }))).toEqual([
      { allowed: 5, basis: "headers", deployment: null },
      { allowed: 4, basis: "headers", deployment: null },
    ]);
    // Azure's Responses API has sent remaining tokens -1: not a count, ignored.
    expect(lb.snapshot().backends[0]!.pacing).toEqual({
      allowed: 4,
      reserved: 0,
      remainingRequests: 4,
      remainingTokens: null,
      reservedTokens: 0,
      basis: "headers",
    });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lb.snapshot().backends[0]!.pacing).toMatchObject({ allowed: null, remainingRequests: null });
  });

  it("once its window resets, a scope starts again from x-ratelimit-limit-requests, not from nothing known", async () => {
    const backends = new SimulatedBackends({
      "https://a.example.com": () =>
        ok(
          {},
          {
            headers: {
              "x-ratelimit-limit-requests": "3",
              "x-ratelimit-remaining-requests": "1",
              "x-ratelimit-reset-requests": "2s",
            },
          },
        ),
    });
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: backends.fetch });
    await lb.fetch(URL, post());
    expect(lb.snapshot().backends[0]!.pacing).toMatchObject({ allowed: 1, remainingRequests: 1 });
    await vi.advanceTimersByTimeAsync(2000);
    expect(lb.snapshot().backends[0]!.pacing).toMatchObject({ allowed: 3, remainingRequests: 3 });
  });

  it("remaining tokens hold back a request whose estimate does not fit while others are in flight", async () => {
    const gate = new Gate();
    const backends = new SimulatedBackends({
      "https://a.example.com": gate.hold(() =>
        ok({}, { headers: quotaHeaders({ remainingRequests: 100, remainingTokens: 1000, resetTokens: "60s" }) }),
      ),
    });
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: backends.fetch });
    const first = lb.fetch(URL, post());
    await vi.waitFor(() => expect(backends.received).toHaveLength(1));
    gate.open(0);
    await first;
    const big = post({ max_tokens: 600 });
    const pending = [lb.fetch(URL, big), lb.fetch(URL, big)];
    await vi.waitFor(() => expect(backends.received).toHaveLength(2));
    await vi.advanceTimersByTimeAsync(100);
    expect(backends.received).toHaveLength(2);
    expect(lb.snapshot()).toMatchObject({ queue: { waiting: 1 }, backends: [{ pacing: { reserved: 1 } }] });
    gate.open(1);
    await vi.waitFor(() => expect(backends.received).toHaveLength(3));
    gate.open(2);
    expect((await Promise.all(pending)).map((response) => response.status)).toEqual([200, 200]);
  });
});

describe("configured rpm / tpm pace before the first 429", () => {
  it("rpm 600 sends a burst of 10 (one second's share), then one every 100 ms, and never gets a 429", async () => {
    const backends = new SimulatedBackends({ "https://a.example.com": () => ok() });
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com", rpm: 600 }], fetch: backends.fetch });
    const paced: EventOfType<"paced">[] = [];
    lb.on("paced", (event) => paced.push(event));
    const pending = Array.from({ length: 15 }, () => lb.fetch(URL, post()));
    await vi.advanceTimersByTimeAsync(10);
    expect(backends.received).toHaveLength(10);
    expect(lb.snapshot().queue.waiting).toBe(5);
    await vi.advanceTimersByTimeAsync(100);
    expect(backends.received).toHaveLength(11);
    await vi.advanceTimersByTimeAsync(400);
    expect((await Promise.all(pending)).every((response) => response.status === 200)).toBe(true);
    expect(backends.received).toHaveLength(15);
    expect(lb.snapshot().backends[0]!.pacing).toMatchObject({ basis: "configured", reserved: 0 });
    expect(paced[0]).toMatchObject({ allowed: 10, basis: "configured" });
  });

  it("tpm paces by the estimated tokens of each request (body / 4 + max_tokens)", async () => {
    const backends = new SimulatedBackends({ "https://a.example.com": () => ok() });
    // 60 000 tokens per minute: a bucket of 1000, refilled at 1000 a second; each request is about 410.
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com", tpm: 60_000 }], fetch: backends.fetch });
    const pending = Array.from({ length: 3 }, () => lb.fetch(URL, post({ max_tokens: 400 })));
    await vi.advanceTimersByTimeAsync(10);
    expect(backends.received).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(300);
    expect(backends.received).toHaveLength(3);
    await Promise.all(pending);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, "60"])(
    "rpm %s is a TypeError naming the backend's field",
    (value) => {
      expect(() =>
        createLoadBalancer({ backends: [{ url: "https://a.example.com", name: "ptu", rpm: value as number }] }),
      ).toThrow(
        expect.objectContaining({ name: "TypeError", message: expect.stringContaining('backends[0] ("ptu").rpm') }),
      );
      expect(() => createLoadBalancer({ backends: [{ url: "https://a.example.com", tpm: value as number }] })).toThrow(
        expect.objectContaining({ name: "TypeError", message: expect.stringContaining("backends[0].tpm") }),
      );
    },
  );
});

describe("a limit learned from 429s where nothing is advertised", () => {
  it("after a 429 with 8 in flight, at most 4 go to that backend at once, and the limit grows back with successes", async () => {
    const gate = new Gate();
    let throttle = true;
    let inFlight = 0;
    let peak = 0;
    const backends = new SimulatedBackends({
      "https://a.example.com": async (exchange) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        const response = await gate.hold(() => (throttle ? throttled(1000) : ok()))(exchange);
        inFlight--;
        return response;
      },
    });
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: backends.fetch });
    const paced: EventOfType<"paced">[] = [];
    lb.on("paced", (event) => paced.push(event));
    const first = Array.from({ length: 8 }, () => lb.fetch(URL, post()));
    await vi.waitFor(() => expect(backends.received).toHaveLength(8));
    gate.open(0); // one 429 while 8 were in flight
    await vi.advanceTimersByTimeAsync(10);
    throttle = false;
    expect(paced).toEqual([expect.objectContaining({ allowed: 4, basis: "learned", deployment: null })]);
    expect(lb.snapshot().backends[0]!.pacing).toMatchObject({ allowed: 4, basis: "learned" });
    for (let index = 1; index < 8; index++) gate.open(index);
    await vi.advanceTimersByTimeAsync(1000);
    peak = 0;
    const second = Array.from({ length: 8 }, () => lb.fetch(URL, post()));
    await vi.advanceTimersByTimeAsync(10);
    // The seven already in flight held no reservation: their successes do not count; the learned 4 stands.
    expect(peak).toBe(4);
    // The one that got the 429 went again after its cooldown, so five of the eight wait.
    expect(lb.snapshot()).toMatchObject({ queue: { waiting: 5 }, backends: [{ pacing: { allowed: 4, reserved: 4 } }] });
    gate.openAll();
    for (let round = 0; round < 5; round++) {
      await vi.advanceTimersByTimeAsync(10);
      gate.openAll();
    }
    expect((await Promise.all([...first, ...second])).map((response) => response.status)).toEqual(
      Array.from({ length: 16 }, () => 200),
    );
  });

  it("a 429 teaches its deployment half of what was in flight to that deployment, not to the whole backend", async () => {
    const gate = new Gate();
    const backends = new SimulatedBackends({
      "https://a.example.com": gate.hold((exchange) =>
        exchange.request.url.includes("/deployments/small/") ? throttled(1000) : ok(),
      ),
    });
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: backends.fetch });
    const paced: EventOfType<"paced">[] = [];
    lb.on("paced", (event) => paced.push(event));
    const to = (deployment: string) => `https://x/openai/deployments/${deployment}/chat/completions?api-version=v`;
    const small = Array.from({ length: 4 }, () => lb.fetch(to("small"), post()));
    const large = Array.from({ length: 6 }, () => lb.fetch(to("large"), post()));
    await vi.waitFor(() => expect(backends.received).toHaveLength(10));
    gate.open(0); // "small" says 429 while 4 of the 10 in flight are its own
    await vi.advanceTimersByTimeAsync(10);
    expect(paced).toEqual([expect.objectContaining({ allowed: 2, basis: "learned", deployment: "small" })]);
    gate.openAll();
    await vi.advanceTimersByTimeAsync(10);
    await Promise.all(large);
    for (const pending of small) pending.catch(() => {});
    lb.close();
  });

  it("the burst after a cooldown is halved: only half of what was in flight goes back at once", async () => {
    const gate = new Gate();
    let calls = 0;
    const backends = new SimulatedBackends({
      "https://a.example.com": (exchange) => (++calls <= 6 ? throttled(1000) : gate.hold(() => ok())(exchange)),
    });
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: backends.fetch });
    // Six at once, all 429: the limit learned is 3 (half of 6 in flight).
    const pending = Array.from({ length: 6 }, () => lb.fetch(URL, post()));
    await vi.advanceTimersByTimeAsync(10);
    expect(lb.snapshot()).toMatchObject({ queue: { waiting: 6 }, backends: [{ pacing: { allowed: 3 } }] });
    await vi.advanceTimersByTimeAsync(1000);
    expect(backends.received).toHaveLength(6 + 3);
    gate.openAll();
    for (let round = 0; round < 5; round++) {
      await vi.advanceTimersByTimeAsync(10);
      gate.openAll();
    }
    expect((await Promise.all(pending)).every((response) => response.status === 200)).toBe(true);
  });

  it("a learned limit grows back out with successes: then nothing paces the backend any more", async () => {
    let calls = 0;
    const backends = new SimulatedBackends({
      "https://a.example.com": () => (++calls <= 2 ? throttled(100) : ok()),
    });
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: backends.fetch });
    const burst = [lb.fetch(URL, post()), lb.fetch(URL, post())];
    await vi.advanceTimersByTimeAsync(10);
    expect(lb.snapshot().backends[0]!.pacing).toMatchObject({ allowed: 1, basis: "learned" });
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(burst);
    for (let index = 0; index < 70 && lb.snapshot().backends[0]!.pacing !== null; index++) await lb.fetch(URL, post());
    expect(lb.snapshot().backends[0]!.pacing).toBeNull();
  });

  it("after two 429s it learns the window (what it took, how long): later windows get their capacity and no 429", async () => {
    // 3 requests per second, a window starting with its first request; over it, a 429 until the window ends.
    let start = Number.NEGATIVE_INFINITY;
    let used = 0;
    const log: Array<{ at: number; status: number }> = [];
    const backends = new SimulatedBackends({
      "https://a.example.com": () => {
        const now = Date.now();
        if (now >= start + 1000) {
          start = now;
          used = 0;
        }
        const status = ++used > 3 ? 429 : 200;
        log.push({ at: now, status });
        return status === 429 ? throttled(start + 1000 - now) : ok();
      },
    });
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: backends.fetch });
    let next = 0;
    const worker = async (): Promise<number[]> => {
      const statuses: number[] = [];
      while (next++ < 30) statuses.push((await lb.fetch(URL, post())).status);
      return statuses;
    };
    const done = Promise.all(Array.from({ length: 6 }, worker));
    await vi.advanceTimersByTimeAsync(12_000);
    expect((await done).flat().every((status) => status === 200)).toBe(true);
    const t0 = log[0]!.at;
    const late = log.filter((entry) => entry.at - t0 >= 3000);
    expect(late.filter((entry) => entry.status === 200)).toHaveLength(30 - 9);
    expect(late.filter((entry) => entry.status === 429)).toEqual([]);
    expect(lb.snapshot().backends[0]!.pacing).toMatchObject({ basis: "learned" });
  });

  it("a single request's 429 teaches no concurrency limit: nothing is paced without 429s under concurrency", async () => {
    let first = true;
    const backends = new SimulatedBackends({
      "https://a.example.com": () => {
        if (!first) return ok();
        first = false;
        return throttled(500);
      },
    });
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: backends.fetch });
    const response = lb.fetch(URL, post());
    await vi.advanceTimersByTimeAsync(500);
    expect((await response).status).toBe(200);
    expect(lb.snapshot().backends[0]!.pacing).toBeNull();
  });
});

describe("the token estimate", () => {
  const prepared = (body: BodyInit): PreparedRequest =>
    prepareRequest(URL, { method: "POST", body }) as PreparedRequest;

  it("is a string body's length / 4 plus its max_tokens, max_completion_tokens or max_output_tokens", () => {
    const text = JSON.stringify({ model: "m", max_completion_tokens: 100, messages: [] });
    expect(estimateTokens(prepared(text))).toBe(Math.ceil(text.length / 4) + 100);
    expect(estimateTokens(prepared('{"max_output_tokens": 7}'))).toBe(Math.ceil(24 / 4) + 7);
    expect(estimateTokens(prepared(new Uint8Array(400)))).toBe(100);
    expect(estimateTokens(prepared(new FormData()))).toBe(0);
  });
});
