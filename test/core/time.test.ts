import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clampDelay, maxTimerDelay } from "../../src/utils/timers.js";
import { createLoadBalancer, type LoadBalancerEvent } from "../../src/index.js";
import { SimulatedBackends, ok, tooMany } from "../support/backends.js";

const BACKENDS = [
  { url: "https://ptu.example.com", name: "ptu", priority: 1 },
  { url: "https://paygo.example.com", name: "paygo", priority: 2 },
];
const servedBy = async (response: Response) => ((await response.json()) as { by: string }).by;

function ptuThenPaygo(ptuHeaders: Record<string, string>) {
  const state = { throttling: true };
  const fake = new SimulatedBackends({
    "https://ptu.example.com": () => (state.throttling ? tooMany(ptuHeaders) : ok({ by: "ptu" })),
    "https://paygo.example.com": () => ok({ by: "paygo" }),
  });
  const lb = createLoadBalancer({ backends: BACKENDS, fetch: fake.fetch });
  return { lb, state, fake };
}

describe("durations on a monotonic clock", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] }));
  afterEach(() => vi.useRealTimers());

  it("a wall clock set back an hour does not keep a backend out past its cooldown", async () => {
    const { lb, state } = ptuThenPaygo({ "retry-after": "60" });
    await lb.fetch("https://x/v1/chat/completions");
    state.throttling = false;
    vi.setSystemTime(Date.now() - 3_600_000);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(lb.snapshot().backends[0]!.state).toBe("cooling");
    await vi.advanceTimersByTimeAsync(1);
    expect(lb.snapshot().backends[0]!.state).toBe("available");
    expect(await servedBy(await lb.fetch("https://x/v1/chat/completions"))).toBe("ptu");
  });

  it("a wall clock set forward an hour does not end a cooldown early", async () => {
    const { lb, state } = ptuThenPaygo({ "retry-after": "60" });
    await lb.fetch("https://x/v1/chat/completions");
    state.throttling = false;
    vi.setSystemTime(Date.now() + 3_600_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await servedBy(await lb.fetch("https://x/v1/chat/completions"))).toBe("paygo");
  });

  it("an HTTP-date is turned into a duration once, on arrival, against the wall clock", async () => {
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 30_000).toUTCString();
    vi.setSystemTime(Math.ceil(Date.now() / 1000) * 1000);
    const { lb } = ptuThenPaygo({ "retry-after": at });
    const cooldowns: LoadBalancerEvent[] = [];
    lb.on("cooldown", (event) => cooldowns.push(event));
    await lb.fetch("https://x/v1/chat/completions");
    expect(cooldowns).toEqual([expect.objectContaining({ cooldownMs: 30_000 })]);
    vi.setSystemTime(Date.now() + 7_200_000); // past the date on the wall clock; the duration stands
    await vi.advanceTimersByTimeAsync(29_000);
    expect(lb.snapshot().backends[0]!.state).toBe("cooling");
  });

  it("event times and snapshot deadlines are epoch ms", async () => {
    const { lb } = ptuThenPaygo({ "retry-after": "5" });
    const before = Date.now();
    await lb.fetch("https://x/v1/chat/completions");
    const snapshot = lb.snapshot();
    expect(Math.abs(snapshot.at - before)).toBeLessThan(5);
    expect(snapshot.backends[0]!.until! - snapshot.at).toBe(5_000);
  });
});

describe("timers that cannot overflow", () => {
  it("every delay is clamped to what setTimeout holds; NaN and negatives become 0", () => {
    fc.assert(
      fc.property(fc.double(), (ms) => {
        const delay = clampDelay(ms);
        expect(delay >= 0 && delay <= maxTimerDelay).toBe(true);
        if (ms >= 0 && ms <= maxTimerDelay) expect(delay === ms).toBe(true); // -0 included
      }),
    );
    expect(clampDelay(Number.POSITIVE_INFINITY)).toBe(maxTimerDelay);
  });

  it("an attemptTimeoutMs longer than a timer holds (3e9 ms) is refused at creation instead of timing every attempt out", () => {
    expect(() => createLoadBalancer({ backends: BACKENDS, attemptTimeoutMs: 3e9 })).toThrow(TypeError);
    expect(() => createLoadBalancer({ backends: BACKENDS, attemptTimeoutMs: 3e9 })).toThrow(/attemptTimeoutMs/);
  });

  it("an attemptTimeoutMs at the timer ceiling (2^31-1 ms) does not time an attempt out at once", async () => {
    const lb = createLoadBalancer({
      backends: BACKENDS,
      attemptTimeoutMs: 2 ** 31 - 1,
      fetch: () => new Promise((resolve) => setTimeout(() => resolve(ok({ by: "ptu" })), 20)),
    });
    const response = await lb.fetch("https://x/v1/chat/completions");
    expect(await servedBy(response)).toBe("ptu");
  });
});

describe("a bound on one request's attempts", () => {
  it("sub-millisecond retry-after values do not become a retry storm", async () => {
    let calls = 0;
    const lb = createLoadBalancer({
      backends: BACKENDS,
      fetch: async () => {
        calls++;
        return tooMany({ "retry-after-ms": "0.001" });
      },
    });
    const response = await lb.fetch("https://x/v1/chat/completions");
    expect(response.status).toBe(429);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(10); // the default maxAttempts: max(10, 2 × backends)
  });

  it("maxAttempts bounds the fan-out across many backends; the caller gets the synthetic 429", async () => {
    let calls = 0;
    const lb = createLoadBalancer({
      backends: Array.from({ length: 8 }, (_, index) => ({ url: `https://b${index}.example.com` })),
      maxAttempts: 3,
      fetch: async () => {
        calls++;
        return new Response(null, { status: 503 });
      },
    });
    const exhausted: LoadBalancerEvent[] = [];
    lb.on("exhausted", (event) => exhausted.push(event));
    expect((await lb.fetch("https://x/v1/chat/completions")).status).toBe(429);
    expect(calls).toBe(3);
    expect(exhausted).toEqual([expect.objectContaining({ attempt: 3, waiting: false })]);
  });

  it.each([0, -1, 1.5, Number.NaN, "3"])("maxAttempts %s is a TypeError naming the field", (value) => {
    expect(() => createLoadBalancer({ backends: BACKENDS, maxAttempts: value as number })).toThrow(
      expect.objectContaining({ name: "TypeError", message: expect.stringContaining("maxAttempts") }),
    );
  });
});
