import { describe, expect, it } from "vitest";
import { createLoadBalancer, type LoadBalancerEvent } from "../../src/index.js";
import { lease } from "../../src/lease/index.js";
import { azure, openai } from "../../src/providers/index.js";

function realtimeBalancer(maxWaitMs = 0) {
  let clock = 1_000_000;
  const lb = createLoadBalancer({
    backends: [
      azure({
        name: "ptu",
        url: "https://ptu.openai.azure.com",
        priority: 1,
        apiKey: "PTU-KEY",
        models: { "gpt-realtime": "realtime-ptu" },
      }),
      openai({ name: "openai", url: "https://api.openai.com/v1", priority: 2, apiKey: "OPENAI-KEY" }),
    ],
    now: () => clock,
    maxWaitMs,
  });
  const events: LoadBalancerEvent[] = [];
  lb.on("*", (event) => events.push(event));
  return {
    lb,
    events,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe("leases through a balancer", () => {
  it("a 429 handed back cools the backend down like a fetch's, and the next lease goes to tier 2 with its own credentials", async () => {
    const { lb, events } = realtimeBalancer();
    const first = await lease(lb, { model: "gpt-realtime" });
    expect(first.backend.name).toBe("ptu");
    expect(first.url).toBe("wss://ptu.openai.azure.com/openai/v1/realtime?model=realtime-ptu");
    expect(first.headers.get("api-key")).toBe("PTU-KEY");
    expect(first.headers.get("authorization")).toBeNull();
    expect(lb.snapshot().backends[0]).toMatchObject({ inFlight: 1, requests: 1 });

    first.release({ status: 429, retryAfterMs: 30_000 });
    // A 429 is the deployment's: the lease's model mapped to it cools, the backend's other deployments serve on.
    expect(lb.snapshot().backends[0]).toMatchObject({
      state: "available",
      inFlight: 0,
      throttles: 1,
      lastStatus: 429,
      deployments: [{ name: "realtime-ptu", state: "cooling", reason: "rate-limit" }],
    });
    expect(events.map((event) => event.type)).toEqual(["attempt", "outcome", "cooldown"]);
    expect(events[2]).toMatchObject({ reason: "rate-limit", cooldownMs: 30_000, remote: false });

    const second = await lease(lb, { model: "gpt-realtime" });
    expect(second.backend.name).toBe("openai");
    expect(second.url).toBe("wss://api.openai.com/v1/realtime?model=gpt-realtime");
    expect(second.headers.get("authorization")).toBe("Bearer OPENAI-KEY");
    second.release({ ok: true });
    expect(lb.snapshot().backends[1]).toMatchObject({ successes: 1, inFlight: 0, lastStatus: 101 });
  });

  it("a failure handed back makes the backend probe: the next lease is its probe, and its success brings it back", async () => {
    const { lb, events, advance } = realtimeBalancer();
    (await lease(lb, { model: "gpt-realtime" })).release({ error: new Error("ECONNRESET") });
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "network-error", errors: 1 });
    advance(10_000);
    const probe = await lease(lb, { model: "gpt-realtime", protocol: "http", path: "/v1/realtime/calls" });
    expect(probe.backend.name).toBe("ptu");
    expect(probe.url).toBe("https://ptu.openai.azure.com/openai/v1/realtime/calls?model=realtime-ptu");
    probe.release({ ok: true });
    expect(events.filter((event) => event.type === "probe")).toMatchObject([{ success: true }]);
    expect(lb.snapshot().backends[0]!.state).toBe("available");
  });

  it("rejects with retryAfterMs when every backend is cooling beyond maxWaitMs", async () => {
    const { lb } = realtimeBalancer();
    const model = "gpt-realtime";
    (await lease(lb, { model })).release({ status: 429, retryAfterMs: 20_000 });
    (await lease(lb, { model })).release({ status: 503, retryAfterMs: 8_000 });
    await expect(lease(lb, { model })).rejects.toMatchObject({ name: "LeaseUnavailableError", retryAfterMs: 8_000 });
  });

  it("a lease handed back as aborted leaves the backend as it was", async () => {
    const { lb } = realtimeBalancer();
    (await lease(lb, { model: "gpt-realtime" })).release({ aborted: true });
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "available", inFlight: 0, successes: 0, errors: 0 });
  });
});
