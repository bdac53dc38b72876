import { describe, expect, it } from "vitest";
import { createLoadBalancer } from "../../src/index.js";
import type { LoadBalancerEvent, LoadBalancerOptions } from "../../src/index.js";
import { chatStream, chunk, DONE, data, ROLE, SSE, STOP, scriptedServer, sse, USAGE } from "./server.js";

const server = scriptedServer();
const CHAT = "https://api.example.com/v1/chat/completions";
const BODY = '{"model":"m","stream":true,"messages":[]}';

/** A balancer over backends `a` (priority 1) and `b` (priority 2) of the scripted server, and its events. */
async function balancer(options: Partial<LoadBalancerOptions> = {}) {
  const url = await server.url();
  const events: LoadBalancerEvent[] = [];
  const lines: string[] = [];
  const lb = createLoadBalancer({
    backends: [
      { url: `${url}/a`, name: "a", priority: 1 },
      { url: `${url}/b`, name: "b", priority: 2 },
    ],
    logger: { info: (line) => lines.push(line), warn: (line) => lines.push(line), error: (line) => lines.push(line) },
    ...options,
  });
  lb.on("*" as "attempt", (event) => events.push(event));
  const post = () => lb.fetch(CHAT, { method: "POST", body: BODY, headers: { "content-type": "application/json" } });
  const of = <T extends LoadBalancerEvent["type"]>(type: T) =>
    events.filter((event): event is Extract<LoadBalancerEvent, { type: T }> => event.type === type);
  return { lb, post, events, of, lines };
}

/** Reads a body to its end; returns the text, or the error the stream ended with. */
async function drain(response: Response): Promise<{ text: string; error?: unknown }> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    for (let part = await reader.read(); !part.done; part = await reader.read()) text += part.value;
    return { text };
  } catch (error) {
    return { text, error };
  }
}

describe("before the first content: the guard holds the preamble and fails over", () => {
  it("an in-band error after the preamble (Chat Completions) fails over; the caller gets b's bytes, preamble first", async () => {
    server.serve({
      a: sse(": keep-alive\n\n", ROLE, data({ error: { code: "server_error", message: "boom" } }), "end"),
      b: sse(...chatStream("Hel", "lo"), "end"),
    });
    const { post, of } = await balancer();
    const response = await post();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect((await drain(response)).text).toBe(chatStream("Hel", "lo").join(""));
    expect(server.received.map((hit) => `${hit.backend} ${hit.path} ${hit.body}`)).toEqual([
      `a /v1/chat/completions ${BODY}`,
      `b /v1/chat/completions ${BODY}`,
    ]);
    expect(of("stream")).toMatchObject([{ kind: "failover", cause: "in-band-error", code: "server_error" }]);
    // The 200 said nothing wrong: the cooldown and the outcome carry no status.
    expect(of("cooldown")).toMatchObject([{ backend: { name: "a" }, reason: "stream", status: undefined }]);
    expect(
      of("outcome").map((event) => `${event.backend.name} ${event.result} ${event.reason} ${event.status}`),
    ).toEqual(["a failure stream undefined", "b response undefined 200"]);
  });

  it("a Responses stream that fails after response.created (insufficient_quota) fails over and cools a (quota)", async () => {
    const created = data({ type: "response.created", response: { id: "r", status: "in_progress" } });
    const failed = data({
      type: "response.failed",
      response: { id: "r", status: "failed", error: { code: "insufficient_quota", message: "x" } },
    });
    const answer = [
      created,
      data({ type: "response.output_text.delta", delta: "Hi" }),
      data({ type: "response.completed", response: { id: "r2" } }),
    ];
    server.serve({ a: sse(created, failed, "end"), b: sse(...answer, "end") });
    const { post, of } = await balancer();
    expect((await drain(await post())).text).toBe(answer.join(""));
    expect(of("cooldown")).toMatchObject([{ backend: { name: "a" }, reason: "quota" }]);
  });

  it("an `event: error` before content fails over", async () => {
    const created = data({ type: "response.created", response: { id: "r" } });
    server.serve({
      a: sse(created, 'event: error\ndata: {"type":"error","code":"server_error"}\n\n', "end"),
      b: sse(...chatStream("ok"), "end"),
    });
    const { post, of } = await balancer();
    expect((await drain(await post())).text).toBe(chatStream("ok").join(""));
    expect(of("stream")).toMatchObject([{ kind: "failover", cause: "in-band-error", code: "server_error" }]);
  });

  it("a stream that ends with no content fails over (stream); one that is cut before content too (network-error)", async () => {
    server.serve({
      a: (attempt) => (attempt === 0 ? sse(ROLE, DONE, "end") : sse(ROLE, "cut")),
      b: sse(...chatStream("x"), "end"),
    });
    const { post, of } = await balancer({ defaultCooldownMs: 1 });
    expect((await drain(await post())).text).toBe(chatStream("x").join(""));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await drain(await post())).text).toBe(chatStream("x").join(""));
    expect(of("stream").map((event) => event.cause)).toEqual(["no-content", "no-content"]);
    expect(of("cooldown").map((event) => event.reason)).toEqual(["stream", "network-error"]);
  });

  it("no content within firstEventTimeoutMs (headers and preamble sent, then a stall) fails over (timeout)", async () => {
    server.serve({ a: sse(ROLE), b: sse(...chatStream("late"), "end") });
    const { post, of } = await balancer({ firstEventTimeoutMs: 50 });
    expect((await drain(await post())).text).toBe(chatStream("late").join(""));
    expect(of("stream")).toMatchObject([{ kind: "failover", cause: "first-event-timeout" }]);
    expect(of("cooldown")).toMatchObject([{ backend: { name: "a" }, reason: "timeout" }]);
  });

  it("a content-filter error in the stream is the caller's answer: not failed over", async () => {
    const filtered = data({ error: { code: "content_filter", message: "filtered" } });
    server.serve({ a: sse(ROLE, filtered, "end"), b: sse(...chatStream("x"), "end") });
    const { post, of } = await balancer();
    expect((await drain(await post())).text).toBe(ROLE + filtered);
    expect(server.received.map((hit) => hit.backend)).toEqual(["a"]);
    expect(of("cooldown")).toEqual([]);
  });

  it("the caller's abort while the preamble is held rejects at once with its reason", async () => {
    server.serve({ a: sse(ROLE) });
    const { lb, of } = await balancer();
    const controller = new AbortController();
    const pending = lb.fetch(CHAT, { method: "POST", body: BODY, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(new Error("caller gave up"));
    await expect(pending).rejects.toThrow("caller gave up");
    expect(of("outcome")).toMatchObject([{ result: "aborted" }]);
  });
});

describe("after the first content: never a silent stall, never a truncated success", () => {
  it("the caller reads the first content while the backend still streams; the stream is not replayed", async () => {
    server.serve({ a: sse(ROLE, chunk({ content: "Hel" }), 30, chunk({ content: "lo" }), STOP, DONE, "end") });
    const { post } = await balancer();
    const response = await post();
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    expect((await reader.read()).value).toBe(ROLE + chunk({ content: "Hel" }));
  });

  it("the caller cancelling a released stream closes the backend's connection", async () => {
    server.serve({ a: sse(ROLE, chunk({ content: "Hel" })) });
    const { post } = await balancer();
    const response = await post();
    const reader = response.body!.getReader();
    await reader.read();
    expect(server.openCount()).toBe(1);
    await reader.cancel();
    for (let i = 0; i < 100 && server.openCount() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(server.openCount()).toBe(0);
  });

  it("a stream cut after some tokens errors for the caller; nothing is spliced from another backend", async () => {
    server.serve({ a: sse(ROLE, chunk({ content: "Hel" }), 10, "cut"), b: sse(...chatStream("x"), "end") });
    const { post } = await balancer();
    const { text, error } = await drain(await post());
    expect(text).toBe(ROLE + chunk({ content: "Hel" }));
    expect(error).toBeDefined();
    expect(server.received.map((hit) => hit.backend)).toEqual(["a"]);
  });

  it("a stall after content longer than streamIdleTimeoutMs errors the stream and cools the backend (timeout)", async () => {
    server.serve({ a: sse(ROLE, chunk({ content: "Hel" })) });
    const { post, of, lb } = await balancer({ streamIdleTimeoutMs: 50 });
    const { text, error } = await drain(await post());
    expect(text).toBe(ROLE + chunk({ content: "Hel" }));
    expect(String(error)).toMatch(/stream idle for 50 ms/);
    expect(of("stream")).toMatchObject([{ kind: "idle-timeout", backend: { name: "a" } }]);
    expect(of("cooldown")).toMatchObject([{ backend: { name: "a" }, reason: "timeout", status: undefined }]);
    // The attempt had ended with the delivery: the late failure counts, and nothing is left in flight.
    expect(lb.snapshot().backends[0]).toMatchObject({ inFlight: 0, successes: 1, errors: 1 });
    expect(lb.snapshot().backends[0]?.state).not.toBe("available");
  });

  it("a stream that closes before its terminal event and with no finish_reason errors (truncated)", async () => {
    server.serve({ a: sse(ROLE, chunk({ content: "Hel" }), "end") });
    const { post, of } = await balancer();
    const { text, error } = await drain(await post());
    expect(text).toBe(ROLE + chunk({ content: "Hel" }));
    expect(String(error)).toMatch(/ended before its last event/);
    expect(of("stream")).toMatchObject([{ kind: "truncated" }]);
  });

  it("a complete stream without [DONE] (finish reason and usage seen) closes normally", async () => {
    server.serve({ a: sse(ROLE, chunk({ content: "Hi" }), STOP, USAGE, "end") });
    const { post, of } = await balancer();
    expect(await drain(await post())).toEqual({ text: ROLE + chunk({ content: "Hi" }) + STOP + USAGE });
    expect(of("stream")).toEqual([]);
  });

  it("a malformed event is dropped with an event; everything else arrives byte-identical", async () => {
    const bad = "data: {not json\n\n";
    server.serve({ a: sse(ROLE, chunk({ content: "A" }), bad, chunk({ content: "B" }), STOP, DONE, "end") });
    const { post, of } = await balancer();
    expect((await drain(await post())).text).toBe(
      ROLE + chunk({ content: "A" }) + chunk({ content: "B" }) + STOP + DONE,
    );
    expect(of("stream")).toMatchObject([{ kind: "dropped", backend: { name: "a" }, requestId: 1 }]);
  });

  it("malformedEvents: 'pass' passes it on", async () => {
    const bad = "data: {not json\n\n";
    const steps = [ROLE, chunk({ content: "A" }), bad, STOP, DONE];
    server.serve({ a: sse(...steps, "end") });
    const { post, of } = await balancer({ malformedEvents: "pass" });
    expect((await drain(await post())).text).toBe(steps.join(""));
    expect(of("stream")).toEqual([]);
  });
});

describe("what the guard leaves alone", () => {
  it("a JSON response and an unguarded stream (streamGuard: false) pass through untouched", async () => {
    const json = '{"choices":[{"message":{"content":"hi"}}]}';
    server.serve({
      a: (attempt) =>
        attempt === 0
          ? { headers: { "content-type": "application/json" }, steps: [json, "end"] }
          : { headers: SSE, steps: ["data: one\n\n", "end"] },
    });
    const { post } = await balancer({ streamGuard: false });
    expect(await (await post()).text()).toBe(json);
    expect(await (await post()).text()).toBe("data: one\n\n");
  });

  it("invalid stream options are TypeErrors naming the field", () => {
    const backends = [{ url: "https://a.example.com" }];
    expect(() => createLoadBalancer({ backends, firstEventTimeoutMs: -1 })).toThrow(/firstEventTimeoutMs/);
    expect(() => createLoadBalancer({ backends, streamIdleTimeoutMs: Infinity })).toThrow(/streamIdleTimeoutMs/);
    expect(() => createLoadBalancer({ backends, malformedEvents: "keep" as "drop" })).toThrow(
      /malformedEvents.*"keep"/,
    );
    expect(() => createLoadBalancer({ backends, streamGuard: 1 as unknown as boolean })).toThrow(TypeError);
  });
});
