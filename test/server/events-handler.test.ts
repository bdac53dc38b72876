import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLoadBalancer, type LoadBalancerEvent } from "../../src/index.js";
import { eventsHandler, redactUrl, toNodeListener } from "../../src/server/index.js";
import { tokenMatches } from "../../src/server/token.js";
import { backendSnapshot, createFakeBalancer } from "../dashboard/fake-balancer.js";

const SSE = { accept: "text/event-stream" };
const get = (headers: Record<string, string> = {}, init: RequestInit = {}) =>
  new Request("http://lb.test/lb", { headers, ...init });

interface Parsed {
  type: string;
  data: unknown;
}

/** Reads `count` server-sent events (comments skipped) from a stream reader. */
async function read(reader: ReadableStreamDefaultReader<Uint8Array>, count: number, comments?: string[]) {
  const decoder = new TextDecoder();
  const events: Parsed[] = [];
  let buffer = "";
  while (events.length < count) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (block.startsWith(":")) comments?.push(block);
      const type = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (type !== undefined && data !== undefined) events.push({ type, data: JSON.parse(data) });
    }
  }
  return events;
}

const attempt = (requestId: number, url = "https://ptu.example/v1/chat?api-key=secret"): LoadBalancerEvent => ({
  type: "attempt",
  at: 1,
  requestId,
  attempt: 1,
  backend: { name: "ptu", url: "https://ptu.example", priority: 1, weight: 1 },
  deployment: null,
  method: "POST",
  url,
});

afterEach(() => {
  vi.useRealTimers();
});

describe("eventsHandler", () => {
  it("answers Accept: application/json with the snapshot, not cached", async () => {
    const lb = createFakeBalancer([backendSnapshot({ name: "ptu" })]);
    const response = await eventsHandler(lb)(get({ accept: "application/json" }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = await response.json();
    expect(body.backends.map((backend: { name: string }) => backend.name)).toEqual(["ptu"]);
    expect(lb.activeListeners).toBe(0);
  });

  it("answers 401 without the token or with a wrong one, and serves it with the right one", async () => {
    const handler = eventsHandler(createFakeBalancer(), { token: "t0ken" });
    const none = await handler(get());
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe("Bearer");
    expect((await handler(get({ authorization: "Bearer t0ke" }))).status).toBe(401);
    expect((await handler(get({ authorization: "Basic t0ken" }))).status).toBe(401);
    expect((await handler(get({ authorization: "Bearer t0ken" }))).status).toBe(200);
  });

  it("compares tokens as string equality would (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), async (a, b) => {
        expect(await tokenMatches(a, b)).toBe(a === b);
        expect(await tokenMatches(a, a)).toBe(true);
      }),
    );
  });

  it("is read-only: 405 with Allow: GET for other methods", async () => {
    const handler = eventsHandler(createFakeBalancer());
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const response = await handler(get({}, { method, body: method === "DELETE" ? null : "x" }));
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET");
    }
  });

  it("answers the CORS preflight only for an allowed origin", async () => {
    const handler = eventsHandler(createFakeBalancer(), { allowOrigin: "http://localhost:5173" });
    const preflight = await handler(get({ origin: "http://localhost:5173" }, { method: "OPTIONS" }));
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization");
    const other = await handler(get({ origin: "http://evil.test" }, { method: "OPTIONS" }));
    expect(other.status).toBe(405);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("rejects invalid options with a TypeError naming the option", () => {
    expect(() => eventsHandler(createFakeBalancer(), { token: "" })).toThrow(/token/);
    expect(() => eventsHandler(createFakeBalancer(), { heartbeatMs: 0 })).toThrow(/heartbeatMs.*0/);
    expect(() => eventsHandler(createFakeBalancer(), { maxBufferedEvents: Number.NaN })).toThrow(/maxBufferedEvents/);
  });

  it("streams the snapshot first, then every event, with URLs stripped of their query", async () => {
    const lb = createFakeBalancer([backendSnapshot({ name: "ptu", url: "https://ptu.example/ai?x=1" })]);
    const response = await eventsHandler(lb)(get(SSE));
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    const [snapshot] = await read(reader, 1);
    expect(snapshot!.type).toBe("snapshot");
    expect(JSON.stringify(snapshot!.data)).toContain('"url":"https://ptu.example/ai"');
    lb.emit(attempt(7));
    const [event] = await read(reader, 1);
    expect(event).toMatchObject({ type: "attempt", data: { requestId: 7, url: "https://ptu.example/v1/chat" } });
    expect(JSON.stringify(event)).not.toContain("secret");
    await reader.cancel();
  });

  it("streams the queue and pacing of the snapshot and the queued, dequeued and paced events, URLs without their query", async () => {
    const pacing = {
      allowed: 5,
      reserved: 3,
      remainingRequests: 4,
      remainingTokens: 1200,
      reservedTokens: 900,
      basis: "headers",
    } as const;
    const lb = createFakeBalancer([
      backendSnapshot({
        name: "ptu",
        url: "https://ptu.example/ai?api-key=secret",
        pacing,
        deployments: [
          { name: "gpt-4o", state: "available", until: null, reason: null, consecutiveFailures: 0, pacing },
        ],
      }),
    ]);
    lb.setQueue({ waiting: 2, oldestWaitMs: 1500, maxWaitedMs: 4000 });
    const reader = (await eventsHandler(lb)(get(SSE))).body!.getReader();
    const [snapshot] = await read(reader, 1);
    expect(snapshot!.data).toMatchObject({
      queue: { waiting: 2, oldestWaitMs: 1500, maxWaitedMs: 4000 },
      backends: [{ url: "https://ptu.example/ai", pacing, deployments: [{ name: "gpt-4o", pacing }] }],
    });
    const backend = { name: "ptu", url: "https://ptu.example/ai?api-key=secret", priority: 1, weight: 1 };
    const sent: LoadBalancerEvent[] = [
      { type: "queued", at: 1, requestId: 3, attempt: 1, reason: "paced", waiting: 2, retryAfterMs: 250 },
      { type: "dequeued", at: 2, requestId: 3, attempt: 1, result: "resumed", waitedMs: 250, waiting: 1 },
      { type: "paced", at: 3, backend, deployment: "gpt-4o", allowed: 4, basis: "headers" },
    ];
    for (const event of sent) lb.emit(event);
    const events = await read(reader, 3);
    expect(events).toEqual([
      { type: "queued", data: sent[0] },
      { type: "dequeued", data: sent[1] },
      { type: "paced", data: { ...sent[2], backend: { ...backend, url: "https://ptu.example/ai" } } },
    ]);
    expect(JSON.stringify([snapshot, events])).not.toContain("secret");
    await reader.cancel();
  });

  it("redacts query, fragment and credentials from any URL (property)", () => {
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: true, withFragments: true, authoritySettings: { withUserInfo: true } }),
        (url) => {
          const original = new URL(url);
          const redacted = new URL(redactUrl(url));
          expect([redacted.username, redacted.password, redacted.search, redacted.hash]).toEqual(["", "", "", ""]);
          expect([redacted.host, redacted.pathname]).toEqual([original.host, original.pathname]);
        },
      ),
    );
  });

  it("releases the listener at once when the request's signal aborts, and when the body is cancelled", async () => {
    const lb = createFakeBalancer();
    const handler = eventsHandler(lb);
    const client = new AbortController();
    const first = await handler(get(SSE, { signal: client.signal }));
    expect(lb.activeListeners).toBe(1);
    client.abort();
    expect(lb.activeListeners).toBe(0);
    const reader = first.body!.getReader();
    await read(reader, 10); // the stream ends: the snapshot, then done
    const second = await handler(get(SSE));
    expect(lb.activeListeners).toBe(1);
    await second.body!.cancel();
    expect(lb.activeListeners).toBe(0);
  });

  it("drops events for a slow client beyond its buffer, then says how many and sends a fresh snapshot", async () => {
    vi.useFakeTimers();
    const lb = createFakeBalancer();
    const response = await eventsHandler(lb, { maxBufferedEvents: 4 })(get(SSE));
    for (let id = 1; id <= 20; id++) lb.emit(attempt(id));
    const reader = response.body!.getReader();
    const events = await read(reader, 6);
    expect(events.map((event) => event.type)).toEqual([
      "snapshot",
      "attempt",
      "attempt",
      "attempt",
      "dropped",
      "snapshot",
    ]);
    expect(events[4]!.data).toMatchObject({ count: 17 });
    lb.emit(attempt(21));
    expect((await read(reader, 1))[0]).toMatchObject({ type: "attempt", data: { requestId: 21 } });
    await reader.cancel();
  });

  it("sends a heartbeat comment on an idle stream, and clears it when the client goes", async () => {
    vi.useFakeTimers();
    const lb = createFakeBalancer();
    const response = await eventsHandler(lb, { heartbeatMs: 1000 })(get(SSE));
    const reader = response.body!.getReader();
    await read(reader, 1);
    const comments: string[] = [];
    const next = reader.read();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1000);
    const { value } = await next;
    comments.push(new TextDecoder().decode(value));
    expect(comments).toEqual([": heartbeat\n\n"]);
    await reader.cancel();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("sends a fresh snapshot shortly after events, and when a cooldown is due to end", async () => {
    vi.useFakeTimers({ now: 10_000 });
    const lb = createFakeBalancer([backendSnapshot({ name: "ptu" })]);
    const reader = (await eventsHandler(lb, { snapshotDelayMs: 250 })(get(SSE))).body!.getReader();
    await read(reader, 1);
    lb.setBackends([backendSnapshot({ name: "ptu", state: "cooling", until: 13_000, reason: "rate-limit" })]);
    lb.emit(attempt(1));
    await read(reader, 1);
    vi.advanceTimersByTime(250);
    const [fresh] = await read(reader, 1);
    expect(fresh).toMatchObject({ type: "snapshot", data: { backends: [{ state: "cooling" }] } });
    lb.setBackends([backendSnapshot({ name: "ptu" })]);
    vi.advanceTimersByTime(3000);
    const [after] = await read(reader, 1);
    expect(after).toMatchObject({ type: "snapshot", data: { backends: [{ state: "available" }] } });
    await reader.cancel();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("toNodeListener (the node:http bridge), on a real socket", () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it("streams a real balancer's events and releases the listener when the client disconnects", async () => {
    const lb = createLoadBalancer({
      backends: [{ name: "primary", url: "https://primary.example.com" }],
      fetch: async () => new Response("{}"),
    });
    let listening = 0;
    const counted = {
      snapshot: lb.snapshot,
      on: ((type: "*", listener: (event: LoadBalancerEvent) => void) => {
        listening++;
        const off = lb.on(type, listener);
        return () => {
          listening--;
          off();
        };
      }) as typeof lb.on,
    };
    server = createServer(toNodeListener(eventsHandler(counted, { token: "k" })));
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lb`;

    expect((await fetch(url)).status).toBe(401);
    const client = new AbortController();
    const response = await fetch(url, { headers: { ...SSE, authorization: "Bearer k" }, signal: client.signal });
    const reader = response.body!.getReader();
    expect((await read(reader, 1))[0]!.type).toBe("snapshot");
    await vi.waitFor(() => expect(listening).toBe(1));
    await lb.fetch("https://primary.example.com/v1/chat/completions", { method: "POST", body: "{}" });
    expect((await read(reader, 3)).map((event) => event.type)).toEqual(["attempt", "outcome", "response"]);
    client.abort();
    await vi.waitFor(() => expect(listening).toBe(0));
  });
});
