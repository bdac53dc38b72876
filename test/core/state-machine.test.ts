import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Breaker, type BreakerHost } from "../../src/core/breaker.js";
import { Emitter } from "../../src/core/events.js";
import type { LoadBalancerEvent } from "../../src/index.js";

const INFO = Object.freeze({ name: "ptu", url: "https://ptu.example.com", priority: 1, weight: 1 });
const CAUSE = { requestId: 7, attempt: 1 };

/** A breaker on a clock the test moves, recording every event it emits. */
function setup(overrides: Partial<BreakerHost> = {}) {
  const clock = { now: 1_000 };
  const events: LoadBalancerEvent[] = [];
  const emitter = new Emitter((error) => {
    throw error;
  });
  emitter.on("*", (event) => events.push(event));
  const host: BreakerHost = {
    now: () => clock.now,
    events: emitter,
    failureThreshold: 3,
    defaultCooldownMs: 10_000,
    maxCooldownMs: 60_000,
    probeLeaseMs: 5_000,
    nextDeadline: Number.POSITIVE_INFINITY,
    shared: undefined,
    closed: false,
    ...overrides,
  };
  const breaker = new Breaker(host, INFO, "gpt-4o");
  return { clock, events, breaker, host };
}

beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }));
afterEach(() => vi.useRealTimers());

describe("the breaker state machine", () => {
  it("a 429 cools for exactly its retry-after, with one cooldown event, and is back without a probe when it ends", () => {
    const { clock, events, breaker } = setup();
    breaker.fail("rate-limit", 2_000, 429, CAUSE, false);
    expect(breaker.state).toEqual({
      kind: "cooling",
      reason: "rate-limit",
      since: 1_000,
      until: 3_000,
      hits: 1,
      probe: false,
    });
    expect(events).toEqual([
      {
        type: "cooldown",
        at: 1_000,
        backend: INFO,
        deployment: "gpt-4o",
        reason: "rate-limit",
        status: 429,
        cooldownMs: 2_000,
        until: 3_000,
        consecutiveFailures: 0,
        ejected: false,
        remote: false,
        requestId: 7,
      },
    ]);
    clock.now = 2_999;
    breaker.advance(clock.now);
    expect(breaker.state.kind).toBe("cooling");
    clock.now = 3_000;
    breaker.advance(clock.now);
    expect(breaker.state.kind).toBe("available");
    expect(events.at(-1)).toEqual({
      type: "recovery",
      at: 3_000,
      backend: INFO,
      deployment: "gpt-4o",
      downMs: 2_000,
      hits: 1,
    });
    expect(breaker.consecutiveFailures).toBe(0);
  });

  it("reads are pure: past the deadline, admits, waitMs, view and reason change nothing and emit nothing", () => {
    const { clock, events, breaker } = setup();
    breaker.fail("server-error", 1_000, 500, CAUSE, false);
    clock.now = 10_000;
    const before = breaker.state;
    expect([breaker.admits(), breaker.waitMs(clock.now), breaker.view(), breaker.reason]).toEqual([
      false,
      0,
      "cooling",
      "server-error",
    ]);
    expect(breaker.state).toBe(before);
    expect(events).toHaveLength(1);
  });

  it("the timer ends the cooldown when the clock reaches the deadline, with no request to trigger it", () => {
    const { clock, events, breaker } = setup();
    breaker.fail("rate-limit", 500, 429, CAUSE, false);
    clock.now += 500;
    vi.advanceTimersByTime(500);
    expect(breaker.state.kind).toBe("available");
    expect(events.map((event) => event.type)).toEqual(["cooldown", "recovery"]);
  });

  it("a failure's cooldown ends in probing: one probe at a time; its success brings the breaker back and resets the count", () => {
    const { clock, events, breaker } = setup();
    breaker.fail("server-error", 1_000, 503, CAUSE, false);
    clock.now += 1_000;
    breaker.advance(clock.now);
    expect(breaker.state).toEqual({ kind: "probing", reason: "server-error", inFlight: false });
    expect(breaker.admits()).toBe(true);
    expect(breaker.startAttempt()).toBe(true);
    expect(breaker.admits()).toBe(false);
    expect(breaker.startAttempt()).toBe(false);
    breaker.succeed({ requestId: 8, attempt: 2 }, true);
    expect(breaker.state.kind).toBe("available");
    expect(breaker.consecutiveFailures).toBe(0);
    expect(events.at(-1)).toEqual({
      type: "probe",
      at: 2_000,
      requestId: 8,
      attempt: 2,
      backend: INFO,
      deployment: "gpt-4o",
      success: true,
    });
  });

  it("a failed probe cools again with the count raised; a released probe frees the slot without a verdict", () => {
    const { clock, events, breaker } = setup();
    breaker.fail("timeout", 1_000, undefined, CAUSE, false);
    clock.now += 1_000;
    breaker.advance(clock.now);
    breaker.startAttempt();
    breaker.releaseProbe();
    expect(breaker.state).toEqual({ kind: "probing", reason: "timeout", inFlight: false });
    expect(breaker.startAttempt()).toBe(true);
    breaker.fail("timeout", 1_000, undefined, CAUSE, true);
    expect(breaker.state).toMatchObject({ kind: "cooling", until: 3_000 });
    expect(breaker.consecutiveFailures).toBe(2);
    expect(events.map((event) => event.type)).toEqual(["cooldown", "recovery", "probe", "cooldown"]);
    expect(events[2]).toMatchObject({ type: "probe", success: false });
  });

  it("failures while already cooling are one outage: the later deadline, more hits, no second event or count", () => {
    const { clock, events, breaker } = setup();
    breaker.fail("server-error", 5_000, 500, CAUSE, false);
    clock.now += 100;
    breaker.fail("server-error", 1_000, 500, CAUSE, false);
    breaker.fail("rate-limit", 9_000, 429, CAUSE, false);
    expect(breaker.state).toEqual({
      kind: "cooling",
      reason: "rate-limit",
      since: 1_000,
      until: 10_100,
      hits: 3,
      probe: false,
    });
    expect(breaker.consecutiveFailures).toBe(1);
    expect(events).toHaveLength(1);
  });

  it("from the threshold the cooldown doubles up to maxCooldownMs and the state is ejected", () => {
    const { clock, breaker } = setup({ maxCooldownMs: 10_000 });
    const lengths: number[] = [];
    for (let i = 0; i < 6; i++) {
      breaker.fail("network-error", 1_000, undefined, CAUSE, false);
      const state = breaker.state as { kind: string; until: number };
      lengths.push(state.until - clock.now);
      clock.now = state.until;
      breaker.advance(clock.now);
    }
    expect(lengths).toEqual([1_000, 1_000, 2_000, 4_000, 8_000, 10_000]);
    breaker.fail("network-error", 1_000, undefined, CAUSE, false);
    expect(breaker.view()).toBe("ejected");
  });

  it("escalation never yields NaN or Infinity, whatever the count and base (1 026 failures with a 0 ms base)", () => {
    for (const base of [0, 1, 1e300]) {
      const { clock, breaker } = setup({ failureThreshold: 1 });
      for (let i = 0; i < 1_026; i++) {
        breaker.fail("server-error", base, 500, CAUSE, false);
        const state = breaker.state as { until: number };
        expect(Number.isFinite(state.until)).toBe(true);
        expect(state.until - clock.now).toBeLessThanOrEqual(60_000);
        clock.now = state.until;
        breaker.advance(clock.now);
      }
      expect(breaker.consecutiveFailures).toBe(1_026);
    }
  });

  it("a remote cooldown merges by the later deadline and emits a remote event only on the way in", () => {
    const { clock, events, breaker } = setup();
    breaker.coolRemotely({ reason: "rate-limit", remainingMs: 3_000, failures: 0 });
    breaker.coolRemotely({ reason: "rate-limit", remainingMs: 1_000, failures: 0 });
    expect(breaker.state).toMatchObject({ kind: "cooling", until: 4_000 });
    breaker.coolRemotely({ reason: "rate-limit", remainingMs: 5_000, failures: 0 });
    expect(breaker.state).toMatchObject({ kind: "cooling", until: 6_000 });
    expect(events).toEqual([
      expect.objectContaining({
        type: "cooldown",
        remote: true,
        requestId: undefined,
        until: 4_000,
        cooldownMs: 3_000,
      }),
    ]);
    clock.now = 6_000;
    breaker.advance(clock.now);
    expect(breaker.state.kind).toBe("available");
  });

  it("a remote recovery ends a failure's cooldown or probe, never a 429's deadline", () => {
    const { breaker } = setup();
    breaker.fail("rate-limit", 5_000, 429, CAUSE, false);
    breaker.recoverRemotely();
    expect(breaker.state.kind).toBe("cooling");
    const other = setup().breaker;
    other.fail("server-error", 5_000, 500, CAUSE, false);
    other.recoverRemotely();
    expect(other.state.kind).toBe("available");
  });

  it("a cooldown longer than a timer can hold arms its timer with at most 2^31-1 ms", () => {
    const spy = vi.spyOn(globalThis, "setTimeout");
    const { breaker } = setup({ maxCooldownMs: 30 * 86_400_000 });
    breaker.fail("rate-limit", 30 * 86_400_000, 429, CAUSE, false);
    const delays = spy.mock.calls.map((call) => call[1] as number);
    expect(delays.length).toBeGreaterThan(0);
    expect(Math.max(...delays)).toBe(2_147_483_647);
    spy.mockRestore();
  });
});
