import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLoadBalancer } from "../../src/index.js";
import { eventStream, SimulatedBackends, tooMany } from "../support/backends.js";
import { refusedUrl, type ServedBackends, serveBackends } from "../support/server.js";

// Real chunks: the stream guard releases a stream at its first content and wants its last event.
const ONE = '{"choices":[{"delta":{"content":"one"},"finish_reason":null}]}';
const TWO = '{"choices":[{"delta":{},"finish_reason":"stop"}]}';

// Real sockets on loopback: what msw cannot prove (connection refused, chunked streaming over TCP).
const backends = new SimulatedBackends({
  "https://throttling.test": () => tooMany({ "retry-after": "30" }),
  "https://streaming.test": ({ signal }) => eventStream([ONE, TWO], { delayMs: 20, done: false, signal }),
});
let served: ServedBackends;
let refused: string;

beforeAll(async () => {
  served = await serveBackends(backends);
  refused = await refusedUrl();
});

afterAll(() => served.close());

describe("over real sockets", () => {
  it("fails over from a refused connection and a 429 to a backend that streams", async () => {
    const lb = createLoadBalancer({
      backends: [
        { url: refused, priority: 1, name: "refused" },
        { url: served.url("https://throttling.test"), priority: 2, name: "throttling" },
        { url: `${served.url("https://streaming.test")}/prefix`, priority: 3, name: "streaming" },
      ],
    });
    const reasons: string[] = [];
    lb.on("cooldown", (event) => reasons.push(`${event.backend.name}:${event.reason}`));
    const response = await lb.fetch("https://client.example.com/v1/chat/completions?stream=1", {
      method: "POST",
      body: '{"stream":true}',
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(`data: ${ONE}\n\ndata: ${TWO}\n\n`);
    expect(reasons).toEqual(["refused:network-error", "throttling:rate-limit"]);
    expect(
      backends.received.map(({ backend, method, url, body }) => [
        backend,
        method,
        new URL(url).pathname + new URL(url).search,
        body,
      ]),
    ).toEqual([
      ["https://throttling.test", "POST", "/v1/chat/completions?stream=1", '{"stream":true}'],
      ["https://streaming.test", "POST", "/prefix/v1/chat/completions?stream=1", '{"stream":true}'],
    ]);
  });
});
