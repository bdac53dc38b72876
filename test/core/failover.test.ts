import { describe, expect, it, vi } from "vitest";
import { createLoadBalancer, type LoadBalancerEvent } from "../../src/index.js";
import { HttpResponse } from "msw";
import { backend, useMsw } from "../support/msw.js";

const server = useMsw();
const CHAT = "https://client.example.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21";
const post = (lb: { fetch: typeof fetch }) =>
  lb.fetch(CHAT, { method: "POST", headers: { "content-type": "application/json" }, body: '{"messages":[]}' });
const completion = () => HttpResponse.json({ object: "chat.completion", choices: [] });

describe("the URL sent to a backend", () => {
  it("replaces the origin and prepends the backend's path prefix, keeping the query", async () => {
    const apim = backend("https://apim.example.com", () => completion());
    server.use(apim.handler);
    const lb = createLoadBalancer({ backends: [{ url: "https://apim.example.com/ai/" }] });
    await post(lb);
    expect(apim.hits.map((hit) => hit.url)).toEqual([
      "https://apim.example.com/ai/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
    ]);
  });

  it("accepts URL objects and relative paths", async () => {
    const a = backend("https://a.example.com", () => completion());
    server.use(a.handler);
    const lb = createLoadBalancer({ backends: [{ url: "https://a.example.com" }] });
    await lb.fetch(new URL("https://elsewhere.example.com/v1/embeddings?x=1#fragment"), { method: "POST" });
    await lb.fetch("/v1/models");
    expect(a.hits.map((hit) => hit.url)).toEqual([
      "https://a.example.com/v1/embeddings?x=1",
      "https://a.example.com/v1/models",
    ]);
  });
});

describe("failover", () => {
  it.each([429, 500, 502, 503, 504])(
    "a %i sends the same request at once to the next backend and cools the first down",
    async (status) => {
      const ptu = backend(
        "https://ptu.example.com",
        () => new HttpResponse("busy", { status, headers: { "retry-after": "5" } }),
      );
      const paygo = backend("https://paygo.example.com", () => completion());
      server.use(ptu.handler, paygo.handler);
      const lb = createLoadBalancer({
        backends: [
          { url: "https://ptu.example.com", priority: 1 },
          { url: "https://paygo.example.com", priority: 2 },
        ],
      });
      const response = await post(lb);
      expect(response.status).toBe(200);
      expect(paygo.hits).toHaveLength(1);
      expect(paygo.hits[0]!.body).toBe('{"messages":[]}');
      const [ptuState] = lb.snapshot().backends;
      // The quota and the failing model server are the deployment's: the backend as a whole stays in rotation.
      expect(ptuState).toMatchObject({ state: "available", lastStatus: status });
      expect(ptuState!.deployments).toMatchObject([
        { name: "gpt-4o", state: "cooling", reason: status === 429 ? "rate-limit" : "server-error" },
      ]);
      // While it cools down, the PTU gets nothing.
      await post(lb);
      expect(ptu.hits).toHaveLength(1);
      expect(paygo.hits).toHaveLength(2);
    },
  );

  // 401 and 403 fail over (failoverOn.credentials; see test/streams/rules.test.ts).
  it.each([400, 404, 408, 409, 422, 304, 201, 204])(
    "a %i is handed back unchanged, without retry or penalty",
    async (status) => {
      const a = backend(
        "https://a.example.com",
        () =>
          new HttpResponse(status === 204 || status === 304 ? null : `body ${status}`, {
            status,
            headers: { "x-custom": "kept" },
          }),
      );
      const b = backend("https://b.example.com", () => completion());
      server.use(a.handler, b.handler);
      const lb = createLoadBalancer({
        backends: [{ url: "https://a.example.com" }, { url: "https://b.example.com", priority: 2 }],
      });
      const response = await lb.fetch(CHAT, { method: "POST", body: "{}", redirect: "manual" });
      expect(response.status).toBe(status);
      expect(response.headers.get("x-custom")).toBe("kept");
      if (status !== 204 && status !== 304) expect(await response.text()).toBe(`body ${status}`);
      expect(b.hits).toHaveLength(0);
      expect(lb.snapshot().backends[0]).toMatchObject({ state: "available", successes: 1, lastStatus: status });
    },
  );

  it("a network error cools the backend down for defaultCooldownMs and fails over", async () => {
    const down = backend("https://down.example.com", () => HttpResponse.error());
    const up = backend("https://up.example.com", () => completion());
    server.use(down.handler, up.handler);
    const events: LoadBalancerEvent[] = [];
    const lb = createLoadBalancer({
      backends: [{ url: "https://down.example.com" }, { url: "https://up.example.com", priority: 2 }],
      defaultCooldownMs: 7000,
    });
    lb.on("cooldown", (event) => events.push(event));
    expect((await post(lb)).status).toBe(200);
    expect(events).toMatchObject([
      { type: "cooldown", reason: "network-error", cooldownMs: 7000, backend: { name: "down.example.com" } },
    ]);
    expect(events[0]).not.toHaveProperty("status", expect.anything());
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", errors: 1, reason: "network-error" });
  });

  it("falls through every tier in order until one answers", async () => {
    const order: string[] = [];
    const failing = (name: string, status: number) =>
      backend(`https://${name}.example.com`, () => {
        order.push(name);
        return new HttpResponse(null, { status });
      });
    const t1 = failing("t1", 429);
    const t2 = failing("t2", 503);
    const t3 = backend("https://t3.example.com", () => {
      order.push("t3");
      return completion();
    });
    server.use(t1.handler, t2.handler, t3.handler);
    const lb = createLoadBalancer({
      backends: [
        { url: "https://t3.example.com", priority: 3 },
        { url: "https://t2.example.com", priority: 2 },
        { url: "https://t1.example.com", priority: 1 },
      ],
    });
    const attempts: number[] = [];
    lb.on("response", (event) => attempts.push(event.attempt));
    expect((await post(lb)).status).toBe(200);
    expect(order).toEqual(["t1", "t2", "t3"]);
    expect(attempts).toEqual([3]);
  });

  it("a backend already cooling keeps the later of its two deadlines, with one cooldown event for both 429s", async () => {
    // Two requests in flight to A at once; their 429s come back in the order the test chooses.
    const replies: Array<(response: Response) => void> = [];
    const fetch = (input: string | URL | Request): Promise<Response> =>
      String(input).startsWith("https://a.")
        ? new Promise<Response>((resolve) => replies.push(resolve))
        : Promise.resolve(new Response("ok"));
    const now = 1_000_000;
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }, { url: "https://b.example.com", priority: 2 }],
      fetch,
      now: () => now,
    });
    const until: number[] = [];
    lb.on("cooldown", (event) => until.push(event.until));
    const first = lb.fetch(CHAT);
    const second = lb.fetch(CHAT);
    await vi.waitFor(() => expect(replies).toHaveLength(2));
    replies[0]!(new Response(null, { status: 429, headers: { "retry-after": "40" } }));
    await first;
    replies[1]!(new Response(null, { status: 429, headers: { "retry-after": "2" } }));
    await second;
    expect(until).toEqual([1_040_000]);
    expect(lb.snapshot().backends[0]!.deployments[0]!.until).toBe(1_040_000);
  });
});

describe("URLs that are not for the backends", () => {
  it("data: and blob: URLs go straight to the underlying fetch (the openai SDK probes its fetch with data:,)", async () => {
    const seen: string[] = [];
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }],
      fetch: async (input) => {
        seen.push(String(input));
        return new Response("probe");
      },
    });
    expect(await (await lb.fetch("data:,")).text()).toBe("probe");
    await lb.fetch(new URL("blob:https://x/123"));
    expect(seen).toEqual(["data:,", "blob:https://x/123"]);
    expect(lb.snapshot().backends[0]!.requests).toBe(0);
  });
});
