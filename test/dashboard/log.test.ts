import { afterEach, beforeEach, describe as group, expect, it, vi } from "vitest";
import { plural, reasonLabel } from "../../dashboard/format.js";
import { describe, EventLog } from "../../dashboard/log.js";
import type { LoadBalancerEvent } from "../../src/index.js";
import { createFakeBalancer } from "./fake-balancer.js";
import { mount, nextFrame } from "./render.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const backend = { name: "ptu", url: "https://ptu.example", priority: 1, weight: 1 };
const event = (fields: Record<string, unknown>): LoadBalancerEvent =>
  ({ at: 0, requestId: 1, deployment: null, backend, ...fields }) as unknown as LoadBalancerEvent;

group("log lines", () => {
  it("describes each outcome of an attempt", () => {
    expect(describe(event({ type: "outcome", result: "response", status: 429, durationMs: 41.6 }))).toBe(
      "#1 ptu answered 429 in 42 ms",
    );
    expect(describe(event({ type: "outcome", result: "failure", reason: "network-error", durationMs: 3 }))).toBe(
      "#1 ptu failed: network error in 3 ms",
    );
    expect(describe(event({ type: "outcome", result: "aborted", durationMs: 10 }))).toBe("#1 ptu aborted in 10 ms");
  });

  it("describes stream events with their cause and code", () => {
    expect(
      describe(event({ type: "stream", kind: "failover", cause: "in-band-error", code: "server_error", afterMs: 120 })),
    ).toBe("#1 stream from ptu: failover (in band error: server_error) after 120 ms");
    expect(describe(event({ type: "stream", kind: "idle-timeout", afterMs: 30_000 }))).toBe(
      "#1 stream from ptu: idle timeout after 30000 ms",
    );
  });

  it("describes waits in the queue and pacing: why, how long, how many", () => {
    expect(describe(event({ type: "queued", reason: "paced", waiting: 3, retryAfterMs: 250 }))).toBe(
      "#1 waits: all paced",
    );
    expect(describe(event({ type: "dequeued", result: "resumed", waitedMs: 1200, waiting: 0 }))).toBe(
      "#1 resumed after 2 s",
    );
    expect(describe(event({ type: "dequeued", result: "aborted", waitedMs: 0, waiting: 0 }))).toBe(
      "#1 aborted after 0 s",
    );
    expect(describe(event({ type: "paced", requestId: undefined, allowed: 3, basis: "configured" }))).toBe(
      "ptu: at most 3 in flight, from rpm/tpm",
    );
    expect(describe(event({ type: "paced", requestId: undefined, deployment: "gpt-4o", allowed: null }))).toBe(
      "ptu (gpt-4o): no limit",
    );
  });

  it("names the new cooldown reasons, and a quota 429 as a rate limit", () => {
    expect(reasonLabel("stream")).toBe("stream failed");
    expect(reasonLabel("rule")).toBe("matched a cooldown rule");
    expect(reasonLabel("redirect")).toBe("redirected");
    expect(reasonLabel("quota")).toMatch(/^rate limit/);
  });

  it("uses English plural rules", () => {
    expect(plural(1, "backend")).toBe("1 backend");
    expect(plural(0, "backend")).toBe("0 backends");
    expect(plural(2, "backend")).toBe("2 backends");
  });
});

group("EventLog", () => {
  const exhausted = (requestId: number): LoadBalancerEvent =>
    event({ type: "exhausted", requestId, waiting: false, retryAfterMs: 5000 });

  it("groups repeats that differ only in their request id into one line with a count", () => {
    const log = new EventLog();
    for (let id = 1; id <= 20; id++) log.add(exhausted(id));
    expect(log.recent()).toHaveLength(1);
    expect(log.recent()[0]).toMatchObject({ count: 20, text: "all cooling: synthetic 429 (retry in 5 s)" });
    expect(log.total).toBe(20);
  });

  it("keeps attempts apart (each traces a request) and starts a new group after another line", () => {
    const log = new EventLog();
    log.add(event({ type: "attempt", requestId: 1, attempt: 1 }));
    log.add(event({ type: "attempt", requestId: 2, attempt: 1 }));
    log.add(exhausted(3));
    log.add(event({ type: "attempt", requestId: 4, attempt: 1 }));
    log.add(exhausted(5));
    expect(log.recent().map((entry) => entry.count)).toEqual([1, 1, 1, 1, 1]);
  });

  it("leaves a line taken before a repeat as it was", () => {
    const log = new EventLog();
    log.add(exhausted(1));
    const before = log.recent();
    log.add(exhausted(2));
    expect(before[0]?.count).toBe(1);
    expect(log.recent()[0]?.count).toBe(2);
  });
});

group("the log in the widget", () => {
  it('shows a group of repeats once, with "× 20"', () => {
    const lb = createFakeBalancer();
    const mounted = mount(lb);
    try {
      for (let id = 1; id <= 20; id++)
        lb.emit(event({ type: "exhausted", requestId: id, waiting: false, retryAfterMs: 5000 }));
      nextFrame();
      expect(mounted.all(".log li")).toHaveLength(1);
      expect(mounted.text(".log li .repeats")).toBe("× 20");
    } finally {
      mounted.unmount();
    }
  });
});
