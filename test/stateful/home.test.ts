import { describe, expect, it } from "vitest";
import { createLoadBalancer } from "../../src/index.js";
import { azure } from "../../src/providers/index.js";
import { ok, SimulatedBackends } from "../support/backends.js";

const PTU = "https://ptu.openai.azure.com";
const GATEWAY = "https://gateway.example.com";

const upload = (lb: { fetch: typeof fetch }) => {
  const form = new FormData();
  form.append("purpose", "batch");
  form.append("file", new Blob(['{"custom_id":"1"}\n']), "batch.jsonl");
  return lb.fetch("https://lb.invalid/v1/files", { method: "POST", body: form });
};

describe("the home backend", () => {
  it("is pinned only when it can take the request: a home whose adapter refuses an upload does not make it unservable", async () => {
    const sim = new SimulatedBackends({ [PTU]: () => ok({ id: "file-ptu" }), [GATEWAY]: () => ok({ id: "file-gw" }) });
    const lb = createLoadBalancer({
      backends: [
        // A model map: this adapter serves only the mapped models, and an upload names none.
        azure({ name: "ptu", url: PTU, priority: 1, apiKey: "K", models: { "gpt-4o": "gpt4o" } }),
        { name: "gateway", url: GATEWAY, priority: 2 },
      ],
      fetch: sim.fetch,
    });
    const response = await upload(lb);
    expect(response.status).toBe(200);
    expect(sim.order()).toEqual([GATEWAY]);
  });

  it("takes uploads while it is in rotation, and its 429 is the caller's: no upload lands on another resource", async () => {
    let throttle = false;
    const sim = new SimulatedBackends({
      [PTU]: () => (throttle ? Response.json({}, { status: 429, headers: { "retry-after": "30" } }) : ok({ id: "f" })),
      [GATEWAY]: () => ok({ id: "file-gw" }),
    });
    const lb = createLoadBalancer({
      maxWaitMs: 0,
      backends: [
        { name: "ptu", url: PTU, priority: 1 },
        { name: "gateway", url: GATEWAY, priority: 2 },
      ],
      fetch: sim.fetch,
    });
    expect((await upload(lb)).status).toBe(200);
    throttle = true;
    const refused = await upload(lb);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("30");
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("home_backend_unavailable");
    expect(sim.order()).toEqual([PTU, PTU]);
  });
});
