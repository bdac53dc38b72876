import fc from "fast-check";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { remoteBalancer, type RemoteBalancer } from "../../dashboard/index.js";
import { sseParser } from "../../dashboard/sse.js";
import type { LoadBalancerEvent } from "../../src/index.js";
import { backendSnapshot } from "./fake-balancer.js";
import { mount, type Mounted } from "./render.js";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const encoder = new TextEncoder();

/** One request the fake server answered: what it was sent, and the stream a test writes to. */
interface Served {
  readonly init: RequestInit;
  readonly signal: AbortSignal;
  send(type: string, data: unknown): void;
  end(): void;
}

/** A `fetch` that answers each request with `status` and, for 200, an SSE stream the test drives. */
function fakeServer(status: () => number = () => 200) {
  const served: Served[] = [];
  const calledAt: number[] = [];
  const fetch = vi.fn(async (_url: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    calledAt.push(Date.now());
    const signal = init.signal as AbortSignal;
    const code = status();
    if (code !== 200) return new Response(null, { status: code });
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start(streamController) {
        controller = streamController;
      },
    });
    signal.addEventListener("abort", () => controller.error(signal.reason), { once: true });
    served.push({
      init,
      signal,
      send: (type, data) => controller.enqueue(encoder.encode(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`)),
      end: () => controller.close(),
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls: fetch, served, calledAt };
}

// Taken before the timers are faked: streams settle through tasks that fake time does not run.
const realSetTimeout = globalThis.setTimeout;
const io = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => realSetTimeout(resolve, 0));
};

/** Lets the stream's reads settle, then runs fake time by `ms` (frames, backoff), with renders flushed. */
async function settle(ms = 20): Promise<void> {
  await act(async () => {
    await io();
    await vi.advanceTimersByTimeAsync(ms);
    await io();
  });
}

/**
 * Runs frames until `assertion` holds (at most 50): the response's body settles through the DOM
 * environment's own timers, so how many frames it takes is not the behaviour under test.
 */
async function eventually(assertion: () => void): Promise<void> {
  for (let i = 0; ; i++) {
    await settle(16);
    try {
      assertion();
      return;
    } catch (error) {
      if (i === 50) throw error;
    }
  }
}

const snapshotOf = (names: string[], overrides: Record<string, object> = {}) => ({
  at: T0,
  backends: names.map((name) => backendSnapshot({ name, ...overrides[name] })),
});

const attempt = (requestId: number): LoadBalancerEvent =>
  ({
    type: "attempt",
    at: T0,
    requestId,
    attempt: 1,
    backend: { name: "ptu", url: "https://ptu.example", priority: 1 },
    deployment: null,
  }) as unknown as LoadBalancerEvent;

let mounted: Mounted | undefined;
let remote: RemoteBalancer | undefined;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});

afterEach(() => {
  mounted?.unmount();
  mounted = undefined;
  remote?.close();
  remote = undefined;
  vi.useRealTimers();
});

describe("sseParser", () => {
  it("reads event and data fields, skips comments, joins data lines", () => {
    const push = sseParser();
    expect(push(': heartbeat\n\nevent: snapshot\ndata: {"a":1}\n\ndata: x\ndata: y\n\n')).toEqual([
      { type: "snapshot", data: '{"a":1}' },
      { type: "message", data: "x\ny" },
    ]);
  });

  it("yields the same messages however the text is cut and whatever the line breaks", () => {
    const messages = fc.array(
      fc.record({ type: fc.stringMatching(/^[a-z]{1,8}$/), data: fc.string().filter((s) => !/[\r\n]/.test(s)) }),
      { maxLength: 5 },
    );
    fc.assert(
      fc.property(messages, fc.constantFrom("\n", "\r", "\r\n"), fc.array(fc.nat()), (sent, br, cuts) => {
        const text = sent.map((m) => `event: ${m.type}${br}data: ${m.data}${br}${br}`).join("");
        const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
        const push = sseParser();
        const got = [];
        let from = 0;
        for (const point of [...points, text.length]) {
          got.push(...push(text.slice(from, point)));
          from = point;
        }
        expect(got).toEqual(sent.map((m) => ({ type: m.type, data: m.data })));
      }),
    );
  });
});

describe("remoteBalancer", () => {
  it("sends the token and asks for the event stream", async () => {
    const server = fakeServer();
    remote = remoteBalancer("https://lb.example/events", { token: "s3cret", fetch: server.fetch });
    const off = remote.on("*", () => {});
    await eventually(() => expect(server.served).toHaveLength(1));
    const headers = server.served[0]?.init.headers as Record<string, string>;
    expect(headers).toMatchObject({ authorization: "Bearer s3cret", accept: "text/event-stream" });
    off();
  });

  it("delivers the snapshot, then events to listeners of their type and of *", async () => {
    const server = fakeServer();
    remote = remoteBalancer("https://lb.example/events", { fetch: server.fetch });
    const all: LoadBalancerEvent[] = [];
    const attempts: LoadBalancerEvent[] = [];
    remote.on("*", (event) => all.push(event));
    remote.on("attempt", (event) => attempts.push(event));
    expect(remote.connection).toBe("connecting");
    await eventually(() => expect(server.served).toHaveLength(1));

    server.served[0]?.send("snapshot", snapshotOf(["ptu", "paygo"]));
    server.served[0]?.send("attempt", attempt(1));
    server.served[0]?.send("dropped", { count: 3, at: T0 });
    server.served[0]?.send("attempt", attempt(2));
    await eventually(() => expect(all).toHaveLength(2));
    expect(remote.connection).toBe("connected");
    expect(remote.snapshot().backends.map((backend) => backend.name)).toEqual(["ptu", "paygo"]);
    expect(all.map((event) => event.type)).toEqual(["attempt", "attempt"]);
    expect(attempts).toHaveLength(2);
  });

  it("moves the snapshot's clock on by the time elapsed since it came", async () => {
    const server = fakeServer();
    remote = remoteBalancer("https://lb.example/events", { fetch: server.fetch });
    remote.on("*", () => {});
    await eventually(() => expect(server.served).toHaveLength(1));
    server.served[0]?.send("snapshot", { ...snapshotOf(["ptu"]), at: T0 - 60_000 });
    await eventually(() => expect(remote?.connection).toBe("connected"));
    const before = remote.snapshot().at;
    await settle(5000);
    expect(remote.snapshot().at - before).toBe(5000);
  });

  it("moves the queue's oldest wait on with the clock while requests wait, and leaves an empty queue at 0", async () => {
    const server = fakeServer();
    remote = remoteBalancer("https://lb.example/events", { fetch: server.fetch });
    remote.on("*", () => {});
    await eventually(() => expect(server.served).toHaveLength(1));
    const queue = { waiting: 2, oldestWaitMs: 3000, maxWaitedMs: 4000 };
    server.served[0]?.send("snapshot", { ...snapshotOf(["ptu"]), queue });
    await eventually(() => expect(remote?.connection).toBe("connected"));
    const before = remote.snapshot().queue.oldestWaitMs;
    await settle(5000);
    expect(remote.snapshot().queue).toEqual({ waiting: 2, oldestWaitMs: before + 5000, maxWaitedMs: 4000 });
    server.served[0]?.send("snapshot", {
      ...snapshotOf(["ptu"]),
      queue: { waiting: 0, oldestWaitMs: 0, maxWaitedMs: 9000 },
    });
    await eventually(() => expect(remote?.snapshot().queue.waiting).toBe(0));
    await settle(5000);
    expect(remote.snapshot().queue).toEqual({ waiting: 0, oldestWaitMs: 0, maxWaitedMs: 9000 });
  });

  it("reconnects after failures, waiting twice as long each time up to the cap, and from the start once connected", async () => {
    let status = 503;
    const server = fakeServer(() => status);
    const { calledAt } = server;
    remote = remoteBalancer("https://lb.example/events", {
      fetch: server.fetch,
      minBackoffMs: 1000,
      maxBackoffMs: 3000,
    });
    remote.on("*", () => {});
    await settle(0);
    expect(remote.connection).not.toBe("connected");
    await settle(1000 + 2000 + 3000 + 3000);
    expect(calledAt.map((at) => at - T0)).toEqual([0, 1000, 3000, 6000, 9000]);

    status = 200;
    await settle(3000);
    expect(calledAt).toHaveLength(6);
    server.served[0]?.send("snapshot", snapshotOf(["ptu"]));
    await eventually(() => expect(remote?.connection).toBe("connected"));
    server.served[0]?.end();
    await eventually(() => expect(remote?.connection).toBe("disconnected"));
    const endedAt = Date.now();
    await settle(1000);
    expect(calledAt).toHaveLength(7);
    // The delay after a connection is the first one again (1000 ms), not the capped one.
    expect(calledAt[6]! - endedAt).toBeLessThanOrEqual(1000);
  });

  it("reports unauthorized on 401 and keeps retrying", async () => {
    const server = fakeServer(() => 401);
    remote = remoteBalancer("https://lb.example/events", { fetch: server.fetch, minBackoffMs: 1000 });
    remote.on("*", () => {});
    await eventually(() => expect(remote?.connection).toBe("unauthorized"));
    await settle(1000);
    expect(server.calls).toHaveBeenCalledTimes(2);
    expect(remote.connection).toBe("unauthorized");
  });

  it("close aborts the request and leaves no timer; the last unsubscribe does the same", async () => {
    const server = fakeServer();
    remote = remoteBalancer("https://lb.example/events", { fetch: server.fetch });
    const off = remote.on("*", () => {});
    await eventually(() => expect(server.served).toHaveLength(1));
    off();
    expect(server.served[0]?.signal.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);

    remote.on("*", () => {});
    await eventually(() => expect(server.served).toHaveLength(2));
    server.served[1]?.end();
    await eventually(() => expect(remote?.connection).toBe("disconnected"));
    expect(vi.getTimerCount()).toBe(1); // the reconnect
    remote.close();
    expect(vi.getTimerCount()).toBe(0);
    await settle(60_000);
    expect(server.calls).toHaveBeenCalledTimes(2);
  });

  it("rejects an invalid backoff with a TypeError naming the field", () => {
    expect(() => remoteBalancer("/events", { maxBackoffMs: -1 })).toThrow(/maxBackoffMs.*-1/);
  });
});

describe("mountDashboard(remoteBalancer(...))", () => {
  it("shows the served snapshot and events, and a cooling backend with its countdown", async () => {
    const server = fakeServer();
    mounted = mount(remoteBalancer("https://lb.example/events", { fetch: server.fetch }));
    await eventually(() => expect(server.served).toHaveLength(1));
    server.served[0]?.send(
      "snapshot",
      snapshotOf(["ptu", "paygo"], { ptu: { state: "cooling", until: T0 + 30_000, reason: "rate-limit" } }),
    );
    server.served[0]?.send("attempt", attempt(7));
    await eventually(() => expect(mounted?.root.textContent).toContain("#7"));
    expect(mounted.all(".backend").map((row) => row.dataset.backend)).toEqual(["ptu", "paygo"]);
    expect(mounted.get('[data-backend="ptu"]').dataset.state).toBe("cooling");
    expect(mounted.text('[data-backend="ptu"] .countdown')).toMatch(/^(30|29) s$/);
    expect(mounted.all(".connection")).toHaveLength(0);
  });

  it("shows disconnected while the stream is down, and connected again after the reconnect", async () => {
    const server = fakeServer();
    mounted = mount(remoteBalancer("https://lb.example/events", { fetch: server.fetch, minBackoffMs: 100 }));
    await eventually(() => expect(server.served).toHaveLength(1));
    server.served[0]?.send("snapshot", snapshotOf(["ptu"]));
    await eventually(() => expect(mounted?.all(".connection")).toHaveLength(0));
    server.served[0]?.end();
    await eventually(() => expect(mounted?.text(".connection")).toBe("disconnected, reconnecting…"));
    await eventually(() => expect(server.served).toHaveLength(2));
    server.served[1]?.send("snapshot", snapshotOf(["ptu"]));
    await eventually(() => expect(mounted?.all(".connection")).toHaveLength(0));
  });

  it("shows unauthorized on 401", async () => {
    const server = fakeServer(() => 401);
    mounted = mount(remoteBalancer("https://lb.example/events", { fetch: server.fetch }));
    await eventually(() => expect(mounted?.text(".connection")).toBe("unauthorized: check the token"));
  });

  it("unmount aborts the fetch and leaves no timer", async () => {
    const server = fakeServer();
    mounted = mount(remoteBalancer("https://lb.example/events", { fetch: server.fetch }));
    await eventually(() => expect(server.served).toHaveLength(1));
    server.served[0]?.send("snapshot", snapshotOf(["ptu"], { ptu: { state: "cooling", until: T0 + 30_000 } }));
    await eventually(() => expect(mounted?.get('[data-backend="ptu"]').dataset.state).toBe("cooling"));
    mounted.unmount();
    mounted = undefined;
    expect(server.served[0]?.signal.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
