import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HeaderDeadlines, SWEEP_MS } from "../../src/core/deadlines.js";
import { LatencySketch } from "../../src/core/latency.js";

describe("the header deadlines' sweep", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }));
  afterEach(() => vi.useRealTimers());

  it("expires exactly the watches past their deadline, within one sweep, and stops when none is left", async () => {
    const clock = { now: 0 };
    const deadlines = new HeaderDeadlines(() => clock.now);
    const never = new Promise<never>(() => {});
    const watches = [1_000, 3_000, 5_000].map((deadline) => deadlines.watch(deadline, undefined));
    const outcomes = watches.map((watch) => watch.race(never).catch((error: DOMException) => error.name));
    watches[2]!.end(); // its headers arrived
    watches[2]!.end(); // twice is harmless
    clock.now = 3_000;
    await vi.advanceTimersByTimeAsync(SWEEP_MS);
    expect(watches.map((watch) => watch.expired)).toEqual([true, true, false]);
    expect(await Promise.all(outcomes.slice(0, 2))).toEqual(["TimeoutError", "TimeoutError"]);
    await vi.advanceTimersByTimeAsync(SWEEP_MS);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("the caller's abort wins at once, and a value that comes late is handed to onLate", async () => {
    const deadlines = new HeaderDeadlines(() => 0);
    const controller = new AbortController();
    const watch = deadlines.watch(10_000, controller.signal);
    let resolve!: (value: string) => void;
    const late: string[] = [];
    const raced = watch.race(new Promise<string>((r) => (resolve = r)), (value) => late.push(value));
    controller.abort(new Error("gave up"));
    await expect(raced).rejects.toThrow("gave up");
    resolve("response");
    await Promise.resolve();
    expect(late).toEqual(["response"]);
    watch.end();
    deadlines.stop();
  });
});

describe("the latency sketch", () => {
  it("its p99 is an upper bound within √2 of the true value", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 60, max: 100_000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        (samples) => {
          const sketch = new LatencySketch();
          for (const ms of samples) sketch.record(ms);
          const sorted = [...samples].sort((a, b) => a - b);
          const truth = sorted[Math.ceil(0.99 * sorted.length) - 1]!;
          const estimate = sketch.quantile(0.99)!;
          expect(estimate).toBeGreaterThanOrEqual(truth * 0.999);
          expect(estimate).toBeLessThanOrEqual(Math.max(truth * Math.SQRT2 * 1.001, 50));
        },
      ),
    );
  });

  it("forgets by halving: it follows a backend that became slow", () => {
    const sketch = new LatencySketch();
    for (let i = 0; i < 5_000; i++) sketch.record(100);
    for (let i = 0; i < 3_000; i++) sketch.record(20_000);
    expect(sketch.quantile(0.5)).toBeGreaterThanOrEqual(20_000);
    expect(sketch.size).toBeLessThan(1_024);
  });
});
