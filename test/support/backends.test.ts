import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventStream, hang, ok, SimulatedBackends, throttled, unreachable } from "./backends.js";
import { mswHandlers } from "./msw.js";
import { refusedUrl, serveBackends } from "./server.js";

// The three forms of the simulated backends (injected fetch, msw, real sockets) must behave alike,
// or a suite would prove something about the fake rather than the balancer.

const routes = {
  "https://ok.test": () => ok({ served: "ok" }, { headers: { "x-served-by": "ok" } }),
  "https://throttled.test": () => throttled(1_500),
  "https://down.test": unreachable,
  "https://hang.test": hang,
  "https://stream.test": ({ signal }: { signal: AbortSignal }) =>
    eventStream([{ n: 1 }, "two"], { delayMs: 5, signal }),
};

/** Each form as a `fetch` and a way to name a backend's URL. */
type Form = { fetch: typeof fetch; url: (route: string) => string; backends: SimulatedBackends };

const msw = setupServer();
beforeAll(() => msw.listen({ onUnhandledRequest: "bypass" }));
afterEach(() => msw.resetHandlers());
afterAll(() => msw.close());

const forms: Record<string, () => Promise<Form & { close?: () => Promise<void> }>> = {
  "in-process fetch": async () => {
    const backends = new SimulatedBackends(routes);
    return { backends, fetch: backends.fetch, url: (route) => route };
  },
  msw: async () => {
    const backends = new SimulatedBackends(routes);
    msw.use(...mswHandlers(backends));
    return { backends, fetch: (input, init) => fetch(input, init), url: (route) => route };
  },
  "node:http on loopback": async () => {
    const backends = new SimulatedBackends(routes);
    const served = await serveBackends(backends);
    return {
      backends,
      fetch: (input, init) => fetch(input, init),
      url: (route) => served.url(route),
      close: served.close,
    };
  },
};

describe.each(Object.keys(forms))("simulated backends as %s", (name) => {
  it("record what they received and answer with the route's behaviour", async () => {
    const form = await forms[name]!();
    try {
      const response = await form.fetch(`${form.url("https://ok.test")}/v1/chat?x=1`, {
        method: "POST",
        headers: { "content-type": "application/json", "api-key": "K" },
        body: '{"a":1}',
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-served-by")).toBe("ok");
      expect(await response.json()).toEqual({ served: "ok" });
      const throttledResponse = await form.fetch(`${form.url("https://throttled.test")}/v1/chat`);
      expect(throttledResponse.status).toBe(429);
      expect(throttledResponse.headers.get("retry-after-ms")).toBe("1500");
      expect(throttledResponse.headers.get("retry-after")).toBe("2");
      expect(form.backends.received.map(({ backend, method, body }) => [backend, method, body])).toEqual([
        ["https://ok.test", "POST", '{"a":1}'],
        ["https://throttled.test", "GET", ""],
      ]);
      const [first] = form.backends.received;
      expect(new URL(first!.url).pathname + new URL(first!.url).search).toBe("/v1/chat?x=1");
      expect(first!.headers).toMatchObject({ "content-type": "application/json", "api-key": "K" });
      expect(new TextDecoder().decode(first!.bytes)).toBe('{"a":1}');
    } finally {
      await form.close?.();
    }
  });

  it("a network error rejects the fetch with a TypeError", async () => {
    const form = await forms[name]!();
    try {
      await expect(form.fetch(`${form.url("https://down.test")}/v1`)).rejects.toBeInstanceOf(TypeError);
    } finally {
      await form.close?.();
    }
  });

  it("a hanging backend holds the request until the client aborts", async () => {
    const form = await forms[name]!();
    try {
      const controller = new AbortController();
      const pending = form.fetch(`${form.url("https://hang.test")}/v1`, { signal: controller.signal });
      await expect.poll(() => form.backends.received.length).toBe(1);
      controller.abort(new DOMException("caller gave up", "AbortError"));
      await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    } finally {
      await form.close?.();
    }
  });

  it("an event stream arrives in order and ends with [DONE]", async () => {
    const form = await forms[name]!();
    try {
      const response = await form.fetch(`${form.url("https://stream.test")}/v1`, { method: "POST", body: "{}" });
      expect(response.headers.get("content-type")).toBe("text/event-stream");
      expect(await response.text()).toBe('data: {"n":1}\n\ndata: two\n\ndata: [DONE]\n\n');
    } finally {
      await form.close?.();
    }
  });
});

describe("a refused connection", () => {
  it("rejects fetch with a TypeError", async () => {
    await expect(fetch(`${await refusedUrl()}/v1`)).rejects.toBeInstanceOf(TypeError);
  });
});
