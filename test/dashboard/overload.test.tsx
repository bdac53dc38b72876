import { expect, it, vi } from "vitest";
import type { LoadBalancerEvent, PacingSnapshot } from "../../src/index.js";
import { backendSnapshot, createFakeBalancer } from "./fake-balancer.js";
import { advance, mount, nextFrame, useFakeClock } from "./render.js";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
useFakeClock(T0);

const pacing = (fields: Partial<PacingSnapshot>): PacingSnapshot => ({
  allowed: 5,
  reserved: 3,
  remainingRequests: null,
  remainingTokens: null,
  reservedTokens: 0,
  basis: "headers",
  ...fields,
});
const queued = (requestId: number, waiting: number): LoadBalancerEvent => ({
  type: "queued",
  at: Date.now(),
  requestId,
  attempt: 1,
  reason: "cooling",
  waiting,
  retryAfterMs: 5000,
});

it("shows no queue until a request has waited, then requests waiting, the oldest wait ticking, and the longest wait", () => {
  const lb = createFakeBalancer();
  const mounted = mount(lb);
  expect(mounted.all(".queue")).toHaveLength(0);

  lb.setQueue({ waiting: 2, oldestWaitMs: 3000, maxWaitedMs: 3000 });
  lb.emit(queued(1, 1));
  lb.emit(queued(2, 2));
  nextFrame();
  expect(mounted.text(".header .queue")).toBe("2 requests waiting, oldest 3 s · max 3 s");

  // No event while they wait: the oldest wait is read again every second.
  lb.setQueue({ waiting: 2, oldestWaitMs: 4000, maxWaitedMs: 4000 });
  advance(1000);
  expect(mounted.text(".queue")).toBe("2 requests waiting, oldest 4 s · max 4 s");

  lb.setQueue({ waiting: 1, oldestWaitMs: 1000, maxWaitedMs: 65_000 });
  lb.emit({ type: "dequeued", at: T0, requestId: 1, attempt: 1, result: "resumed", waitedMs: 65_000, waiting: 1 });
  nextFrame();
  expect(mounted.text(".queue")).toBe("1 request waiting, oldest 1 s · max 1 m 5 s");

  // Nobody waits any more: the longest wait stays, and the header no longer ticks for the queue.
  lb.setQueue({ waiting: 0, oldestWaitMs: 0, maxWaitedMs: 65_000 });
  lb.emit({ type: "dequeued", at: T0, requestId: 2, attempt: 1, result: "aborted", waitedMs: 2000, waiting: 0 });
  nextFrame();
  expect(mounted.text(".queue")).toBe("0 requests waiting · max 1 m 5 s");
  expect(mounted.get(".queue").dataset.waiting).toBe("0");
  expect(vi.getTimerCount()).toBe(0);
});

it("shows no queue for the snapshot of a balancer of an older version, which has none", () => {
  const lb = createFakeBalancer();
  const snapshot = lb.snapshot;
  const mounted = mount({ on: lb.on, snapshot: () => ({ ...snapshot(), queue: undefined as never }) });
  expect(mounted.all(".queue")).toHaveLength(0);
  expect(mounted.text(".summary")).toBe("1 backend · all available");
});

it("shows pacing on each paced backend and deployment row: in flight of allowed, where the limit comes from, tokens left", () => {
  const lb = createFakeBalancer([
    backendSnapshot({
      name: "ptu",
      pacing: pacing({ remainingTokens: 1200 }),
      deployments: [
        {
          name: "gpt-4o",
          state: "available",
          until: null,
          reason: null,
          consecutiveFailures: 0,
          // Azure has been seen sending -1 remaining tokens: not shown.
          pacing: pacing({ allowed: 1, reserved: 1, basis: "learned", remainingTokens: -1 }),
        },
        { name: "gpt-4o-mini", state: "available", until: null, reason: null, consecutiveFailures: 0, pacing: null },
      ],
    }),
    backendSnapshot({
      name: "paygo",
      priority: 2,
      pacing: pacing({ allowed: null, reserved: 2, basis: "configured" }),
    }),
    backendSnapshot({ name: "spare", priority: 3, pacing: null }),
  ]);
  const mounted = mount(lb);
  const ptu = '[data-backend="ptu"]';
  expect(mounted.all(`${ptu} > .pacing`).map((el) => el.textContent)).toEqual([
    "3 of 5 in flight · from headers · 1200 tokens left",
  ]);
  expect(mounted.text(`${ptu} [data-deployment="gpt-4o"] .pacing`)).toBe("1 of 1 in flight · learned from 429s");
  expect(mounted.all(`${ptu} [data-deployment="gpt-4o-mini"] .pacing`)).toHaveLength(0);
  expect(mounted.text('[data-backend="paygo"] .pacing')).toBe("2 in flight · from rpm/tpm");
  expect(mounted.all('[data-backend="spare"] .pacing')).toHaveLength(0);
});

it("logs queued, dequeued and paced events readably, repeats grouped", () => {
  const lb = createFakeBalancer();
  const mounted = mount(lb);
  const backend = { name: "ptu", url: "https://ptu.example", priority: 1, weight: 1 };
  for (let id = 1; id <= 3; id++) lb.emit(queued(id, id));
  lb.emit({ type: "paced", at: T0, backend, deployment: "gpt-4o", allowed: 4, basis: "headers" });
  lb.emit({ type: "dequeued", at: T0, requestId: 1, attempt: 1, result: "timed-out", waitedMs: 30_000, waiting: 2 });
  lb.emit({ type: "paced", at: T0, backend, deployment: null, allowed: null, basis: "learned" });
  nextFrame();
  const lines = mounted
    .all(".log li")
    .map((li) => [li.dataset.type, li.querySelector(".text")?.textContent, li.querySelector(".repeats")?.textContent]);
  expect(lines).toEqual([
    ["paced", "ptu: no limit", undefined],
    ["dequeued", "#1 timed out after 30 s", undefined],
    ["paced", "ptu (gpt-4o): at most 4 in flight, from headers", undefined],
    ["queued", "waits: all cooling", " × 3"],
  ]);
});
