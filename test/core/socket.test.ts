import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLoadBalancer } from "../../src/index.js";
import { eventStream, SimulatedBackends, tooMany } from "../support/backends.js";
import { refusedUrl, type ServedBackends, serveBackends } from "../support/server.js";

// Real sockets on loopback: what msw cannot prove (connection refused, chunked streaming over TCP).
const backends = new SimulatedBackends({
  "https://throttling.test": () => tooMany({ "retry-after": "30" }),
  "https://streaming.test": ({ signal }) => eventStream(["one", "two"], { delayMs: 20, done: false, signal }),
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
    expect(await response.text()).toBe("data: one\n\ndata: two\n\n");
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
