import { describe, expect, it, vi } from "vitest";
import { createLoadBalancer, type FetchFunction, type LoadBalancerEvent } from "../../src/index.js";
import { backendSnapshot, createFakeBalancer } from "./fake-balancer.js";
import { advance, click, mount, nextFrame, useFakeClock } from "./render.js";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

/** Backends answer from a script keyed by host; unknown hosts answer 200. */
function scriptedFetch(script: Record<string, Array<() => Response>>): FetchFunction {
  return async (input) => {
    const host = new URL(String(input)).host;
    const next = script[host]?.shift();
    return next ? next() : Response.json({ ok: true });
  };
}

const rateLimited = (ms: number) => (): Response =>
  new Response("{}", { status: 429, headers: { "retry-after-ms": String(ms) } });
const serverError = () => (): Response => new Response("{}", { status: 503 });

const backends = [
  { name: "far", url: "https://far.example", priority: 3 },
  { name: "paygo-a", url: "https://paygo-a.example", priority: 2 },
  { name: "ptu", url: "https://ptu.example", priority: 1 },
  { name: "paygo-b", url: "https://paygo-b.example", priority: 2 },
];

useFakeClock(T0);

describe("tiers and states", () => {
  it("lists tiers in priority order, whatever the configuration order", () => {
    const mounted = mount(createLoadBalancer({ backends }));
    expect(mounted.all(".tier").map((tier) => tier.dataset.priority)).toEqual(["1", "2", "3"]);
    expect(mounted.all(".backend").map((row) => row.dataset.backend)).toEqual(["ptu", "paygo-a", "paygo-b", "far"]);
  });

  it("shows a backend that answered 429 as cooling, with the reason and a countdown that ticks down every second", async () => {
    const lb = createLoadBalancer({
      backends,
      fetch: scriptedFetch({ "ptu.example": [rateLimited(30_000)] }),
      random: () => 0,
    });
    const mounted = mount(lb);
    await lb.fetch("https://ptu.example/openai/chat", { method: "POST", body: "{}" });
    nextFrame();

    const row = '[data-backend="ptu"]';
    expect(mounted.get(row).dataset.state).toBe("cooling");
    expect(mounted.text(`${row} .state`)).toBe("cooling · 30 s");
    expect(mounted.text(`${row} .reason`)).toMatch(/^rate limit/);

    advance(1000);
    expect(mounted.text(`${row} .countdown`)).toBe("29 s");
    advance(5000);
    expect(mounted.text(`${row} .countdown`)).toBe("24 s");

    // The cooldown ends: no countdown; after a 429 the backend is back in rotation at once.
    advance(24_000);
    expect(mounted.get(row).dataset.state).toBe("available");
    expect(mounted.all(`${row} .countdown`)).toHaveLength(0);
    expect(mounted.text(".log li:first-child .text")).toBe("ptu cooldown over after 30 s");
  });

  it("shows a failing backend probing once its cooldown ends, and back in rotation when the probe succeeds", async () => {
    const lb = createLoadBalancer({
      backends,
      // A 503 with the server's wait: its cooldown ends in a probe (one without a wait is only paused).
      fetch: scriptedFetch({
        "ptu.example": [() => new Response("{}", { status: 503, headers: { "retry-after": "10" } })],
      }),
      random: () => 0,
      defaultCooldownMs: 10_000,
    });
    const mounted = mount(lb);
    await lb.fetch("https://ptu.example/openai/chat", { method: "POST", body: "{}" });
    nextFrame();
    const row = '[data-backend="ptu"]';
    expect(mounted.get(row).dataset.state).toBe("cooling");
    advance(10_000);
    expect(mounted.get(row).dataset.state).toBe("probing");
    await lb.fetch("https://ptu.example/openai/chat", { method: "POST", body: "{}" });
    nextFrame();
    expect(mounted.get(row).dataset.state).toBe("available");
    expect(mounted.text(`${row} .state`)).toBe("available");
    expect(mounted.all(".log li .text").map((el) => el.textContent)).toContain(
      "#2 probe of ptu succeeded: back in rotation",
    );
  });

  it("renders ejected and probing backends, and states and reasons it does not know, as text", () => {
    const lb = createFakeBalancer([
      backendSnapshot({ name: "a", state: "ejected", until: Date.now() + 5000, reason: "quota" }),
      backendSnapshot({ name: "b", state: "probing" }),
      backendSnapshot({
        name: "c",
        state: "draining" as "probing",
        until: Date.now() + 2000,
        reason: "maintenance" as "quota",
      }),
    ]);
    const mounted = mount(lb);
    expect(mounted.text('[data-backend="a"] .state')).toBe("ejected · 5 s");
    expect(mounted.text('[data-backend="a"] .reason')).toMatch(
      /^rate limit \(no requests left in the window\) · back at /,
    );
    expect(mounted.text('[data-backend="b"] .state')).toBe("probing");
    expect(mounted.text('[data-backend="c"] .state')).toBe("draining · 2 s");
    expect(mounted.text('[data-backend="c"] .reason')).toMatch(/^maintenance · back at /);
    expect(mounted.text(".summary")).toBe("3 backends · 3 out of rotation");
  });
});

describe("counts, bars and totals", () => {
  it("shows per-backend counts and share bars that match what the balancer did", async () => {
    const lb = createLoadBalancer({
      backends,
      fetch: scriptedFetch({ "ptu.example": [rateLimited(60_000)], "paygo-a.example": [serverError()] }),
      selection: "round-robin",
    });
    const mounted = mount(lb);
    // 1: ptu 429 → paygo-a 503 → paygo-b 200. 2–3: ptu and paygo-a cool, so paygo-b serves.
    for (let i = 0; i < 3; i++) await lb.fetch("https://ptu.example/x", { method: "POST", body: "{}" });
    nextFrame();

    const counts = (name: string): Record<string, string> =>
      Object.fromEntries(
        mounted.all(`[data-backend="${name}"] [data-count]`).map((el) => [el.dataset.count, el.textContent ?? ""]),
      );
    expect(counts("ptu")).toEqual({
      requests: "1 sent",
      successes: "0 ok",
      throttles: "1 × 429",
      errors: "0 err",
      inFlight: "0 in flight",
    });
    expect(counts("paygo-a")).toMatchObject({ requests: "1 sent", errors: "1 err" });
    expect(counts("paygo-b")).toMatchObject({ requests: "3 sent", successes: "3 ok" });
    expect(mounted.text('[data-backend="paygo-b"] .share')).toBe("60% of requests");

    // The busiest backend fills the bar; the others are scaled to it.
    const widths = (name: string): string[] =>
      mounted.all(`[data-backend="${name}"] .bar > span`).map((segment) => segment.style.width);
    expect(widths("paygo-b")).toEqual(["100%", "0%", "0%", "0%"]);
    expect(
      widths("ptu")
        .map(parseFloat)
        .map((w) => Math.round(w)),
    ).toEqual([0, 33, 0, 0]);
    expect(mounted.get('[data-backend="paygo-a"] .bar').getAttribute("aria-label")).toBe(
      "0 successes, 0 throttled, 1 errors of 1 attempts",
    );
  });

  it("totals requests, responses by status class, synthetic 429s and attempts per request", async () => {
    const lb = createLoadBalancer({
      maxWaitMs: 0,
      backends: [
        { name: "ptu", url: "https://ptu.example", priority: 1 },
        { name: "paygo", url: "https://paygo.example", priority: 2 },
      ],
      fetch: scriptedFetch({
        "ptu.example": [rateLimited(10_000)],
        "paygo.example": [() => new Response("{}", { status: 400 }), rateLimited(10_000)],
      }),
    });
    const mounted = mount(lb);
    // ptu 429 → paygo 400 (2 attempts); paygo 429 (1 attempt, then all cooling: synthetic 429); all cooling (0 attempts).
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await lb.fetch("https://ptu.example/x")).status);
    expect(statuses).toEqual([400, 429, 429]);
    nextFrame();

    const total = (key: string): string => mounted.text(`[data-total="${key}"] dd`);
    expect(total("requests")).toBe("3");
    expect(total("4xx")).toBe("1");
    expect(mounted.all('[data-total="2xx"]')).toHaveLength(0);
    expect(total("synthetic429")).toBe("2");
    expect(total("attempts")).toBe("1.00");
  });
});

describe("event log", () => {
  it("keeps the last 100 events, newest first", () => {
    const lb = createFakeBalancer();
    const mounted = mount(lb);
    for (let id = 1; id <= 150; id++) lb.emit(attemptEvent(id));
    nextFrame();
    const lines = mounted.all(".log li .text").map((el) => el.textContent);
    expect(lines).toHaveLength(100);
    expect(lines[0]).toBe("#150 try 1 → ptu");
    expect(lines[99]).toBe("#51 try 1 → ptu");
  });

  it("freezes while paused, counts what arrives meanwhile, and catches up on resume", () => {
    const lb = createFakeBalancer();
    const mounted = mount(lb);
    lb.emit(attemptEvent(1));
    nextFrame();
    const pause = mounted.get("button.pause");
    expect(pause.getAttribute("aria-pressed")).toBe("false");
    click(pause);
    expect(pause.getAttribute("aria-pressed")).toBe("true");

    lb.emit(attemptEvent(2));
    lb.emit(attemptEvent(3));
    nextFrame();
    expect(mounted.all(".log li .text").map((el) => el.textContent)).toEqual(["#1 try 1 → ptu"]);
    expect(mounted.text(".log-head h3")).toBe("Recent events · paused, 2 new");

    click(pause);
    expect(mounted.all(".log li .text").map((el) => el.textContent)).toEqual([
      "#3 try 1 → ptu",
      "#2 try 1 → ptu",
      "#1 try 1 → ptu",
    ]);
  });
});

describe("bursts", () => {
  it("renders a burst of events once, in the next animation frame", () => {
    const lb = createFakeBalancer();
    const mounted = mount(lb);
    const raf = vi.spyOn(globalThis, "requestAnimationFrame");
    for (let id = 1; id <= 500; id++) lb.emit(attemptEvent(id));
    expect(raf).toHaveBeenCalledTimes(1);
    expect(mounted.all(".log li[data-type]")).toHaveLength(0);
    nextFrame();
    expect(mounted.text('[data-total="requests"] dd')).toBe("500");
  });

  it("falls back to a timeout where there is no requestAnimationFrame", () => {
    vi.stubGlobal("requestAnimationFrame", undefined);
    const lb = createFakeBalancer();
    const mounted = mount(lb);
    lb.emit(attemptEvent(1));
    lb.emit(attemptEvent(2));
    expect(vi.getTimerCount()).toBe(1);
    advance(16);
    expect(mounted.text('[data-total="requests"] dd')).toBe("2");
  });
});

function attemptEvent(requestId: number): LoadBalancerEvent {
  return {
    type: "attempt",
    at: Date.now(),
    requestId,
    attempt: 1,
    deployment: null,
    backend: { name: "ptu", url: "https://ptu.example", priority: 1, weight: 1 },
    method: "POST",
    url: "https://ptu.example/x",
  };
}

describe("mounting and unmounting", () => {
  it("renders into a shadow root of a host that resets inherited styles, floating when no element is given", () => {
    const mounted = mount(createFakeBalancer());
    expect(mounted.host.parentElement).toBe(document.body);
    expect(mounted.host.hasAttribute("data-floating")).toBe(true);
    expect(mounted.root.querySelector("style")?.textContent).toMatch(/:host\s*{\s*all:\s*initial;/);
    expect(document.body.querySelector(".panel")).toBeNull();
  });

  it("mounts inside a given element, not floating", () => {
    const element = document.createElement("div");
    document.body.append(element);
    const mounted = mount(createFakeBalancer(), element);
    expect(mounted.host.parentElement).toBe(element);
    expect(mounted.host.hasAttribute("data-floating")).toBe(false);
    element.remove();
  });

  it("collapses and expands with a labelled button", () => {
    const mounted = mount(createFakeBalancer());
    const toggle = mounted.get("button.collapse");
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    expect(toggle.getAttribute("aria-controls")).toBe(mounted.get(".body").id);
    click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    expect(toggle.getAttribute("aria-label")).toBe("Expand the dashboard");
    expect(mounted.get(".body").hidden).toBe(true);
    click(toggle);
    expect(mounted.get(".body").hidden).toBe(false);
  });

  it("removes its listener, its timers and its DOM on unmount", () => {
    const lb = createFakeBalancer([
      backendSnapshot({ name: "ptu", state: "cooling", until: Date.now() + 30_000, reason: "rate-limit" }),
    ]);
    const { unmount } = mount(lb);
    expect(lb.activeListeners).toBe(1);
    lb.emit(attemptEvent(1)); // a frame is now pending, and the countdown ticks
    expect(vi.getTimerCount()).toBe(2);

    unmount();
    expect(lb.activeListeners).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(document.querySelector("plb-dashboard")).toBeNull();
    unmount(); // idempotent
  });

  it("stops listening to a real balancer on unmount", async () => {
    const lb = createLoadBalancer({ backends, fetch: scriptedFetch({}) });
    const { unmount } = mount(lb);
    unmount();
    // With no listener left the balancer builds no events; a listener added now is the only one called.
    const seen: string[] = [];
    lb.on("*", (event) => seen.push(event.type));
    await lb.fetch("https://ptu.example/x");
    expect(seen).toEqual(["attempt", "outcome", "response"]);
    expect(document.querySelector("plb-dashboard")).toBeNull();
    vi.advanceTimersByTime(1000); // the balancer's header-timeout sweep stops on its next tick
    expect(vi.getTimerCount()).toBe(0);
  });
});
