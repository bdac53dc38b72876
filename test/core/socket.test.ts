import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLoadBalancer } from "../../src/index.js";

// Real chunks: the stream guard releases a stream at its first content and wants its last event.
const ONE = 'data: {"choices":[{"delta":{"content":"one"},"finish_reason":null}]}\n\n';
const TWO = 'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n\n';

// Real sockets on loopback: what msw cannot prove (connection refused, chunked streaming over TCP).
let throttling: Server;
let streaming: Server;
const received: string[] = [];

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

let throttlingUrl: string;
let streamingUrl: string;
let refusedUrl: string;

beforeAll(async () => {
  throttling = createServer((request, response) => {
    received.push(`throttling ${request.method} ${request.url}`);
    response
      .writeHead(429, { "retry-after": "30", "content-type": "application/json" })
      .end('{"error":{"code":"429"}}');
  });
  streaming = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk));
    request.on("end", () => {
      received.push(`streaming ${request.method} ${request.url} ${body}`);
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(ONE);
      setTimeout(() => response.end(TWO), 20);
    });
  });
  throttlingUrl = await listen(throttling);
  streamingUrl = await listen(streaming);
  // A port that was just free: nothing listens there, so connecting is refused.
  const closed = createServer();
  refusedUrl = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));
});

afterAll(async () => {
  await Promise.all([throttling, streaming].map((server) => new Promise((resolve) => server.close(resolve))));
});

describe("over real sockets", () => {
  it("fails over from a refused connection and a 429 to a backend that streams", async () => {
    const lb = createLoadBalancer({
      backends: [
        { url: refusedUrl, priority: 1, name: "refused" },
        { url: throttlingUrl, priority: 2, name: "throttling" },
        { url: `${streamingUrl}/prefix`, priority: 3, name: "streaming" },
      ],
    });
    const reasons: string[] = [];
    lb.on("cooldown", (event) => reasons.push(`${event.backend.name}:${event.reason}`));
    const response = await lb.fetch("https://client.example.com/v1/chat/completions?stream=1", {
      method: "POST",
      body: '{"stream":true}',
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(ONE + TWO);
    expect(reasons).toEqual(["refused:network-error", "throttling:rate-limit"]);
    expect(received).toEqual([
      "throttling POST /v1/chat/completions?stream=1",
      'streaming POST /prefix/v1/chat/completions?stream=1 {"stream":true}',
    ]);
  });
});
