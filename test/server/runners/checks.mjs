// The events endpoint's checks, shared by the Node, Deno and Bun runners: each serves
// `eventsHandler` on a real loopback socket in its own way and hands the URL to `runChecks`.

export const TOKEN = "s3cret-token";

/** A real balancer whose backend answers 200 without a network, so requests produce events. */
export function createWatchedBalancer(lib) {
  return lib.createLoadBalancer({
    backends: [{ name: "primary", url: "https://primary.example.com" }],
    fetch: async () => new Response("{}", { status: 200 }),
  });
}

const assert = (condition, message) => {
  if (!condition) throw new Error(message);
};

/** Reads server-sent events from a fetch response until `count` events (comments aside) arrived. */
async function readEvents(reader, count) {
  const decoder = new TextDecoder();
  const events = [];
  let buffer = "";
  while (events.length < count) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const type = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (type !== undefined) events.push({ type, data: JSON.parse(data) });
      end = buffer.indexOf("\n\n");
    }
  }
  return events;
}

async function poll(condition, message) {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(message);
}

/**
 * @param url where the handler is served
 * @param lb the balancer behind it
 * @param listeners a function returning how many listeners the balancer has now
 */
export async function runChecks({ url, lb, listeners }, log) {
  const auth = { authorization: `Bearer ${TOKEN}` };
  const checks = [
    [
      "401 without the token, and with a wrong one",
      async () => {
        const none = await fetch(url, { headers: { accept: "application/json" } });
        assert(none.status === 401, `without a token: ${none.status}`);
        await none.body?.cancel();
        const wrong = await fetch(url, { headers: { authorization: "Bearer nope" } });
        assert(wrong.status === 401, `with a wrong token: ${wrong.status}`);
        await wrong.body?.cancel();
      },
    ],
    [
      "405 for a POST",
      async () => {
        const response = await fetch(url, { method: "POST", headers: auth, body: "{}" });
        assert(response.status === 405, `status ${response.status}`);
        assert(response.headers.get("allow") === "GET", `allow ${response.headers.get("allow")}`);
        await response.body?.cancel();
      },
    ],
    [
      "the snapshot as JSON for Accept: application/json",
      async () => {
        const response = await fetch(url, { headers: { ...auth, accept: "application/json" } });
        assert(response.status === 200, `status ${response.status}`);
        const snapshot = await response.json();
        assert(snapshot.backends[0].name === "primary", JSON.stringify(snapshot));
      },
    ],
    [
      "the snapshot then every event as server-sent events, without the URL's query; the listener goes with the client",
      async () => {
        const before = listeners();
        const controller = new AbortController();
        const response = await fetch(url, {
          headers: { ...auth, accept: "text/event-stream" },
          signal: controller.signal,
        });
        assert(response.status === 200, `status ${response.status}`);
        assert(response.headers.get("content-type").startsWith("text/event-stream"), "content-type");
        const reader = response.body.getReader();
        const [first] = await readEvents(reader, 1);
        assert(first.type === "snapshot" && first.data.backends.length === 1, `first event ${first.type}`);
        await poll(() => listeners() === before + 1, "the stream did not subscribe");
        const answered = await lb.fetch("https://primary.example.com/v1/chat/completions?api-key=leak", {
          method: "POST",
          body: "{}",
        });
        assert(answered.status === 200, `the balanced request got ${answered.status}`);
        const events = await readEvents(reader, 3);
        assert(
          events.map((event) => event.type).join() === "attempt,outcome,response",
          events.map((e) => e.type).join(),
        );
        assert(events[0].data.url === "https://primary.example.com/v1/chat/completions", events[0].data.url);
        controller.abort();
        await reader.cancel().catch(() => {});
        await poll(() => listeners() === before, `the listener was not released: ${listeners()} listening`);
      },
    ],
  ];
  let passed = 0;
  let failed = 0;
  for (const [name, check] of checks) {
    try {
      await check();
      passed++;
      log(`ok ${name}`);
    } catch (error) {
      failed++;
      log(`FAIL ${name}: ${error?.stack ?? error}`);
    }
  }
  log(`${passed} passed, ${failed} failed`);
  return { passed, failed };
}

/** Wraps `lb.on` to count live listeners. */
export function countListeners(lb) {
  let count = 0;
  const on = lb.on;
  return {
    lb: {
      ...lb,
      on(type, listener) {
        count++;
        const off = on(type, listener);
        let done = false;
        return () => {
          if (!done) count--;
          done = true;
          off();
        };
      },
    },
    listeners: () => count,
  };
}
