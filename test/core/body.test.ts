import { describe, expect, it } from "vitest";
import { createLoadBalancer } from "../../src/index.js";
import { HttpResponse } from "msw";
import { backend, useMsw } from "../support/msw.js";

const server = useMsw();
const URL_ = "https://client.example.com/v1/files";

/** A throttled PTU and a pay-as-you-go backend: every request is sent twice, so its body must replay. */
function twoBackends() {
  const ptu = backend(
    "https://ptu.example.com",
    () => new HttpResponse(null, { status: 429, headers: { "retry-after": "1" } }),
  );
  const paygo = backend("https://paygo.example.com", () => HttpResponse.json({ ok: true }));
  server.use(ptu.handler, paygo.handler);
  const lb = createLoadBalancer({
    backends: [{ url: "https://ptu.example.com" }, { url: "https://paygo.example.com", priority: 2 }],
    // /v1/files goes to a home backend unless balanced: these tests replay bodies across backends.
    home: false,
  });
  return { lb, ptu, paygo };
}

function stream(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

describe("request bodies are read once and replayed on every attempt", () => {
  it.each([
    ["a string", () => '{"model":"gpt-4o"}', '{"model":"gpt-4o"}'],
    ["an ArrayBuffer", () => new TextEncoder().encode("bytes!").buffer, "bytes!"],
    ["a Uint8Array", () => new TextEncoder().encode("typed array"), "typed array"],
    ["a DataView", () => new DataView(new TextEncoder().encode("view").buffer), "view"],
    ["a Blob", () => new Blob(["blob ", "parts"]), "blob parts"],
    ["URLSearchParams", () => new URLSearchParams({ a: "1", b: "two" }), "a=1&b=two"],
    ["a ReadableStream", () => stream(["chunk one, ", "chunk two"]), "chunk one, chunk two"],
  ])("%s", async (_name, makeBody, expected) => {
    const { lb, ptu, paygo } = twoBackends();
    const init = { method: "POST", body: makeBody(), duplex: "half" } as RequestInit;
    expect((await lb.fetch(URL_, init)).status).toBe(200);
    expect(ptu.hits[0]!.body).toBe(expected);
    expect(paygo.hits[0]!.body).toBe(expected);
  });

  it("FormData: a multipart upload arrives whole at each backend with a valid boundary", async () => {
    const { lb, ptu, paygo } = twoBackends();
    const form = new FormData();
    form.set("purpose", "fine-tune");
    form.set("file", new File(['{"prompt":"hi"}\n'], "train.jsonl", { type: "application/jsonl" }));
    expect((await lb.fetch(URL_, { method: "POST", body: form })).status).toBe(200);
    for (const hit of [ptu.hits[0]!, paygo.hits[0]!]) {
      const parsed = await new Request("https://parse.example", {
        method: "POST",
        body: hit.body,
        headers: { "content-type": hit.headers["content-type"]! },
      }).formData();
      expect(parsed.get("purpose")).toBe("fine-tune");
      const file = parsed.get("file") as File;
      expect(file.name).toBe("train.jsonl");
      expect(await file.text()).toBe('{"prompt":"hi"}\n');
    }
  });

  it("a Request as input, without init: method, headers and body replay", async () => {
    const { lb, ptu, paygo } = twoBackends();
    const request = new Request("https://client.example.com/v1/embeddings?x=1", {
      method: "POST",
      headers: { "content-type": "application/json", "x-trace": "t1" },
      body: '{"input":"hello"}',
    });
    expect((await lb.fetch(request)).status).toBe(200);
    for (const hit of [ptu.hits[0]!, paygo.hits[0]!]) {
      expect(hit.body).toBe('{"input":"hello"}');
      expect(hit.headers["x-trace"]).toBe("t1");
    }
    expect(paygo.hits[0]!.url).toBe("https://paygo.example.com/v1/embeddings?x=1");
  });

  it("a Request as input with an init that overrides it", async () => {
    const { lb, paygo } = twoBackends();
    const request = new Request("https://client.example.com/v1/embeddings", {
      method: "POST",
      body: "original",
      headers: { "x-a": "1" },
    });
    await lb.fetch(request, { method: "PUT", body: "override", headers: { "x-b": "2" } });
    expect(paygo.hits[0]).toMatchObject({ body: "override" });
    expect(paygo.hits[0]!.headers["x-b"]).toBe("2");
    expect(paygo.hits[0]!.headers["x-a"]).toBeUndefined();
  });
});

describe("a request body never holds the request past the caller's abort", () => {
  /** A body stream that sends one chunk and then never ends; `cancelled` resolves with the cancel reason. */
  function endless(): { body: ReadableStream<Uint8Array>; cancelled: Promise<unknown> } {
    let onCancel!: (reason: unknown) => void;
    const cancelled = new Promise((resolve) => (onCancel = resolve));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("first chunk, then silence"));
      },
      cancel: (reason) => onCancel(reason),
    });
    return { body, cancelled };
  }

  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it("a stream body that never ends: the caller's abort rejects the call, nothing is sent, the stream is cancelled", async () => {
    const sent: string[] = [];
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }],
      fetch: async (input) => {
        sent.push(String(input));
        return new Response("{}");
      },
    });
    const controller = new AbortController();
    const { body, cancelled } = endless();
    const pending = lb.fetch(URL_, { method: "POST", body, duplex: "half", signal: controller.signal } as RequestInit);
    await tick();
    const reason = new Error("the caller gave up");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(await cancelled).toBe(reason);
    expect(sent).toEqual([]);
    expect(lb.snapshot().backends[0]).toMatchObject({ inFlight: 0, requests: 0 });
  });

  it("a Request whose body never ends: the abort of the signal it was made with rejects the call", async () => {
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }],
      fetch: async () => new Response("{}"),
    });
    const controller = new AbortController();
    const { body } = endless();
    const request = new Request(URL_, {
      method: "POST",
      body,
      duplex: "half",
      signal: controller.signal,
    } as RequestInit);
    const pending = lb.fetch(request);
    await tick();
    controller.abort(new Error("stop"));
    await expect(pending).rejects.toThrow();
  });

  it("an already aborted signal rejects before the stream is read", async () => {
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }],
      fetch: async () => new Response("{}"),
    });
    const { body } = endless();
    const reason = new Error("already");
    await expect(
      lb.fetch(URL_, { method: "POST", body, duplex: "half", signal: AbortSignal.abort(reason) } as RequestInit),
    ).rejects.toBe(reason);
  });

  it("a Request with an init signal: every attempt gets the caller's own signal, not the Request's weak copy", async () => {
    const signals: Array<AbortSignal | null | undefined> = [];
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }, { url: "https://b.example.com", priority: 2 }],
      home: false,
      fetch: async (input, init) => {
        signals.push(init?.signal);
        return new Response(null, { status: String(input).startsWith("https://a.") ? 503 : 200 });
      },
    });
    const controller = new AbortController();
    await lb.fetch(new Request(URL_, { method: "POST", body: "x" }), { signal: controller.signal });
    expect(signals).toEqual([controller.signal, controller.signal]);
    const request = new Request(URL_, { signal: controller.signal });
    signals.length = 0;
    await lb.fetch(request);
    expect(signals[0]).toBe(request.signal);
  });

  it("a stream of anything but bytes is a TypeError, not a hang", async () => {
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }],
      fetch: async () => new Response("{}"),
    });
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue("text, not bytes");
        controller.close();
      },
    });
    await expect(lb.fetch(URL_, { method: "POST", body, duplex: "half" } as RequestInit)).rejects.toThrow(
      /a request body stream must yield Uint8Array chunks/,
    );
  });
});
