import { describe, expect, it } from "vitest";
import { createLoadBalancer } from "../../src/index.js";
import { HttpResponse } from "msw";
import { backend, useMsw } from "../support/msw.js";

const server = useMsw();

describe("streaming responses", () => {
  it("the caller reads the first SSE chunk before the backend has finished sending", async () => {
    const encoder = new TextEncoder();
    let sendRest!: () => void;
    const restSent = new Promise<void>((resolve) => (sendRest = resolve));
    const ptu = backend(
      "https://ptu.example.com",
      () => new HttpResponse(null, { status: 429, headers: { "retry-after-ms": "500" } }),
    );
    const paygo = backend("https://paygo.example.com", () => {
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode('data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n'));
          await restSent;
          controller.enqueue(encoder.encode('data: {"choices":[{"delta":{"content":"lo"}}]}\n\ndata: [DONE]\n\n'));
          controller.close();
        },
      });
      return new HttpResponse(stream, { headers: { "content-type": "text/event-stream" } });
    });
    server.use(ptu.handler, paygo.handler);
    const lb = createLoadBalancer({
      backends: [{ url: "https://ptu.example.com" }, { url: "https://paygo.example.com", priority: 2 }],
    });

    const response = await lb.fetch("https://x/openai/deployments/d/chat/completions?api-version=v", {
      method: "POST",
      body: '{"stream":true}',
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const first = await reader.read();
    expect(first.value).toBe('data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n');
    sendRest();
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += chunk.value;
    expect(rest).toBe('data: {"choices":[{"delta":{"content":"lo"}}]}\n\ndata: [DONE]\n\n');
    expect(paygo.hits).toHaveLength(1); // never retried once handed over
  });

  it("the body of a failed attempt is cancelled so its connection is released", async () => {
    let cancelled = false;
    const failing = new ReadableStream({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode("x"));
      },
      cancel() {
        cancelled = true;
      },
    });
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }, { url: "https://b.example.com", priority: 2 }],
      fetch: async (input) =>
        String(input).startsWith("https://a.") ? new Response(failing, { status: 503 }) : new Response("ok"),
    });
    expect(await (await lb.fetch("https://x/")).text()).toBe("ok");
    expect(cancelled).toBe(true);
  });
});
