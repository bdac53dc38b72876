import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLoadBalancer, type FetchFunction, type LoadBalancerEvent } from "../../src/index.js";
import { answer, Gate, hang, ok, SimulatedBackends } from "../support/backends.js";
import { distribution, seededRandom } from "../support/random.js";

const host = (response: Response): string => response.headers.get("x-host") ?? "";
const served = (name: string) => () => ok({}, { headers: { "x-host": name } });

describe("escalating cooldowns for backends that keep failing", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] }));
  afterEach(() => vi.useRealTimers());

  it("from failureThreshold failures in a row a server's wait doubles, up to maxCooldownMs, and a success resets it", async () => {
    let dead = true;
    const fake = new SimulatedBackends({
      "https://flaky.example.com": () =>
        dead ? new Response(null, { status: 502, headers: { "retry-after": "1" } }) : ok(),
      "https://spare.example.com": () => ok(),
    });
    const lb = createLoadBalancer({
      backends: [{ url: "https://flaky.example.com" }, { url: "https://spare.example.com", priority: 2 }],
      fetch: fake.fetch,
      defaultCooldownMs: 1000,
      maxCooldownMs: 6000,
      failureThreshold: 3,
    });
    const throttles: Array<{ cooldownMs: number; consecutiveFailures: number; ejected: boolean }> = [];
    lb.on("cooldown", ({ cooldownMs, consecutiveFailures, ejected }) =>
      throttles.push({ cooldownMs, consecutiveFailures, ejected }),
    );
    const states: string[] = [];
    for (let i = 0; i < 5; i++) {
      await lb.fetch("https://x/");
      states.push(lb.snapshot().backends[0]!.state);
      await vi.advanceTimersByTimeAsync(throttles.at(-1)!.cooldownMs);
    }
    expect(throttles).toEqual([
      { cooldownMs: 1000, consecutiveFailures: 1, ejected: false },
      { cooldownMs: 1000, consecutiveFailures: 2, ejected: false },
      { cooldownMs: 2000, consecutiveFailures: 3, ejected: true },
      { cooldownMs: 4000, consecutiveFailures: 4, ejected: true },
      { cooldownMs: 6000, consecutiveFailures: 5, ejected: true },
    ]);
    expect(states).toEqual(["cooling", "cooling", "ejected", "ejected", "ejected"]);
    dead = false;
    await lb.fetch("https://x/");
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "available", consecutiveFailures: 0 });
  });

  it("429s keep their exact retry-after and do not count as failures", async () => {
    const fake = new SimulatedBackends({
      "https://a.example.com": () => new Response(null, { status: 429, headers: { "retry-after": "2" } }),
      "https://b.example.com": () => ok(),
    });
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }, { url: "https://b.example.com", priority: 2 }],
      fetch: fake.fetch,
      failureThreshold: 1,
    });
    const cooldowns: number[] = [];
    lb.on("cooldown", (event) => cooldowns.push(event.cooldownMs));
    for (let i = 0; i < 4; i++) {
      await lb.fetch("https://x/");
      await vi.advanceTimersByTimeAsync(2000);
    }
    expect(cooldowns).toEqual([2000, 2000, 2000, 2000]);
    expect(lb.snapshot().backends[0]!.consecutiveFailures).toBe(0);
  });

  it("requests that were in flight together fail together: one outage counts once", async () => {
    const gate = new Gate();
    const { fetch } = new SimulatedBackends({
      "https://a.example.com": gate.hold(answer(500)),
      "https://b.example.com": () => ok(),
    });
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }, { url: "https://b.example.com", priority: 2 }],
      fetch,
      failureThreshold: 2,
    });
    const pending = [lb.fetch("https://x/"), lb.fetch("https://x/"), lb.fetch("https://x/")];
    await vi.waitFor(() => expect(gate.waiting).toBe(3));
    gate.openAll();
    await Promise.all(pending);
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", consecutiveFailures: 1 });
  });
});

describe("single-probe recovery", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] }));
  afterEach(() => vi.useRealTimers());

  it("when a failing backend's cooldown ends one request probes it; the others keep going elsewhere until the probe succeeds", async () => {
    let throttled = true;
    const gate = new Gate();
    const ptu = gate.hold(served("ptu"));
    const { fetch } = new SimulatedBackends({
      "https://ptu.example.com": (exchange) =>
        throttled ? answer(503, { "retry-after": "1" })(exchange) : ptu(exchange),
      "https://paygo.example.com": served("paygo"),
    });
    const lb = createLoadBalancer({
      backends: [{ url: "https://ptu.example.com" }, { url: "https://paygo.example.com", priority: 2 }],
      fetch,
    });
    const events: LoadBalancerEvent[] = [];
    lb.on("*", (event) => events.push(event));
    await lb.fetch("https://x/");
    throttled = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(lb.snapshot().backends[0]!.state).toBe("probing");

    const probe = lb.fetch("https://x/");
    await vi.waitFor(() => expect(gate.waiting).toBe(1));
    // While the probe is out, the PTU takes nothing else.
    const others = await Promise.all([lb.fetch("https://x/"), lb.fetch("https://x/")]);
    expect(others.map(host)).toEqual(["paygo", "paygo"]);
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "probing", inFlight: 1 });
    gate.openAll();
    expect(host(await probe)).toBe("ptu");
    expect(events.filter((event) => event.type === "probe")).toMatchObject([
      { success: true, backend: { name: "ptu.example.com" } },
    ]);
    expect(lb.snapshot().backends[0]!.state).toBe("available");
    const after = lb.fetch("https://x/");
    await vi.waitFor(() => expect(gate.waiting).toBe(1));
    gate.openAll();
    expect(host(await after)).toBe("ptu");
  });

  it("a failed probe sends the backend back to cooling", async () => {
    const fake = new SimulatedBackends({
      "https://a.example.com": () => new Response(null, { status: 503, headers: { "retry-after-ms": "500" } }),
      "https://b.example.com": () => ok(),
    });
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }, { url: "https://b.example.com", priority: 2 }],
      fetch: fake.fetch,
      defaultCooldownMs: 500,
    });
    const probes: boolean[] = [];
    lb.on("probe", (event) => probes.push(event.success));
    await lb.fetch("https://x/");
    await vi.advanceTimersByTimeAsync(500);
    await lb.fetch("https://x/");
    expect(probes).toEqual([false]);
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", consecutiveFailures: 2 });
  });

  it("an aborted probe penalises nothing and frees the probe for the next request", async () => {
    let throttled = true;
    const { fetch } = new SimulatedBackends({
      "https://a.example.com": (exchange) =>
        throttled ? answer(502, { "retry-after": "1" })(exchange) : hang(exchange),
    });
    const lb = createLoadBalancer({ maxWaitMs: 0, backends: [{ url: "https://a.example.com" }], fetch });
    await lb.fetch("https://x/");
    throttled = false;
    await vi.advanceTimersByTimeAsync(1000);
    const controller = new AbortController();
    const probe = lb.fetch("https://x/", { signal: controller.signal });
    await vi.waitFor(() => expect(lb.snapshot().backends[0]!.inFlight).toBe(1));
    controller.abort();
    await expect(probe).rejects.toMatchObject({ name: "AbortError" });
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "probing", inFlight: 0, consecutiveFailures: 1 });
  });
});

describe("after a 429", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] }));
  afterEach(() => vi.useRealTimers());

  it("a backend whose retry-after has passed is back in full rotation at once, without a probe", async () => {
    let throttled = true;
    const gate = new Gate();
    const ptu = gate.hold(served("ptu"));
    const { fetch } = new SimulatedBackends({
      "https://ptu.example.com": (exchange) =>
        throttled ? answer(429, { "retry-after": "1" })(exchange) : ptu(exchange),
      "https://paygo.example.com": served("paygo"),
    });
    const lb = createLoadBalancer({
      maxWaitMs: 0,
      backends: [{ url: "https://ptu.example.com" }, { url: "https://paygo.example.com", priority: 2 }],
      fetch,
    });
    await lb.fetch("https://x/");
    throttled = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "available", reason: null });
    // Its window has reset: every request goes to it at once, none is held back for a probe.
    const pending = [lb.fetch("https://x/"), lb.fetch("https://x/"), lb.fetch("https://x/")];
    await vi.waitFor(() => expect(gate.waiting).toBe(3));
    gate.openAll();
    expect((await Promise.all(pending)).map(host)).toEqual(["ptu", "ptu", "ptu"]);
  });
});

describe("what the caller is told while no backend is free", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] }));
  afterEach(() => vi.useRealTimers());

  it("while the only backend's probe is in flight, the synthetic 429 asks for a real wait, not 0", async () => {
    let failing = true;
    const gate = new Gate();
    const recovered = gate.hold(() => ok());
    const { fetch } = new SimulatedBackends({
      "https://a.example.com": (exchange) =>
        failing ? answer(500, { "retry-after-ms": "1000" })(exchange) : recovered(exchange),
    });
    const lb = createLoadBalancer({
      maxWaitMs: 0,
      backends: [{ url: "https://a.example.com" }],
      fetch,
      defaultCooldownMs: 1000,
    });
    await lb.fetch("https://x/");
    failing = false;
    await vi.advanceTimersByTimeAsync(1000);
    const probe = lb.fetch("https://x/");
    await vi.waitFor(() => expect(gate.waiting).toBe(1));
    const other = await lb.fetch("https://x/");
    expect(other.status).toBe(429);
    expect(other.headers.get("retry-after-ms")).toBe("1000");
    gate.open(0);
    expect((await probe).status).toBe(200);
  });

  it("a recovery due within 50 ms is waited for inside the balancer instead of answered with a 429", async () => {
    let calls = 0;
    const fetch: FetchFunction = async () =>
      ++calls === 1 ? new Response(null, { status: 429, headers: { "retry-after-ms": "30" } }) : ok();
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch });
    const exhausted: Array<{ retryAfterMs: number; waiting: boolean }> = [];
    lb.on("exhausted", ({ retryAfterMs, waiting }) => exhausted.push({ retryAfterMs, waiting }));
    const pending = lb.fetch("https://x/");
    await vi.advanceTimersByTimeAsync(30);
    expect((await pending).status).toBe(200);
    expect(exhausted).toEqual([{ retryAfterMs: 30, waiting: true }]);
    expect(calls).toBe(2);
  });
});

describe("proactive throttling on exhausted quota", () => {
  it("a success with x-ratelimit-remaining-requests: 0 cools the backend until its reset, before it answers 429", async () => {
    const now = 50_000;
    const fake = new SimulatedBackends({
      "https://a.example.com": () =>
        ok(
          {},
          {
            headers: {
              "x-host": "a",
              "x-ratelimit-remaining-requests": "0",
              "x-ratelimit-reset-requests": "1.5s",
              "x-ratelimit-remaining-tokens": "9000",
            },
          },
        ),
      "https://b.example.com": served("b"),
    });
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }, { url: "https://b.example.com", priority: 2 }],
      fetch: fake.fetch,
      now: () => now,
    });
    const throttles: LoadBalancerEvent[] = [];
    lb.on("cooldown", (event) => throttles.push(event));
    const first = await lb.fetch("https://x/");
    expect(first.status).toBe(200);
    expect(host(first)).toBe("a");
    expect(throttles).toMatchObject([{ reason: "quota", status: 200, cooldownMs: 1500, until: 51_500 }]);
    expect(host(await lb.fetch("https://x/"))).toBe("b");
    expect(fake.calls("https://a.")).toHaveLength(1); // no wasted 429 round trip
  });

  it("tokens exhausted: cools until the token reset", async () => {
    const fake = new SimulatedBackends({
      "https://a.example.com": () =>
        ok(
          {},
          {
            headers: {
              "x-ratelimit-remaining-tokens": "0",
              "x-ratelimit-reset-tokens": "6m0s",
              "x-ratelimit-reset-requests": "1s",
            },
          },
        ),
    });
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: fake.fetch, now: () => 0 });
    await lb.fetch("https://x/");
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "quota", until: 300_000 }); // clamped to maxCooldownMs
  });

  it("remaining quota, or no such headers, means no throttling", async () => {
    const fake = new SimulatedBackends({
      "https://a.example.com": () => ok({}, { headers: { "x-ratelimit-remaining-requests": "12" } }),
    });
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }], fetch: fake.fetch });
    await lb.fetch("https://x/");
    await lb.fetch("https://x/");
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "available", requests: 2 });
  });
});

describe("selection modes", () => {
  it("failover: always the first available backend in list order; the others only when it fails", async () => {
    let firstUp = true;
    const fake = new SimulatedBackends({
      "https://one.example.com": () => (firstUp ? served("one")() : new Response(null, { status: 500 })),
      "https://two.example.com": served("two"),
      "https://three.example.com": served("three"),
    });
    const lb = createLoadBalancer({
      backends: ["one", "two", "three"].map((name) => ({ url: `https://${name}.example.com` })),
      fetch: fake.fetch,
      selection: "failover",
    });
    expect(await distribution(() => lb.fetch("https://x/"), 10, host)).toEqual({ one: 10 });
    firstUp = false;
    expect(await distribution(() => lb.fetch("https://x/"), 10, host)).toEqual({ two: 10 });
  });

  it("least-inflight: concurrent requests spread to the least busy backends", async () => {
    const gate = new Gate();
    const { fetch } = new SimulatedBackends(
      Object.fromEntries(
        ["a", "b", "c"].map((name) => [`https://${name}.example.com`, gate.hold(served(`${name}.example.com`))]),
      ),
    );
    const lb = createLoadBalancer({
      backends: ["a", "b", "c"].map((name) => ({ url: `https://${name}.example.com` })),
      fetch,
      selection: "least-inflight",
      random: seededRandom(1),
    });
    const pending = Array.from({ length: 30 }, () => lb.fetch("https://x/"));
    await vi.waitFor(() => expect(gate.waiting).toBe(30));
    const inFlight = lb.snapshot().backends.map((backend) => backend.inFlight);
    // Power of two choices keeps the spread within one or two of even (10 each).
    expect(Math.max(...inFlight) - Math.min(...inFlight)).toBeLessThanOrEqual(2);
    gate.openAll();
    await Promise.all(pending);
    expect(lb.snapshot().backends.map((backend) => backend.inFlight)).toEqual([0, 0, 0]);
  });

  it("least-inflight weighs in-flight requests by weight", async () => {
    const gate = new Gate();
    const held = gate.hold(() => ok());
    const { fetch } = new SimulatedBackends({ "https://big.example.com": held, "https://small.example.com": held });
    const lb = createLoadBalancer({
      backends: [
        { url: "https://big.example.com", weight: 3 },
        { url: "https://small.example.com", weight: 1 },
      ],
      fetch,
      selection: "least-inflight",
      random: seededRandom(9),
    });
    const pending = Array.from({ length: 40 }, () => lb.fetch("https://x/"));
    await vi.waitFor(() => expect(gate.waiting).toBe(40));
    const [big, small] = lb.snapshot().backends.map((backend) => backend.inFlight);
    expect(big).toBe(30);
    expect(small).toBe(10);
    gate.openAll();
    await Promise.all(pending);
  });
});
