import { equal, ok } from "../assert.js";
import { API, API_PATH, type Context } from "../context.js";
import { type Echo, FIRST_EVENT } from "../server.js";

const decoder = new TextDecoder();

/** The same behaviour over a real socket, to a server the runtime itself started. */
export function socketCases({ t, lib, platform }: Context): void {
  const { serverUrl, closedUrl } = platform;

  t.test(
    `real socket (${platform.runtime}): a 429 with retry-after fails over and the request arrives whole`,
    async () => {
      const lb = lib.createLoadBalancer({
        backends: [
          { url: `${serverUrl}/throttled`, name: "throttled", priority: 1 },
          { url: `${serverUrl}/echo`, name: "echo", priority: 2, headers: { "api-key": "key-2" } },
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
      equal(response.status, 200);
      const echo = (await response.json()) as Echo;
      equal(echo.method, "POST");
      equal(echo.path, `/echo${API_PATH}`);
      equal(echo.apiKey, "key-2");
      equal(echo.contentType, "application/json");
      equal(echo.body, body);
      const throttled = lb.snapshot().backends[0];
      equal(throttled?.reason, "rate-limit");
      ok(
        throttled !== undefined &&
          throttled.until !== null &&
          throttled.until >= before + 30_000 &&
          throttled.until <= after + 30_000,
        "cooling for retry-after: 30",
      );
    },
  );

  t.test(`real socket (${platform.runtime}): a refused connection and a 503 fail over`, async () => {
    const lb = lib.createLoadBalancer({
      backends: [
        { url: closedUrl, name: "closed", priority: 1 },
        { url: `${serverUrl}/broken`, name: "broken", priority: 2 },
        { url: `${serverUrl}/echo`, name: "echo", priority: 3 },
      ],
    });
    const reasons: string[] = [];
    lb.on("cooldown", (event) => reasons.push(`${event.backend.name} ${event.reason}`));
    const response = await lb.fetch(API);
    equal(response.status, 200);
    equal(((await response.json()) as Echo).method, "GET");
    equal(reasons.join(", "), "closed network-error, broken server-error");
  });

  t.test(
    `real socket (${platform.runtime}): a streamed response's first chunk arrives before the backend finishes`,
    async () => {
      const id = Math.random().toString(36).slice(2);
      const lb = lib.createLoadBalancer({ backends: [{ url: `${serverUrl}/stream` }] });
      const response = await lb.fetch(`https://api.example.com/v1/chat/completions?id=${id}`, {
        method: "POST",
        body: "{}",
      });
      equal(response.status, 200);
      const reader = response.body!.getReader();
      let received = "";
      while (!received.includes("\n\n")) {
        const chunk = await reader.read();
        ok(!chunk.done, "the stream ended before its first event");
        received += decoder.decode(chunk.value, { stream: true });
      }
      equal(received, FIRST_EVENT);
      // The server holds the rest until this release: the first event cannot have come from a finished response.
      equal((await fetch(`${serverUrl}/release?id=${id}`)).status, 204);
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
        received += decoder.decode(chunk.value, { stream: true });
      equal(received, `${FIRST_EVENT}data: [DONE]\n\n`);
    },
  );

  t.test(
    `real socket (${platform.runtime}): an in-band error before content fails over to the next backend`,
    async () => {
      const lb = lib.createLoadBalancer({
        backends: [
          { url: `${serverUrl}/in-band-error`, name: "in-band", priority: 1 },
          { url: `${serverUrl}/echo`, name: "echo", priority: 2 },
        ],
      });
      const reasons: string[] = [];
      lb.on("cooldown", (event) => reasons.push(`${event.backend.name} ${event.reason}`));
      const response = await lb.fetch(API, { method: "POST", body: "{}" });
      equal(((await response.json()) as Echo).path, `/echo${API_PATH}`);
      equal(reasons.join(", "), "in-band stream");
    },
  );

  t.test(`real socket (${platform.runtime}): a stream that ends before its last event errors`, async () => {
    const lb = lib.createLoadBalancer({ backends: [{ url: `${serverUrl}/truncated` }] });
    const response = await lb.fetch(API, { method: "POST", body: "{}" });
    let failed = false;
    try {
      await response.text();
    } catch {
      failed = true;
    }
    equal(failed, true, "the truncated stream must error");
  });
}
