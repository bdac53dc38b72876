import { describe, expect, it } from "vitest";
import { createLoadBalancer } from "../../src/index.js";
import { HttpResponse } from "msw";
import { backend, useMsw } from "../support/msw.js";

const server = useMsw();

describe("per-backend headers", () => {
  it("override the caller's header of the same name and reach only their backend, across failovers", async () => {
    const a = backend("https://a.example.com", () => new HttpResponse(null, { status: 429 }));
    const b = backend("https://b.example.com", () => new HttpResponse(null, { status: 503 }));
    const c = backend("https://c.example.com", () => HttpResponse.json({}));
    server.use(a.handler, b.handler, c.handler);
    const lb = createLoadBalancer({
      backends: [
        { url: "https://a.example.com", headers: { "api-key": "KEY-A" } },
        {
          url: "https://b.example.com",
          priority: 2,
          headers: new Headers({ "api-key": "KEY-B", "x-region": "eastus2" }),
        },
        { url: "https://c.example.com", priority: 3 },
      ],
    });
    const callerHeaders = new Headers({
      "api-key": "CALLER-KEY",
      "content-type": "application/json",
      "x-trace": "abc",
    });
    await lb.fetch("https://x/openai/deployments/d/chat/completions", {
      method: "POST",
      headers: callerHeaders,
      body: "{}",
    });
    expect(a.hits[0]!.headers).toMatchObject({
      "api-key": "KEY-A",
      "x-trace": "abc",
      "content-type": "application/json",
    });
    expect(a.hits[0]!.headers["x-region"]).toBeUndefined();
    expect(b.hits[0]!.headers).toMatchObject({ "api-key": "KEY-B", "x-region": "eastus2", "x-trace": "abc" });
    expect(c.hits[0]!.headers).toMatchObject({ "api-key": "CALLER-KEY", "x-trace": "abc" });
    expect(c.hits[0]!.headers["x-region"]).toBeUndefined();
    // The caller's own Headers object is never modified.
    expect(callerHeaders.get("api-key")).toBe("CALLER-KEY");
  });

  it("apply to plain-object caller headers (as the Vercel AI SDK sends them)", async () => {
    const a = backend("https://a.example.com", () => HttpResponse.json({}));
    server.use(a.handler);
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com", headers: { authorization: "Bearer backend" } }],
    });
    await lb.fetch("https://x/v1/chat/completions", {
      method: "POST",
      headers: { Authorization: "Bearer caller", "X-Other": "1" },
      body: "{}",
    });
    expect(a.hits[0]!.headers).toMatchObject({ authorization: "Bearer backend", "x-other": "1" });
  });
});
