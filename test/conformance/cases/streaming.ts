import { equal } from "../assert.js";
import { API, type Context } from "../context.js";
import { FakeNetwork, clock, reply } from "../fakes.js";
import { FIRST_EVENT } from "../server.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Response bodies are handed over as streams, not buffered. */
export function streamingCases({ t, lib }: Context): void {
  t.test("the first chunk of a streamed response is readable before the backend has finished", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    let pulls = 0;
    const sse = (): Response =>
      new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (pulls++ === 0) {
              controller.enqueue(encoder.encode(FIRST_EVENT));
              return;
            }
            await released;
            controller.enqueue(encoder.encode("data: [DONE]\n\n"));
            finished = true;
            controller.close();
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      );
    const net = new FakeNetwork().route("https://a.test", reply(429)).route("https://b.test", sse);
    const lb = lib.createLoadBalancer({
      backends: [
        { url: "https://a.test", priority: 1 },
        { url: "https://b.test", priority: 2 },
      ],
      fetch: net.fetch,
      now: clock().read,
    });
    const response = await lb.fetch(API, { method: "POST", body: '{"stream":true}' });
    equal(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body!.getReader();
    const first = await reader.read();
    equal(decoder.decode(first.value), FIRST_EVENT);
    equal(finished, false, "the backend is still streaming");
    release();
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += decoder.decode(chunk.value);
    equal(rest, "data: [DONE]\n\n");
    equal(finished, true);
  });
}
