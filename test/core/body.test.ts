import { describe, expect, it } from "vitest";
import { createLoadBalancer } from "../../src/index.js";
import { backend, HttpResponse, useMsw } from "./msw.js";

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
