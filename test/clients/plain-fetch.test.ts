import OpenAI, { RateLimitError } from "openai";
import { describe, expect, it } from "vitest";
import { createLoadBalancer } from "../../src/index.js";
import { HttpResponse } from "msw";
import { json, onlyPost, throttled } from "../support/backends.js";
import { backend, useMsw as useBackends } from "../support/msw.js";

const server = useBackends();
const PATH = "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21";

describe("plain lb.fetch calls", () => {
  it("a JSON POST: tier 1 answers 503, tier 2 receives the same URL path, headers and body", async () => {
    const first = backend(
      "https://ptu.example.com",
      onlyPost(() => new HttpResponse("busy", { status: 503 })),
    );
    const second = backend(
      "https://paygo.example.com",
      onlyPost(() => HttpResponse.json({ ok: true }, { headers: { "x-served-by": "paygo" } })),
    );
    server.use(first.handler, second.handler);
    const lb = createLoadBalancer({
      backends: [
        { url: "https://ptu.example.com", priority: 1 },
        { url: "https://paygo.example.com", priority: 2, headers: { "api-key": "PAYGO-KEY" } },
      ],
    });
    const body = { messages: [{ role: "user", content: "hi" }], max_tokens: 5 };
    const response = await lb.fetch(`https://ptu.example.com${PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", "api-key": "PTU-KEY", "x-request-id": "r-1" },
      body: JSON.stringify(body),
    });

    expect(response.status).toBe(200);
    expect(response.headers.get("x-served-by")).toBe("paygo");
    expect(await response.json()).toEqual({ ok: true });
    expect(first.posts().map((hit) => hit.url)).toEqual([`https://ptu.example.com${PATH}`]);
    expect(second.posts().map((hit) => hit.url)).toEqual([`https://paygo.example.com${PATH}`]);
    const hit = second.posts()[0];
    expect(hit?.headers["api-key"]).toBe("PAYGO-KEY");
    expect(hit?.headers["x-request-id"]).toBe("r-1");
    expect(hit?.headers["content-type"]).toBe("application/json");
    expect(json(hit)).toEqual(body);
    // The 503 is the deployment's (state per deployment): the backend as a whole stays in rotation.
    expect(lb.snapshot().backends.map((backend) => backend.state)).toEqual(["available", "available"]);
    expect(lb.snapshot().backends[0]!.deployments.map((deployment) => deployment.state)).toEqual(["cooling"]);
  });

  it("a Request object with a body is replayed to the next backend", async () => {
    const first = backend(
      "https://a.example.com",
      onlyPost(() => throttled(5_000)),
    );
    const second = backend(
      "https://b.example.com",
      onlyPost(() => new HttpResponse("done")),
    );
    server.use(first.handler, second.handler);
    const lb = createLoadBalancer({
      backends: [
        { url: "https://a.example.com", priority: 1 },
        { url: "https://b.example.com/prefix", priority: 2 },
      ],
    });
    const request = new Request("https://anything.example.com/v1/embeddings?x=1", {
      method: "POST",
      headers: { authorization: "Bearer T" },
      body: '{"input":"text"}',
    });
    expect(await (await lb.fetch(request)).text()).toBe("done");
    expect(second.posts().map((hit) => [hit.url, hit.headers.authorization, hit.body])).toEqual([
      ["https://b.example.com/prefix/v1/embeddings?x=1", "Bearer T", '{"input":"text"}'],
    ]);
  });

  it("every backend throttled: the openai package receives the synthetic 429 with its retry headers", async () => {
    const first = backend(
      "https://ptu.example.com",
      onlyPost(() => throttled(20_000)),
    );
    const second = backend(
      "https://paygo.example.com",
      onlyPost(() => throttled(7_500)),
    );
    server.use(first.handler, second.handler);
    const lb = createLoadBalancer({
      maxWaitMs: 0,
      backends: [
        { url: "https://ptu.example.com", priority: 1 },
        { url: "https://paygo.example.com", priority: 2 },
      ],
    });
    const client = new OpenAI({ baseURL: "https://ptu.example.com/v1", apiKey: "KEY", maxRetries: 0, fetch: lb.fetch });
    const error = await client.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RateLimitError);
    const rateLimit = error as RateLimitError;
    expect(rateLimit.status).toBe(429);
    expect(rateLimit.code).toBe("all_backends_cooling_down");
    const retryAfterMs = Number(rateLimit.headers?.get("retry-after-ms"));
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(7_500);
    expect(rateLimit.headers?.get("retry-after")).toBe(String(Math.ceil(retryAfterMs / 1000)));
    expect(first.posts()).toHaveLength(1);
    expect(second.posts()).toHaveLength(1);
  });
});
