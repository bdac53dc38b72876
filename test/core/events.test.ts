import { describe, expect, it, vi } from "vitest";
import { createLoadBalancer, type LoadBalancerEvent } from "../../src/index.js";
import { SimulatedBackends, ok, tooMany } from "../support/backends.js";

function balancer() {
  let now = 5_000;
  const { fetch } = new SimulatedBackends({
    "https://ptu.example.com": () => tooMany({ "retry-after-ms": "1500" }),
    "https://paygo.example.com": () => ok(),
  });
  const lb = createLoadBalancer({
    backends: [
      { url: "https://ptu.example.com", name: "ptu", priority: 1 },
      { url: "https://paygo.example.com/ai", name: "paygo", priority: 2, weight: 2 },
    ],
    fetch: (input, init) => {
      now += 10;
      return fetch(input, init);
    },
    now: () => now,
  });
  return lb;
}

describe("events", () => {
  it("describe each attempt, its outcome, the cooldown and the response of a request, in order, with every field", async () => {
    const lb = balancer();
    const events: LoadBalancerEvent[] = [];
    lb.on("*", (event) => events.push(event));
    await lb.fetch("https://x/v1/chat/completions?a=1", { method: "post", body: "{}" });
    const ptu = { name: "ptu", url: "https://ptu.example.com", priority: 1, weight: 1 };
    const paygo = { name: "paygo", url: "https://paygo.example.com/ai", priority: 2, weight: 2 };
    expect(events).toEqual([
      {
        type: "attempt",
        at: 5000,
        requestId: 1,
        attempt: 1,
        backend: ptu,
        deployment: null,
        method: "POST",
        url: "https://ptu.example.com/v1/chat/completions?a=1",
      },
      {
        type: "outcome",
        at: 5010,
        requestId: 1,
        attempt: 1,
        backend: ptu,
        deployment: null,
        result: "failure",
        status: 429,
        reason: "rate-limit",
        durationMs: 10,
      },
      {
        type: "cooldown",
        at: 5010,
        requestId: 1,
        backend: ptu,
        deployment: null,
        reason: "rate-limit",
        status: 429,
        cooldownMs: 1500,
        until: 6510,
        consecutiveFailures: 0,
        ejected: false,
        remote: false,
      },
      {
        type: "attempt",
        at: 5010,
        requestId: 1,
        attempt: 2,
        backend: paygo,
        deployment: null,
        method: "POST",
        url: "https://paygo.example.com/ai/v1/chat/completions?a=1",
      },
      {
        type: "outcome",
        at: 5020,
        requestId: 1,
        attempt: 2,
        backend: paygo,
        deployment: null,
        result: "response",
        status: 200,
        reason: undefined,
        durationMs: 10,
      },
      {
        type: "response",
        at: 5020,
        requestId: 1,
        attempt: 2,
        backend: paygo,
        deployment: null,
        status: 200,
        latencyMs: 20,
      },
    ]);
    await lb.fetch("https://x/v1/models");
    expect(events.at(-1)).toMatchObject({ type: "response", requestId: 2, attempt: 1 });
  });

  it("a listener for one type sees only that type, and unsubscribing stops it", async () => {
    const lb = balancer();
    const seen: string[] = [];
    const off = lb.on("cooldown", (event) => seen.push(`${event.type}:${event.backend.name}`));
    await lb.fetch("https://x/");
    expect(seen).toEqual(["cooldown:ptu"]);
    off();
    off(); // idempotent
    const lb2 = balancer();
    const counter = vi.fn();
    lb2.on("attempt", counter)();
    await lb2.fetch("https://x/");
    expect(counter).not.toHaveBeenCalled();
  });

  it("the same function subscribed twice is called twice and unsubscribes independently", async () => {
    const lb = balancer();
    const listener = vi.fn();
    const offFirst = lb.on("response", listener);
    lb.on("response", listener);
    await lb.fetch("https://x/");
    expect(listener).toHaveBeenCalledTimes(2);
    offFirst();
    await lb.fetch("https://x/");
    expect(listener).toHaveBeenCalledTimes(3);
  });

  it("a listener that throws never breaks a request; the error goes to the logger", async () => {
    const errors: unknown[][] = [];
    const { fetch } = new SimulatedBackends({ "https://a.example.com": () => ok() });
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }],
      fetch,
      logger: { error: (...args) => errors.push(args) },
    });
    lb.on("attempt", () => {
      throw new Error("listener bug");
    });
    const after = vi.fn();
    lb.on("attempt", after);
    const response = await lb.fetch("https://x/");
    expect(response.status).toBe(200);
    expect(after).toHaveBeenCalledTimes(1);
    expect(errors).toEqual([["openai-priority-loadbalancer: an event listener threw", new Error("listener bug")]]);
  });

  it("event backends are read-only", async () => {
    const lb = balancer();
    let backend: LoadBalancerEvent["type"] | undefined;
    lb.on("attempt", (event) => {
      expect(Object.isFrozen(event.backend)).toBe(true);
      backend = event.type;
    });
    await lb.fetch("https://x/");
    expect(backend).toBe("attempt");
  });
});

describe("lb.fetch", () => {
  it("works when passed around unbound", async () => {
    const { fetch } = new SimulatedBackends({ "https://a.example.com": () => ok({ hello: 1 }) });
    const { fetch: unbound } = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch });
    const call = unbound;
    expect(await (await call.call(undefined, "https://x/")).json()).toEqual({ hello: 1 });
  });
});

describe("snapshot", () => {
  it("counts requests, successes, throttles, errors and in-flight attempts per backend", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const lb = createLoadBalancer({
      backends: [
        { url: "https://a.example.com", name: "a" },
        { url: "https://b.example.com", name: "b", priority: 2 },
      ],
      fetch: async (input) => {
        if (String(input).startsWith("https://a."))
          return new Response(null, { status: 500, headers: { "retry-after": "60" } });
        await gate;
        return new Response("ok", { status: 201 });
      },
      now: () => 1000,
    });
    const pending = lb.fetch("https://x/");
    await vi.waitFor(() => expect(lb.snapshot().backends[1]!.inFlight).toBe(1));
    release();
    await pending;
    expect(lb.snapshot()).toEqual({
      at: 1000,
      backends: [
        {
          name: "a",
          url: "https://a.example.com",
          priority: 1,
          weight: 1,
          kind: null,
          state: "cooling",
          until: 61_000,
          reason: "server-error",
          consecutiveFailures: 1,
          inFlight: 0,
          requests: 1,
          successes: 0,
          throttles: 0,
          errors: 1,
          lastStatus: 500,
          spilled: 0,
          deployments: [],
          pacing: null,
        },
        {
          name: "b",
          url: "https://b.example.com",
          priority: 2,
          weight: 1,
          kind: null,
          state: "available",
          until: null,
          reason: null,
          consecutiveFailures: 0,
          inFlight: 0,
          requests: 1,
          successes: 1,
          throttles: 0,
          errors: 0,
          lastStatus: 201,
          spilled: 0,
          deployments: [],
          pacing: null,
        },
      ],
      queue: { waiting: 0, oldestWaitMs: 0, maxWaitedMs: 0 },
    });
  });

  it("is plain data that structuredClone and JSON keep whole", async () => {
    const lb = balancer();
    await lb.fetch("https://x/");
    const snapshot = lb.snapshot();
    expect(structuredClone(snapshot)).toEqual(snapshot);
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });
});
