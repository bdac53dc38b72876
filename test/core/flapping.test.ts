import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLoadBalancer, type LoadBalancerEvent } from "../../src/index.js";
import { answer, Gate, ok, SimulatedBackends, unreachable } from "../support/backends.js";
import { MemoryBus } from "../support/memory-shared-state.js";

const served = (name: string) => () => ok({}, { headers: { "x-host": name } });
const host = (response: Response): string | null => response.headers.get("x-host");

beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] }));
afterEach(() => vi.useRealTimers());

type Answer = NonNullable<ConstructorParameters<typeof SimulatedBackends>[0]>[string];

/** A primary that fails with `failure` while `state.down` (then answers `state.recovered`), and a healthy tier 2. */
function primaryAndSpare(failure: Answer) {
  const state: { down: boolean; recovered: Answer } = { down: true, recovered: served("primary") };
  const backends = new SimulatedBackends({
    "https://primary.example.com": (exchange) => (state.down ? failure(exchange) : state.recovered(exchange)),
    "https://spare.example.com": served("spare"),
  });
  const lb = createLoadBalancer({
    backends: [{ url: "https://primary.example.com" }, { url: "https://spare.example.com", priority: 2 }],
    fetch: backends.fetch,
  });
  const events: LoadBalancerEvent[] = [];
  lb.on("*", (event) => events.push(event));
  return { lb, state, backends, events };
}

describe("a flapping primary comes back", () => {
  it.each([
    ["refused connections", unreachable],
    ["500s", answer(500)],
  ])("down for 60 s (%s), it serves again within defaultCooldownMs (10 s) of its recovery", async (_, failure) => {
    const { lb, state, backends } = primaryAndSpare(failure);
    let backAt: number | undefined;
    let duringOutage = 0;
    for (let t = 0; t <= 80_000; t += 250) {
      if (t === 60_000) {
        state.down = false;
        duringOutage = backends.calls("https://primary.example.com").length;
      }
      const response = await lb.fetch("https://x/v1/chat/completions", { method: "POST", body: "{}" });
      expect(response.status).toBe(200); // never a lost request: tier 2 serves meanwhile
      if (backAt === undefined && host(response) === "primary") backAt = t;
      await vi.advanceTimersByTimeAsync(250);
    }
    expect(backAt).toBeGreaterThanOrEqual(60_000);
    expect(backAt).toBeLessThanOrEqual(70_000);
    // The outage cost few calls (of 240 requests): at most one probe per defaultCooldownMs once ejected.
    expect(duringOutage).toBeLessThan(20);
  });

  it("5xx without a retry header: 10 ms alone, doubling from the third in a row, up to defaultCooldownMs", async () => {
    const { lb, events } = primaryAndSpare(answer(500));
    for (let i = 0; i < 12; i++) {
      await lb.fetch("https://x/", { method: "POST", body: "{}" });
      const last = events.filter((event) => event.type === "cooldown").at(-1) as { cooldownMs: number };
      await vi.advanceTimersByTimeAsync(last.cooldownMs);
    }
    const cooldowns = events.flatMap((event) =>
      event.type === "cooldown" ? [[event.cooldownMs, event.consecutiveFailures, event.ejected]] : [],
    );
    expect(cooldowns).toEqual([
      [10, 1, false],
      [10, 2, false],
      [20, 3, true],
      [40, 4, true],
      [80, 5, true],
      [160, 6, true],
      [320, 7, true],
      [640, 8, true],
      [1_280, 9, true],
      [2_560, 10, true],
      [5_120, 11, true],
      [10_000, 12, true],
    ]);
  });

  it("a 500 alone pauses its backend for 10 ms and it comes back into full rotation without a probe", async () => {
    let calls = 0;
    const gate = new Gate();
    const primary = gate.hold(served("primary"));
    const { fetch } = new SimulatedBackends({
      "https://primary.example.com": (exchange) => (++calls === 1 ? answer(500)(exchange) : primary(exchange)),
      "https://spare.example.com": served("spare"),
    });
    const lb = createLoadBalancer({
      backends: [{ url: "https://primary.example.com" }, { url: "https://spare.example.com", priority: 2 }],
      fetch,
    });
    expect(host(await lb.fetch("https://x/"))).toBe("spare");
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "server-error" });
    await vi.advanceTimersByTimeAsync(10);
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "available", consecutiveFailures: 1 });
    const pending = [lb.fetch("https://x/"), lb.fetch("https://x/"), lb.fetch("https://x/")];
    await vi.waitFor(() => expect(gate.waiting).toBe(3));
    gate.openAll();
    expect((await Promise.all(pending)).map(host)).toEqual(["primary", "primary", "primary"]);
    expect(lb.snapshot().backends[0]!.consecutiveFailures).toBe(0);
  });

  it("once ejected, the probe stays single: one request tries the primary, the others go on to tier 2", async () => {
    const gate = new Gate();
    const { lb, state, events } = primaryAndSpare(answer(503));
    for (let i = 0; i < 3; i++) {
      await lb.fetch("https://x/");
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "probing", consecutiveFailures: 3 });
    state.down = false;
    state.recovered = gate.hold(served("primary"));
    const probe = lb.fetch("https://x/");
    await vi.waitFor(() => expect(gate.waiting).toBe(1));
    const others = await Promise.all([lb.fetch("https://x/"), lb.fetch("https://x/")]);
    expect(others.map(host)).toEqual(["spare", "spare"]);
    gate.openAll();
    expect(host(await probe)).toBe("primary");
    expect(events.filter((event) => event.type === "probe")).toMatchObject([{ success: true }]);
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "available", consecutiveFailures: 0 });
  });

  it("a refused connection is not a blip: defaultCooldownMs, not escalated past it, and each cooldown ends in a probe", async () => {
    const { lb, events } = primaryAndSpare(unreachable);
    for (let i = 0; i < 5; i++) {
      await lb.fetch("https://x/");
      expect(lb.snapshot().backends[0]!.state).toMatch(/cooling|ejected/);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(lb.snapshot().backends[0]!.state).toBe("probing");
    }
    const cooldowns = events.flatMap((event) => (event.type === "cooldown" ? [event.cooldownMs] : []));
    expect(cooldowns).toEqual([10_000, 10_000, 10_000, 10_000, 10_000]);
  });

  it("a 503 with the server's own wait keeps that wait, and its cooldown ends in a probe", async () => {
    const { lb } = primaryAndSpare(answer(503, { "retry-after": "3" }));
    await lb.fetch("https://x/");
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", consecutiveFailures: 1 });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(lb.snapshot().backends[0]!.state).toBe("probing");
  });

  it("a lone 500's pause is not published to other processes; an ejection is", async () => {
    const bus = new MemoryBus();
    const { fetch } = new SimulatedBackends({
      "https://primary.example.com": answer(500),
      "https://spare.example.com": served("spare"),
    });
    const lb = createLoadBalancer({
      backends: [
        { url: "https://primary.example.com", name: "primary" },
        { url: "https://spare.example.com", priority: 2 },
      ],
      fetch,
      shared: bus.state(),
    });
    for (let i = 0; i < 3; i++) {
      await lb.fetch("https://x/");
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(bus.published).toEqual([
      expect.objectContaining({ type: "cooldown", backend: "primary", reason: "server-error", failures: 3 }),
    ]);
    await lb.close();
  });
});
