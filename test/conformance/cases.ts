import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type * as Package from "openai-priority-loadbalancer";
import type * as LeasePackage from "openai-priority-loadbalancer/lease";
import { type Answer, answer, hang, heldEventStream, type Received, SimulatedBackends } from "../support/backends.js";
import { API, API_PATH, FIRST_EVENT, ROUTES, WINDOW, WINDOW_MS } from "./backends.js";

// What depends on the runtime rather than on the balancer's logic (which test/core covers):
// real sockets, streamed bodies, aborts and timers, and replaying every kind of request body.
// Registered with node:test, which Node, Deno and Bun run natively (and vitest, for Chromium).

/** The package under test, as the runtime imported it: the core, and `lease` from its `/lease` subpath. */
export type Lib = typeof Package & Pick<typeof LeasePackage, "lease">;

/** Where the cases run. */
export interface Platform {
  /** Runtime and version, e.g. `node v20.20.2`. */
  readonly runtime: string;
  /** The real-socket URL of one of {@link ROUTES}. */
  readonly url: (route: (typeof ROUTES)[keyof typeof ROUTES]) => string;
  /** An `http:` origin on loopback where nothing listens. */
  readonly refusedUrl: string;
}

/** What an echo backend answered. */
type Echo = Omit<Received, "bytes">;

/** The error `promise` rejects with; fails when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return assert.fail("expected a rejection");
}

const decoder = new TextDecoder();
const pathOf = (url: string): string => new URL(url).pathname + new URL(url).search;

/** Registers every conformance case for `lib` on `platform`. */
export function conformanceCases(lib: Lib, platform: Platform): void {
  describe(`conformance on ${platform.runtime}`, () => {
    socketCases(lib, platform);
    streamingCases(lib);
    abortCases(lib);
    replayCases(lib);
    statefulCases(lib);
  });
}

function socketCases(lib: Lib, { url, refusedUrl }: Platform): void {
  describe("real sockets", () => {
    test("a 429 with retry-after fails over and the request arrives whole", async () => {
      const lb = lib.createLoadBalancer({
        backends: [
          { url: url(ROUTES.throttled), name: "throttled", priority: 1 },
          { url: `${url(ROUTES.echo)}/prefix`, name: "echo", priority: 2, headers: { "api-key": "key-2" } },
        ],
      });
      const body = JSON.stringify({ messages: [{ role: "user", content: "héllo" }] });
      const before = Date.now();
      const response = await lb.fetch(API, {
        method: "POST",
        body,
        headers: { "content-type": "application/json", "api-key": "caller" },
      });
      const after = Date.now();
      assert.equal(response.status, 200);
      const echo = (await response.json()) as Echo;
      assert.equal(echo.method, "POST");
      assert.equal(pathOf(echo.url), `/prefix${API_PATH}`);
      assert.equal(echo.headers["api-key"], "key-2");
      assert.equal(echo.headers["content-type"], "application/json");
      assert.equal(echo.body, body);
      // Azure quotas are per deployment: the 429 cools the deployment `gpt`, not the whole backend.
      const backend = lb.snapshot().backends[0];
      assert.equal(backend?.state, "available");
      const throttled = backend?.deployments.find((deployment) => deployment.name === "gpt");
      assert.equal(throttled?.reason, "rate-limit");
      // The deadline is kept on a monotonic clock and shown in epoch ms: allow 1 ms of rounding.
      assert.ok(
        throttled !== undefined &&
          throttled.until !== null &&
          throttled.until >= before + 30_000 - 1 &&
          throttled.until <= after + 30_000 + 1,
        "cooling for retry-after: 30",
      );
    });

    test("requests over a backend's capacity wait inside the balancer and are served in arrival order, none refused", async () => {
      const lb = lib.createLoadBalancer({ backends: [{ url: url(ROUTES.windowed) }], defaultCooldownMs: WINDOW_MS });
      const sent: number[] = [];
      lb.on("attempt", (event) => sent.push(event.requestId));
      const waited: string[] = [];
      lb.on("queued", (event) => waited.push(event.reason));
      const ask = async (id: number): Promise<number> => {
        const response = await lb.fetch(API, { method: "POST", body: JSON.stringify({ id }) });
        assert.equal(response.status, 200);
        return ((await response.json()) as { id: number }).id;
      };
      assert.equal(await ask(0), 0); // the backend has told its quota
      const ids = [1, 2, 3, 4, 5, 6, 7];
      assert.deepEqual(await Promise.all(ids.map(ask)), ids);
      const first = sent.slice(1).filter((id, index, all) => all.indexOf(id) === index);
      const requestIds = ids.map((id) => id + 1); // request 1 was the first, alone
      assert.deepEqual(first, requestIds, "each request's first attempt went out in the order it arrived");
      assert.ok(waited.length >= ids.length - WINDOW, `requests waited (${waited.join(", ")})`);
      assert.equal(lb.snapshot().queue.waiting, 0);
      await lb.close();
    });

    test("a backend that accepts the request and never answers is timed out by the header timeout, and the request fails over", async () => {
      const caller = new AbortController();
      const lb = lib.createLoadBalancer({
        backends: [
          { url: url(ROUTES.silent), name: "silent", priority: 1 },
          { url: url(ROUTES.echo), name: "echo", priority: 2 },
        ],
        headerTimeoutMs: 300,
      });
      const reasons: string[] = [];
      lb.on("cooldown", (event) => reasons.push(`${event.backend.name} ${event.reason}`));
      const response = await lb.fetch(API, { method: "POST", body: "{}", signal: caller.signal });
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as Echo).method, "POST");
      assert.equal(reasons.join(", "), "silent timeout");
      assert.equal(lb.snapshot().backends[0]?.inFlight, 0);
      caller.abort(); // the abandoned attempt's connection goes with the caller's signal
      await lb.close();
    });

    test("a refused connection and a 503 fail over", async () => {
      const lb = lib.createLoadBalancer({
        backends: [
          { url: refusedUrl, name: "closed", priority: 1 },
          { url: url(ROUTES.broken), name: "broken", priority: 2 },
          { url: url(ROUTES.echo), name: "echo", priority: 3 },
        ],
      });
      const reasons: string[] = [];
      lb.on("cooldown", (event) => reasons.push(`${event.backend.name} ${event.reason}`));
      const response = await lb.fetch(API);
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as Echo).method, "GET");
      assert.equal(reasons.join(", "), "closed network-error, broken server-error");
    });

    test("a streamed response's first chunk arrives before the backend finishes", async () => {
      const id = Math.random().toString(36).slice(2);
      const lb = lib.createLoadBalancer({ backends: [{ url: url(ROUTES.stream) }] });
      const response = await lb.fetch(`https://api.example.com/v1/chat/completions?id=${id}`, {
        method: "POST",
        body: "{}",
      });
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      let received = "";
      while (!received.includes("\n\n")) {
        const chunk = await reader.read();
        assert.ok(!chunk.done, "the stream ended before its first event");
        received += decoder.decode(chunk.value, { stream: true });
      }
      assert.equal(received, FIRST_EVENT);
      // The server holds the rest until this release: the first event cannot have come from a finished response.
      assert.equal((await fetch(`${url(ROUTES.release)}/?id=${id}`)).status, 204);
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
        received += decoder.decode(chunk.value, { stream: true });
      assert.equal(received, `${FIRST_EVENT}data: [DONE]\n\n`);
    });

    test("an in-band error before content fails over to the next backend (stream guard)", async () => {
      const lb = lib.createLoadBalancer({
        backends: [
          { url: url(ROUTES.inBandError), name: "in-band", priority: 1 },
          { url: url(ROUTES.echo), name: "echo", priority: 2 },
        ],
      });
      const reasons: string[] = [];
      lb.on("cooldown", (event) => reasons.push(`${event.backend.name} ${event.reason}`));
      const response = await lb.fetch(API, { method: "POST", body: "{}" });
      assert.equal(pathOf(((await response.json()) as Echo).url), API_PATH);
      assert.equal(reasons.join(", "), "in-band stream");
    });

    test("a stream that ends before its last event errors rather than looking complete (stream guard)", async () => {
      const lb = lib.createLoadBalancer({ backends: [{ url: url(ROUTES.truncated) }] });
      const response = await lb.fetch(API, { method: "POST", body: "{}" });
      // Node, Deno and Bun reject with the guard's error; Chromium's text() reports any body error as "Failed to fetch".
      const error = await rejection(response.text());
      assert.ok(error instanceof Error, "the truncated stream must error");
    });
  });
}

function streamingCases(lib: Lib): void {
  describe("streams", () => {
    test("the first chunk of a streamed response is readable before the backend has finished", async () => {
      const stream = heldEventStream([{ n: 1 }, { n: 2 }]);
      const backends = new SimulatedBackends({ "https://a.test": answer(429), "https://b.test": stream.response });
      const lb = lib.createLoadBalancer({
        backends: [
          { url: "https://a.test", priority: 1 },
          { url: "https://b.test", priority: 2 },
        ],
        fetch: backends.fetch,
      });
      const response = await lb.fetch(API, { method: "POST", body: '{"stream":true}' });
      assert.equal(response.headers.get("content-type"), "text/event-stream");
      const reader = response.body!.getReader();
      const first = await reader.read();
      assert.equal(decoder.decode(first.value), 'data: {"n":1}\n\n');
      assert.equal(stream.isFinished(), false, "the backend is still streaming");
      stream.release();
      let rest = "";
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
        rest += decoder.decode(chunk.value, { stream: true });
      assert.equal(rest, 'data: {"n":2}\n\ndata: [DONE]\n\n');
      assert.equal(stream.isFinished(), true);
    });
  });
}

function abortCases(lib: Lib): void {
  const isAbort = (error: unknown): boolean => error instanceof Error && error.name === "AbortError";
  const twoTiers = (first: Answer, options: { attemptTimeoutMs?: number } = {}) => {
    const backends = new SimulatedBackends({ "https://a.test": first, "https://b.test": answer(200) });
    const lb = lib.createLoadBalancer({
      backends: [
        { url: "https://a.test", name: "a", priority: 1 },
        { url: "https://b.test", name: "b", priority: 2 },
      ],
      fetch: backends.fetch,
      ...options,
    });
    return { backends, lb };
  };

  describe("aborts and timers", () => {
    test("an already aborted signal rejects with its reason and reaches no backend", async () => {
      const { backends, lb } = twoTiers(answer(200));
      const controller = new AbortController();
      controller.abort();
      const error = await rejection(lb.fetch(API, { signal: controller.signal }));
      assert.equal(error, controller.signal.reason);
      assert.equal(backends.received.length, 0);
    });

    test("aborting while a backend is answering rejects with AbortError, without failover or cooldown", async () => {
      const controller = new AbortController();
      // The abort comes once backend a has the request, as a caller giving up on a slow answer.
      const { backends, lb } = twoTiers((exchange) => {
        setTimeout(() => controller.abort(), 0);
        return hang(exchange);
      });
      const error = await rejection(lb.fetch(API, { method: "POST", body: "x", signal: controller.signal }));
      assert.equal(isAbort(error), true, `AbortError expected, got ${String(error)}`);
      assert.deepEqual(backends.origins(), ["https://a.test"]);
      assert.equal(lb.snapshot().backends[0]?.state, "available");
    });

    test("aborting while waiting for a cooling backend (maxWaitMs) rejects with the signal's reason", async () => {
      const backends = new SimulatedBackends({ "https://a.test": answer(429, { "retry-after": "60" }) });
      const single = lib.createLoadBalancer({
        backends: [{ url: "https://a.test" }],
        fetch: backends.fetch,
        maxWaitMs: 600_000,
      });
      const controller = new AbortController();
      const waiting: boolean[] = [];
      single.on("exhausted", (event) => {
        waiting.push(event.waiting);
        setTimeout(() => controller.abort(new Error("caller gave up")), 0);
      });
      const error = await rejection(single.fetch(API, { signal: controller.signal }));
      assert.equal((error as Error).message, "caller gave up");
      assert.deepEqual(waiting, [true]);
      assert.equal(backends.received.length, 1);
    });

    test("attemptTimeoutMs: a backend that does not answer in time cools down (timeout) and the request fails over", async () => {
      const { backends, lb } = twoTiers(hang, { attemptTimeoutMs: 50 });
      const reasons: string[] = [];
      lb.on("cooldown", (event) => reasons.push(event.reason));
      assert.equal((await lb.fetch(API, { method: "POST", body: "x" })).status, 200);
      assert.deepEqual(backends.origins(), ["https://a.test", "https://b.test"]);
      assert.deepEqual(reasons, ["timeout"]);
    });
  });
}

function replayCases(lib: Lib): void {
  /** Sends `init` through a balancer whose tier 1 answers 429 and returns what both backends received. */
  const sendTwice = async (init: RequestInit | undefined, input: string | Request = API): Promise<Received[]> => {
    const backends = new SimulatedBackends({
      "https://a.test": answer(429, { "retry-after": "1" }),
      "https://b.test": answer(200),
    });
    const lb = lib.createLoadBalancer({
      backends: [
        { url: "https://a.test", priority: 1 },
        { url: "https://b.test", priority: 2 },
      ],
      fetch: backends.fetch,
    });
    assert.equal((await lb.fetch(input, init)).status, 200);
    assert.deepEqual(backends.origins(), ["https://a.test", "https://b.test"]);
    return backends.received;
  };

  const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
  const plain: [string, () => BodyInit, string][] = [
    ["a string", () => '{"messages":[]}', '{"messages":[]}'],
    ["a Uint8Array", () => bytes.slice(), decoder.decode(bytes)],
    ["an ArrayBuffer", () => bytes.slice().buffer, decoder.decode(bytes)],
    ["a Blob", () => new Blob(["blob-", "content"], { type: "application/octet-stream" }), "blob-content"],
    ["URLSearchParams", () => new URLSearchParams({ a: "1", b: "two words" }), "a=1&b=two+words"],
  ];

  describe("request bodies", () => {
    for (const [what, body, expected] of plain) {
      test(`${what} body is replayed to the second backend`, async () => {
        const [first, second] = await sendTwice({ method: "POST", body: body() });
        assert.equal(second?.body, expected);
        assert.deepEqual([...(second?.bytes ?? [])], [...(first?.bytes ?? [])]);
        // What this runtime's own fetch would send for the body (Bun, unlike the spec, sets none for a string).
        const direct = new Request(API, { method: "POST", body: body() }).headers.get("content-type") ?? undefined;
        assert.equal(first?.headers["content-type"], direct);
        assert.equal(second?.headers["content-type"], direct);
      });
    }

    test("a ReadableStream body is read once and replayed", async () => {
      const chunks = ["part one, ", "part two"];
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          const chunk = chunks.shift();
          if (chunk === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(chunk));
        },
      });
      const received = await sendTwice({ method: "POST", body: stream, duplex: "half" } as RequestInit);
      assert.deepEqual(
        received.map(({ body }) => body),
        ["part one, part two", "part one, part two"],
      );
    });

    test("a FormData body with a file is replayed whole (multipart)", async () => {
      const form = new FormData();
      form.append("model", "whisper-1");
      form.append("file", new Blob([bytes], { type: "audio/wav" }), "speech.wav");
      for (const got of await sendTwice({ method: "POST", body: form })) {
        const contentType = got.headers["content-type"] ?? "";
        assert.match(contentType, /^multipart\/form-data; boundary=/);
        const parsed = await new Response(got.bytes, { headers: { "content-type": contentType } }).formData();
        assert.equal(parsed.get("model"), "whisper-1");
        const file = parsed.get("file");
        assert.ok(file instanceof Blob, "the file part is a file");
        assert.equal((file as File).name, "speech.wav");
        assert.deepEqual([...new Uint8Array(await file.arrayBuffer())], [...bytes]);
      }
    });

    test("a Request with a body is replayed, with its method and headers", async () => {
      const request = new Request(API, { method: "PUT", body: "from a Request", headers: { "x-caller": "yes" } });
      for (const got of await sendTwice(undefined, request)) {
        assert.equal(got.method, "PUT");
        assert.equal(got.headers["x-caller"], "yes");
        assert.equal(got.body, "from a Request");
      }
    });
  });
}

function statefulCases(lib: Lib): void {
  describe("stateful APIs", () => {
    test("a follow-up with previous_response_id goes to the owner, learned from a JSON answer and from a stream", async () => {
      let clock = 1_000_000;
      let throttleA = false;
      const backends: SimulatedBackends = new SimulatedBackends({
        "https://a.test": () =>
          throttleA
            ? new Response(null, { status: 429, headers: { "retry-after-ms": "1000" } })
            : Response.json({ id: backends.issueId("https://a.test", "resp"), object: "response" }),
        "https://b.test": () => {
          const id = backends.issueId("https://b.test", "resp");
          const events = [
            { type: "response.created", response: { id, object: "response" } },
            { type: "response.output_text.delta", delta: "hello" },
            { type: "response.completed", response: { id, object: "response" } },
          ];
          const body = events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join("");
          return new Response(body, { headers: { "content-type": "text/event-stream" } });
        },
      });
      const lb = lib.createLoadBalancer({
        backends: [
          { url: "https://a.test", name: "a", priority: 1 },
          { url: "https://b.test", name: "b", priority: 2 },
        ],
        fetch: backends.fetch,
        now: () => clock,
      });
      const create = (body: Record<string, unknown>) =>
        lb.fetch("https://api.example.com/v1/responses", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "gpt", input: "hi", ...body }),
        });

      const fromA = ((await (await create({})).json()) as { id: string }).id;
      throttleA = true;
      const streamed = await (await create({ stream: true })).text();
      const fromB = /"id":"([^"]+)"/.exec(streamed)?.[1] ?? "";
      assert.equal(backends.issuerOf(fromB), "https://b.test");
      throttleA = false;
      clock += 1_000; // tier 1 is back in rotation

      assert.equal((await create({ previous_response_id: fromB })).status, 200);
      assert.equal((await create({ previous_response_id: fromA })).status, 200);
      assert.deepEqual(backends.origins().slice(-2), ["https://b.test", "https://a.test"]);
    });

    test("a lease picks by tier with the backend's credentials, learns from the outcome handed back, and says when none is left", async () => {
      const lb = lib.createLoadBalancer({
        maxWaitMs: 0, // "none is left" at once, rather than a wait for a's 60 s
        backends: [
          { url: "https://a.test", name: "a", headers: { "api-key": "key-a" } },
          { url: "http://b.test/base", name: "b", priority: 2, headers: { "api-key": "key-b" } },
        ],
      });
      const first = await lib.lease(lb, { model: "gpt-realtime" });
      assert.equal(first.url, "wss://a.test/v1/realtime?model=gpt-realtime");
      assert.equal(first.headers.get("api-key"), "key-a");
      first.release({ status: 429, retryAfterMs: 60_000 });
      assert.equal(lb.snapshot().backends[0]?.state, "cooling");

      const second = await lib.lease(lb, { model: "gpt-realtime", protocol: "http", path: "/v1/realtime/calls" });
      assert.equal(second.url, "http://b.test/base/v1/realtime/calls?model=gpt-realtime");
      assert.equal(second.headers.get("api-key"), "key-b");
      second.release({ error: new Error("connection reset") });
      assert.equal(lb.snapshot().backends[1]?.reason, "network-error");

      const refused = await rejection(lib.lease(lb, { model: "gpt-realtime" }));
      assert.equal((refused as Error).name, "LeaseUnavailableError");
      // b's cooldown (the default 10 s), as much of it as is left: a's is 60 s.
      const { retryAfterMs = 0 } = refused as { retryAfterMs?: number };
      assert.ok(retryAfterMs > 9_000 && retryAfterMs <= 10_000, `retryAfterMs ${retryAfterMs}`);
    });
  });
}
