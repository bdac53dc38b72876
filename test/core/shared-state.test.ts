import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  createLoadBalancer,
  type FetchFunction,
  type LoadBalancerEvent,
  type SharedState,
  type SharedStateConnection,
} from "../../src/index.js";
import { MemoryBus } from "../support/memory-shared-state.js";
import { type Answer, Gate, SimulatedBackends, ok, tooMany } from "../support/backends.js";

const BACKENDS = [
  { url: "https://ptu.example.com", name: "ptu", priority: 1 },
  { url: "https://paygo.example.com", name: "paygo", priority: 2 },
];
const CHAT = "https://client.example.com/v1/chat/completions";
/** A failing backend that asks for 1 s (defaultCooldownMs here): its cooldown ends in a probe, as an ejection does. */
const WAIT_1S = { "retry-after-ms": "1000" };
const servedBy = async (response: Response) => ((await response.json()) as { by: string }).by;

/** Backends whose PTU answer the test sets; every call is counted. */
function backends(ptu: () => Response = () => ok({ by: "ptu" })) {
  const state = { ptu };
  const fake = new SimulatedBackends({
    "https://ptu.example.com": () => state.ptu(),
    "https://paygo.example.com": () => ok({ by: "paygo" }),
  });
  return { state, fake };
}

function balancer(shared: SharedState, fetch: FetchFunction, extra: Record<string, unknown> = {}) {
  const lb = createLoadBalancer({ backends: BACKENDS, fetch, shared, defaultCooldownMs: 1_000, ...extra });
  const events: LoadBalancerEvent[] = [];
  lb.on("*", (event) => events.push(event));
  return { lb, events };
}

beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] }));
afterEach(() => vi.useRealTimers());

describe("state shared between balancers", () => {
  it("one balancer's 429 cools the other: a remote cooldown event, and no request of the other reaches the PTU", async () => {
    const bus = new MemoryBus();
    const { state, fake } = backends();
    const a = balancer(bus.state(), fake.fetch);
    const b = balancer(bus.state(), fake.fetch);
    state.ptu = () => tooMany({ "retry-after": "20" });
    expect(await servedBy(await a.lb.fetch(CHAT, { method: "POST" }))).toBe("paygo");
    expect(bus.published).toEqual([
      { type: "cooldown", backend: "ptu", deployment: null, reason: "rate-limit", remainingMs: 20_000, failures: 0 },
    ]);
    expect(b.events).toEqual([
      expect.objectContaining({ type: "cooldown", remote: true, requestId: undefined, reason: "rate-limit" }),
    ]);
    expect(await servedBy(await b.lb.fetch(CHAT, { method: "POST" }))).toBe("paygo");
    expect(fake.calls("https://ptu.example.com")).toHaveLength(1);
  });

  it("a late joiner gets the current cooldowns when it connects", async () => {
    const bus = new MemoryBus();
    const { state, fake } = backends(() => tooMany({ "retry-after": "20" }));
    const a = balancer(bus.state(), fake.fetch);
    await a.lb.fetch(CHAT, { method: "POST" });
    await vi.advanceTimersByTimeAsync(5_000);
    state.ptu = () => ok({ by: "ptu" });
    const late = balancer(bus.state(), fake.fetch);
    const [ptu] = late.lb.snapshot().backends;
    expect(ptu).toMatchObject({ state: "cooling", reason: "rate-limit" });
    expect(ptu!.until! - late.lb.snapshot().at).toBe(15_000);
    expect(await servedBy(await late.lb.fetch(CHAT, { method: "POST" }))).toBe("paygo");
  });

  it("network errors and timeouts stay local: nothing is published", async () => {
    const bus = new MemoryBus();
    const { state, fake } = backends();
    state.ptu = () => {
      throw new TypeError("fetch failed");
    };
    const a = balancer(bus.state(), fake.fetch);
    const b = balancer(bus.state(), fake.fetch);
    await a.lb.fetch(CHAT, { method: "POST" });
    expect(a.lb.snapshot().backends[0]!.state).toBe("cooling");
    expect(bus.published).toEqual([]);
    expect(b.lb.snapshot().backends[0]!.state).toBe("available");
  });

  it("one process probes a failing backend for the fleet: the loser of the lease waits for the winner's verdict", async () => {
    const bus = new MemoryBus();
    const { state, fake } = backends(() => new Response(null, { status: 500, headers: WAIT_1S }));
    const a = balancer(bus.state(), fake.fetch);
    const b = balancer(bus.state(), fake.fetch);
    await a.lb.fetch(CHAT, { method: "POST" });
    expect(b.lb.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "server-error" });
    state.ptu = () => ok({ by: "ptu" });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(bus.claims.map((claim) => claim.won).sort()).toEqual([false, true]);
    const winner = bus.claims[0]!.won ? a : b;
    const loser = winner === a ? b : a;
    expect(await servedBy(await loser.lb.fetch(CHAT, { method: "POST" }))).toBe("paygo");
    expect(await servedBy(await winner.lb.fetch(CHAT, { method: "POST" }))).toBe("ptu");
    expect(bus.published.at(-1)).toEqual({ type: "recovered", backend: "ptu", deployment: null });
    expect(loser.lb.snapshot().backends[0]!.state).toBe("available");
    expect(await servedBy(await loser.lb.fetch(CHAT, { method: "POST" }))).toBe("ptu");
    expect(fake.calls("https://ptu.example.com")).toHaveLength(3);
  });

  it("a lost lease whose winner never reports runs out, and the loser claims again", async () => {
    const bus = new MemoryBus();
    const { fake } = backends(() => new Response(null, { status: 500, headers: WAIT_1S }));
    const a = balancer(bus.state(), fake.fetch, { attemptTimeoutMs: 5_000 });
    balancer(bus.state(), fake.fetch, { attemptTimeoutMs: 5_000 });
    await a.lb.fetch(CHAT, { method: "POST" });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(bus.claims).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(bus.claims.slice(2)).toEqual([{ backend: "ptu", deployment: null, won: true }]);
  });
});

describe("the holder of the probe lease", () => {
  it("is not brought back by a late success of an attempt sent before the failure: it probes, and its verdict brings the fleet back", async () => {
    const bus = new MemoryBus();
    const gate = new Gate();
    let ptu: Answer = gate.hold(() => ok({ by: "ptu" }));
    const fake = new SimulatedBackends({
      "https://ptu.example.com": (exchange) => ptu(exchange),
      "https://paygo.example.com": () => ok({ by: "paygo" }),
    });
    const a = balancer(bus.state(), fake.fetch);
    const b = balancer(bus.state(), fake.fetch);
    const late = a.lb.fetch(CHAT, { method: "POST" }); // in flight to the PTU, answered after the outage
    await vi.waitFor(() => expect(gate.waiting).toBe(1));
    ptu = () => new Response(null, { status: 500, headers: WAIT_1S });
    expect(await servedBy(await a.lb.fetch(CHAT, { method: "POST" }))).toBe("paygo"); // the PTU fails: 1 s, then a probe
    await vi.advanceTimersByTimeAsync(1_000);
    expect(bus.claims).toEqual([
      { backend: "ptu", deployment: null, won: true },
      { backend: "ptu", deployment: null, won: false },
    ]);
    ptu = () => ok({ by: "ptu" });
    gate.open(0);
    expect(await servedBy(await late)).toBe("ptu");
    // a, the lease holder, still owes the fleet a probe: its next request is that probe, and its verdict is shared.
    expect(a.lb.snapshot().backends[0]!.state).toBe("probing");
    expect(await servedBy(await a.lb.fetch(CHAT, { method: "POST" }))).toBe("ptu");
    expect(a.events.filter((event) => event.type === "probe")).toMatchObject([{ success: true }]);
    expect(bus.published.at(-1)).toEqual({ type: "recovered", backend: "ptu", deployment: null });
    expect(await servedBy(await b.lb.fetch(CHAT, { method: "POST" }))).toBe("ptu");
  });

  it("probes again when its probe failed and the next cooldown ends within its lease, without asking the store (which would say taken)", async () => {
    const bus = new MemoryBus();
    const { state, fake } = backends(() => new Response(null, { status: 500, headers: WAIT_1S }));
    const a = balancer(bus.state(), fake.fetch);
    await a.lb.fetch(CHAT, { method: "POST" }); // the PTU fails: 1 s, then a probe
    await vi.advanceTimersByTimeAsync(1_000);
    expect(bus.claims).toEqual([{ backend: "ptu", deployment: null, won: true }]);
    expect(await servedBy(await a.lb.fetch(CHAT, { method: "POST" }))).toBe("paygo"); // the probe failed: 1 s more
    state.ptu = () => ok({ by: "ptu" });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await servedBy(await a.lb.fetch(CHAT, { method: "POST" }))).toBe("ptu");
    expect(bus.claims).toHaveLength(1); // the lease (30 s) still held: no second claim, no 30 s without a probe
    expect(bus.published.at(-1)).toEqual({ type: "recovered", backend: "ptu", deployment: null });
  });

  it("knows the lease is its own when the store's yes came after it had started probing on its own", async () => {
    const bus = new MemoryBus();
    const slow = bus.state();
    // The store answers each claim 1.5 s late: the patience (1 s) runs out first, and this process probes.
    const shared: SharedState = {
      connect: (context) => {
        const connection = slow.connect(context) as SharedStateConnection;
        return {
          ...connection,
          claimProbe: (backend, deployment, ttlMs) =>
            new Promise<boolean>((resolve) =>
              setTimeout(() => resolve(connection.claimProbe(backend, deployment, ttlMs)), 1_500),
            ),
        };
      },
    };
    const { state, fake } = backends(() => new Response(null, { status: 500, headers: WAIT_1S }));
    const a = balancer(shared, fake.fetch);
    await a.lb.fetch(CHAT, { method: "POST" });
    await vi.advanceTimersByTimeAsync(2_500); // the cooldown (1 s), the patience (1 s), then the late yes (1.5 s)
    expect(bus.claims).toEqual([{ backend: "ptu", deployment: null, won: true }]);
    expect(await servedBy(await a.lb.fetch(CHAT, { method: "POST" }))).toBe("paygo"); // its probe fails: 1 s more
    state.ptu = () => ok({ by: "ptu" });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await servedBy(await a.lb.fetch(CHAT, { method: "POST" }))).toBe("ptu");
    expect(bus.claims).toHaveLength(1);
  });
});

describe("a store that misbehaves", () => {
  it("a publish that throws and a claim that never answers never fail or delay a request", async () => {
    const reported: unknown[] = [];
    const shared: SharedState = {
      connect: () => ({
        publish() {
          throw new Error("store down");
        },
        claimProbe: () => new Promise<boolean>(() => {}),
        close: async () => {},
      }),
    };
    const { state, fake } = backends(() => new Response(null, { status: 503, headers: WAIT_1S }));
    const { lb } = balancer(shared, fake.fetch, {
      logger: { error: (message: string, error?: unknown) => message.includes("shared") && reported.push(error) },
    });
    expect(await servedBy(await lb.fetch(CHAT, { method: "POST" }))).toBe("paygo");
    expect(reported).toEqual([new Error("store down")]);
    state.ptu = () => ok({ by: "ptu" });
    await vi.advanceTimersByTimeAsync(1_000);
    // The claim is pending: the PTU stays out, and the request is served at once by the next tier.
    expect(await servedBy(await lb.fetch(CHAT, { method: "POST" }))).toBe("paygo");
    await vi.advanceTimersByTimeAsync(1_000);
    // After a second without an answer, this process probes on its own.
    expect(await servedBy(await lb.fetch(CHAT, { method: "POST" }))).toBe("ptu");
  });

  it("a claim that rejects: this process probes at once", async () => {
    const shared: SharedState = {
      connect: () => ({
        publish() {},
        claimProbe: () => Promise.reject(new Error("store down")),
        close: async () => {},
      }),
    };
    const { state, fake } = backends(() => new Response(null, { status: 500, headers: WAIT_1S }));
    const { lb } = balancer(shared, fake.fetch);
    await lb.fetch(CHAT, { method: "POST" });
    state.ptu = () => ok({ by: "ptu" });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lb.snapshot().backends[0]!.state).toBe("probing");
    expect(await servedBy(await lb.fetch(CHAT, { method: "POST" }))).toBe("ptu");
  });

  it("a connect that throws leaves a balancer that works as a local one", async () => {
    const shared: SharedState = {
      connect: () => {
        throw new Error("no store");
      },
    };
    const { fake } = backends();
    const { lb } = balancer(shared, fake.fetch);
    expect(await servedBy(await lb.fetch(CHAT, { method: "POST" }))).toBe("ptu");
  });

  it("a remote cooldown cannot last longer than maxCooldownMs", () => {
    const bus = new MemoryBus();
    const { lb } = balancer(bus.state(), backends().fake.fetch, { maxCooldownMs: 60_000 });
    bus.inject({
      type: "cooldown",
      backend: "ptu",
      deployment: null,
      reason: "rate-limit",
      remainingMs: 1e15,
      failures: 0,
    });
    const snapshot = lb.snapshot();
    expect(snapshot.backends[0]!.until! - snapshot.at).toBe(60_000);
  });

  it("malformed or poisoned updates never throw, never cool longer than maxCooldownMs, never touch an unknown backend", () => {
    const bus = new MemoryBus();
    const { lb } = balancer(bus.state(), backends().fake.fetch, { maxCooldownMs: 60_000 });
    const plausible = fc.record(
      {
        type: fc.constantFrom("cooldown", "recovered", "other"),
        backend: fc.oneof(fc.constantFrom("ptu", "paygo", "ghost"), fc.string()),
        deployment: fc.oneof(fc.constant(null), fc.string(), fc.anything()),
        reason: fc.oneof(fc.constantFrom("rate-limit", "quota", "server-error", "timeout"), fc.string()),
        remainingMs: fc.oneof(fc.double(), fc.integer(), fc.anything()),
        failures: fc.oneof(fc.double(), fc.integer(), fc.anything()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.anything(), plausible), (raw) => {
        expect(() => bus.inject(raw)).not.toThrow();
        const snapshot = lb.snapshot();
        expect(snapshot.backends.map((backend) => backend.name)).toEqual(["ptu", "paygo"]);
        for (const backend of snapshot.backends) {
          for (const scope of [backend, ...backend.deployments]) {
            if (scope.until !== null) expect(scope.until - snapshot.at).toBeLessThanOrEqual(60_000);
            expect(Number.isFinite(scope.consecutiveFailures)).toBe(true);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it("updates about backends this balancer does not have change nothing", () => {
    const bus = new MemoryBus();
    const { lb, events } = balancer(bus.state(), backends().fake.fetch);
    fc.assert(
      fc.property(
        fc.string().filter((name) => name !== "ptu" && name !== "paygo"),
        fc.nat(),
        (backend, remainingMs) => {
          bus.inject({ type: "cooldown", backend, deployment: null, reason: "rate-limit", remainingMs, failures: 0 });
        },
      ),
    );
    expect(events).toEqual([]);
    expect(lb.snapshot().backends.every((backend) => backend.state === "available")).toBe(true);
  });
});

describe("a claim answered after close()", () => {
  it("arms no timer", async () => {
    let answer: ((won: boolean) => void) | undefined;
    const shared: SharedState = {
      connect: () => ({
        publish() {},
        claimProbe: () =>
          new Promise<boolean>((resolve) => {
            answer = resolve;
          }),
        close: async () => {},
      }),
    };
    const { lb } = balancer(shared, backends(() => new Response(null, { status: 500, headers: WAIT_1S })).fake.fetch);
    await lb.fetch(CHAT, { method: "POST" });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(answer).toBeDefined();
    await lb.close();
    answer!(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("the shared option", () => {
  it.each([{}, "redis", 1])("%s is a TypeError naming the field", (value) => {
    expect(() => createLoadBalancer({ backends: BACKENDS, shared: value as unknown as SharedState })).toThrow(
      expect.objectContaining({ name: "TypeError", message: expect.stringContaining("shared") }),
    );
  });

  it("the namespace is the same for the same backends in any order, and differs for others", () => {
    const namespaces: string[] = [];
    const record: SharedState = {
      connect: ({ namespace }) => {
        namespaces.push(namespace);
        return { publish() {}, claimProbe: async () => true, close: async () => {} };
      },
    };
    createLoadBalancer({ backends: BACKENDS, shared: record });
    createLoadBalancer({ backends: [...BACKENDS].reverse(), shared: record });
    createLoadBalancer({ backends: [BACKENDS[0]!], shared: record });
    expect(namespaces[0]).toMatch(/^[0-9a-f]{8}$/);
    expect(namespaces[1]).toBe(namespaces[0]);
    expect(namespaces[2]).not.toBe(namespaces[0]);
  });
});

describe("lb.close()", () => {
  it("ends the connection and every timer; afterwards fetch rejects with an InvalidStateError", async () => {
    const bus = new MemoryBus();
    const { fake } = backends(() => tooMany({ "retry-after": "20" }));
    const { lb } = balancer(bus.state(), fake.fetch);
    await lb.fetch(CHAT, { method: "POST" });
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    await lb.close();
    expect(bus.closed).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    await expect(lb.fetch(CHAT)).rejects.toMatchObject({ name: "InvalidStateError" });
    await lb.close();
    expect(bus.closed).toBe(1);
    bus.inject({
      type: "cooldown",
      backend: "paygo",
      deployment: null,
      reason: "rate-limit",
      remainingMs: 5,
      failures: 0,
    });
    expect(lb.snapshot().backends[1]!.state).toBe("available");
  });
});
