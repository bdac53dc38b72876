import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLoadBalancer, type EventOfType, type LoadBalancerEvent } from "../../src/index.js";
import { Emitter } from "../../src/core/events.ts";
import { WaitQueue } from "../../src/core/queue.ts";
import { type Answer, Gate, ok, quotaHeaders, SimulatedBackends, throttled } from "../support/backends.js";

const URL = "https://x/v1/chat/completions";
const post = (id: number, signal?: AbortSignal): RequestInit => ({
  method: "POST",
  body: JSON.stringify({ id }),
  ...(signal && { signal }),
});
const ids = (backends: SimulatedBackends): number[] =>
  backends.received.map((received) => (JSON.parse(received.body) as { id: number }).id);

beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] }));
afterEach(() => vi.useRealTimers());

/** One backend that answers 429 (retry-after 2 s) to its first request and 200 to the rest. */
function coolingOnce(): SimulatedBackends {
  let first = true;
  return new SimulatedBackends({
    "https://a.example.com": () => {
      if (!first) return ok({ by: "a" });
      first = false;
      return throttled(2000);
    },
  });
}

/** One backend that says it has one request left in its window (a minute), held at a gate. */
function oneAtATime(gate: Gate): SimulatedBackends {
  const answer: Answer = gate.hold(() =>
    ok({ by: "a" }, { headers: quotaHeaders({ remainingRequests: 1, resetRequests: "60s" }) }),
  );
  return new SimulatedBackends({ "https://a.example.com": answer });
}

describe("requests wait inside the balancer while no backend can take them", () => {
  it("requests that arrive while every backend cools are served in arrival order once it is back", async () => {
    const backends = coolingOnce();
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: backends.fetch });
    const events: LoadBalancerEvent[] = [];
    lb.on("*", (event) => events.push(event));
    const pending = [lb.fetch(URL, post(1))];
    await vi.advanceTimersByTimeAsync(10); // its 429: the backend cools for 2 s
    for (const id of [2, 3, 4]) pending.push(lb.fetch(URL, post(id)));
    await vi.advanceTimersByTimeAsync(10);
    expect(lb.snapshot().queue).toMatchObject({ waiting: 4 });
    await vi.advanceTimersByTimeAsync(2000);
    expect((await Promise.all(pending)).map((response) => response.status)).toEqual([200, 200, 200, 200]);
    // The first was sent before the 429, then each in the order it arrived.
    expect(ids(backends)).toEqual([1, 1, 2, 3, 4]);
    const queued = events.filter((event) => event.type === "queued");
    expect(queued.map((event) => [event.requestId, event.reason, event.waiting])).toEqual([
      [1, "cooling", 1],
      [2, "cooling", 2],
      [3, "cooling", 3],
      [4, "cooling", 4],
    ]);
    expect(queued[0]).toMatchObject({ attempt: 1, retryAfterMs: 2000 });
    const dequeued = events.filter((event) => event.type === "dequeued");
    expect(dequeued.map((event) => [event.requestId, event.result, event.waiting])).toEqual([
      [1, "resumed", 3],
      [2, "resumed", 2],
      [3, "resumed", 1],
      [4, "resumed", 0],
    ]);
    expect(lb.snapshot().queue).toEqual({ waiting: 0, oldestWaitMs: 0, maxWaitedMs: expect.any(Number) });
    expect(lb.snapshot().queue.maxWaitedMs).toBeGreaterThanOrEqual(1990);
  });

  it("the longest waiter goes first and a new arrival queues behind the waiters instead of taking the freed slot", async () => {
    const gate = new Gate();
    const backends = oneAtATime(gate);
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: backends.fetch });
    const first = lb.fetch(URL, post(1));
    await vi.waitFor(() => expect(backends.received).toHaveLength(1));
    gate.open(0);
    await first; // now the backend said: one request left
    const queued: EventOfType<"queued">[] = [];
    lb.on("queued", (event) => queued.push(event));
    const second = lb.fetch(URL, post(2));
    const third = lb.fetch(URL, post(3));
    const fourth = lb.fetch(URL, post(4));
    await vi.waitFor(() => expect(backends.received).toHaveLength(2));
    expect(queued.map((event) => [event.requestId, event.reason])).toEqual([
      [3, "paced"],
      [4, "paced"],
    ]);
    gate.open(1);
    // Arrives before the second's answer is read: it must not take the slot the third has waited for.
    const fifth = lb.fetch(URL, post(5));
    await second;
    for (let received = 3; received <= 5; received++) {
      await vi.waitFor(() => expect(backends.received).toHaveLength(received));
      gate.open(received - 1);
    }
    await Promise.all([third, fourth, fifth]);
    expect(ids(backends)).toEqual([1, 2, 3, 4, 5]);
    expect(lb.snapshot().backends[0]).toMatchObject({ inFlight: 0, pacing: { reserved: 0, basis: "headers" } });
  });

  it("a request aborted while it waits leaves the queue at once: dequeued aborted, nothing in flight, nothing held", async () => {
    const backends = coolingOnce();
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: backends.fetch });
    const dequeued: LoadBalancerEvent[] = [];
    lb.on("dequeued", (event) => dequeued.push(event));
    const controller = new AbortController();
    const pending = lb.fetch(URL, post(1, controller.signal));
    const outcome = pending.then(
      () => "resolved",
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(500);
    controller.abort(new DOMException("gave up", "AbortError"));
    expect(await outcome).toMatchObject({ name: "AbortError", message: "gave up" });
    expect(dequeued).toEqual([expect.objectContaining({ requestId: 1, result: "aborted", waiting: 0 })]);
    expect((dequeued[0] as { waitedMs: number }).waitedMs).toBeGreaterThanOrEqual(500);
    expect(lb.snapshot()).toMatchObject({ queue: { waiting: 0 }, backends: [{ inFlight: 0 }] });
    await vi.advanceTimersByTimeAsync(1000); // the header-timeout sweep stops on its next tick
    expect(vi.getTimerCount()).toBe(1); // the breaker's cooldown only: the queue's timer is gone
    await vi.advanceTimersByTimeAsync(3000);
    expect(ids(backends)).toEqual([1]);
  });

  it("maxWaitMs 0 answers the synthetic 429 with the soonest retry-after at once, without queueing", async () => {
    const backends = coolingOnce();
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }],
      fetch: backends.fetch,
      maxWaitMs: 0,
    });
    const queued: LoadBalancerEvent[] = [];
    lb.on("queued", (event) => queued.push(event));
    const response = await lb.fetch(URL, post(1));
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after-ms")).toBe("2000");
    expect(queued).toEqual([]);
  });

  it("a wait known to be longer than what is left of maxWaitMs is answered by the 429 at once", async () => {
    const backends = coolingOnce();
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }],
      fetch: backends.fetch,
      maxWaitMs: 1500,
    });
    const response = await lb.fetch(URL, post(1));
    expect(response.status).toBe(429);
    expect(lb.snapshot().queue.waiting).toBe(0);
  });

  it("a waiter whose maxWaitMs runs out leaves the queue timed out and gets the synthetic 429", async () => {
    // A 503, then the probe after its cooldown hangs: the next request waits for a probe that never ends.
    const gate = new Gate();
    let first = true;
    const held = gate.hold(() => ok());
    const backends = new SimulatedBackends({
      "https://a.example.com": (exchange) => {
        if (!first) return held(exchange);
        first = false;
        // A server's wait: a cooldown that ends in a probe (a lone 5xx without one is only a short pause).
        return new Response(null, { status: 503, headers: { "retry-after": "1" } });
      },
    });
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }],
      fetch: backends.fetch,
      defaultCooldownMs: 1000,
      maxWaitMs: 2500,
    });
    void lb.fetch(URL, post(1)); // the 503, a wait, then the probe
    await vi.advanceTimersByTimeAsync(1000);
    expect(backends.received).toHaveLength(2);
    const dequeued: LoadBalancerEvent[] = [];
    lb.on("dequeued", (event) => dequeued.push(event));
    const waiting = lb.fetch(URL, post(2));
    await vi.advanceTimersByTimeAsync(2500);
    const response = await waiting;
    expect(response.status).toBe(429);
    expect(await response.json()).toMatchObject({ error: { code: "all_backends_cooling_down" } });
    expect(dequeued).toEqual([expect.objectContaining({ requestId: 2, result: "timed-out", waiting: 0 })]);
    expect((dequeued[0] as { waitedMs: number }).waitedMs).toBe(2500);
    gate.openAll();
  });

  it("lb.close() rejects every waiting request with the closed error (InvalidStateError) and stops the queue's timer", async () => {
    const backends = coolingOnce();
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: backends.fetch });
    const settled = (response: Promise<Response>) =>
      response.then(
        () => "resolved",
        (error: unknown) => error,
      );
    const outcomes = [settled(lb.fetch(URL, post(1)))];
    await vi.advanceTimersByTimeAsync(10);
    outcomes.push(settled(lb.fetch(URL, post(2))));
    await vi.advanceTimersByTimeAsync(10);
    expect(lb.snapshot().queue.waiting).toBe(2);
    await lb.close();
    for (const outcome of await Promise.all(outcomes)) expect(outcome).toMatchObject({ name: "InvalidStateError" });
    expect(lb.snapshot().queue.waiting).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("the snapshot shows how many wait and how long the oldest has waited", async () => {
    const backends = coolingOnce();
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: backends.fetch });
    const pending = lb.fetch(URL, post(1));
    await vi.advanceTimersByTimeAsync(10);
    const second = lb.fetch(URL, post(2));
    await vi.advanceTimersByTimeAsync(1000);
    const { queue } = lb.snapshot();
    expect(queue.waiting).toBe(2);
    expect(queue.oldestWaitMs).toBeGreaterThanOrEqual(1000);
    expect(queue.oldestWaitMs).toBeLessThan(1100);
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all([pending, second]);
  });
});

describe("the queue's order", () => {
  it("a request that waits again (its turn came and the backend answered 429) goes back to its place, not to the back", () => {
    let now = 0;
    const queue = new WaitQueue(() => now, new Emitter(() => {}));
    let open = false;
    const served: number[] = [];
    const waiter = (requestId: number) =>
      queue.wait(
        {
          requestId,
          attempt: 1,
          reason: "cooling",
          retryAfterMs: 1000,
          budgetMs: 60_000,
          signal: undefined,
          take: () => {
            if (!open) return 1000;
            served.push(requestId);
            return { backend: undefined as never, ticket: undefined as never };
          },
        },
        () => new Error("closed"),
      );
    // Requests 2 and 3 wait; request 1, older, comes back to wait after its attempt failed.
    void waiter(2);
    void waiter(3);
    void waiter(1);
    expect(queue.view(now).waiting).toBe(3);
    open = true;
    now = 10;
    queue.serve(now);
    expect(served).toEqual([1, 2, 3]);
    expect(queue.view(now)).toEqual({ waiting: 0, oldestWaitMs: 0, maxWaitedMs: 10 });
    queue.close();
  });
});
