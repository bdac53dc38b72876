import { describe, expect, it } from "vitest";
import { createLoadBalancer, type LoadBalancerEvent } from "../../src/index.js";
import { azure } from "../../src/providers/index.js";
import { json, ok, SimulatedBackends, throttled } from "../support/backends.js";

const EAST = "https://eastus.openai.azure.com";
const WEST = "https://westus.openai.azure.com";

/** Two Azure resources with two deployments each; east answers 429 for the deployments in `throttledOnEast`. */
function setup(maxWaitMs = 0) {
  let clock = 1_000_000;
  const throttledOnEast = new Set<string>();
  const sim: SimulatedBackends = new SimulatedBackends({
    [EAST]: ({ received }) => {
      const { model } = json(received) as { model: string };
      if (throttledOnEast.has(model)) return throttled(5_000);
      return ok({ id: sim.issueId(EAST, "resp"), object: "response", model });
    },
    [WEST]: ({ received }) => {
      const { model } = json(received) as { model: string };
      return ok({ id: sim.issueId(WEST, "resp"), object: "response", model });
    },
  });
  const models = (region: string) => ({ "gpt-4o": `gpt4o-${region}`, "gpt-4o-mini": `mini-${region}` });
  const lb = createLoadBalancer({
    backends: [
      azure({ name: "east", url: EAST, priority: 1, apiKey: "EAST-KEY", models: models("east") }),
      azure({ name: "west", url: WEST, priority: 2, apiKey: "WEST-KEY", models: models("west") }),
    ],
    fetch: sim.fetch,
    now: () => clock,
    maxWaitMs,
  });
  const events: LoadBalancerEvent[] = [];
  lb.on("*", (event) => events.push(event));
  const create = (body: Record<string, unknown>) =>
    lb.fetch("https://lb.invalid/v1/responses", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: "hi", ...body }),
    });
  const advance = (ms: number): void => {
    clock += ms;
  };
  return { lb, sim, events, create, advance, throttledOnEast };
}

describe("a request pinned to its owner respects the owner's deployment state", () => {
  it("a 429 on the owner's deployment gets the owner's 429 with retry-after, never another backend; the owner's other deployments still serve", async () => {
    const { lb, sim, create, advance, throttledOnEast } = setup();
    const first = (await (await create({ model: "gpt-4o" })).json()) as { id: string };
    expect(sim.issuerOf(first.id)).toBe(EAST);

    throttledOnEast.add("gpt4o-east");
    const refused = await create({ model: "gpt-4o", previous_response_id: first.id });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(refused.headers.get("retry-after-ms")).toBe("5000");
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("owner_unavailable");
    expect(sim.calls(WEST)).toEqual([]);
    expect(lb.snapshot().backends[0]).toMatchObject({
      state: "available",
      deployments: [{ name: "gpt4o-east", state: "cooling", reason: "rate-limit" }],
    });

    // Only that deployment cools: the same owner serves the conversation on another model.
    const other = await create({ model: "gpt-4o-mini", previous_response_id: first.id });
    expect(other.status).toBe(200);
    expect(sim.order()).toEqual([EAST, EAST, EAST]);
    // A request naming no id fails over to the next tier as usual.
    expect((await create({ model: "gpt-4o" })).status).toBe(200);
    expect(sim.calls(WEST)).toHaveLength(1);

    advance(5_000);
    throttledOnEast.clear();
    expect((await create({ model: "gpt-4o", previous_response_id: first.id })).status).toBe(200);
    expect(sim.order().at(-1)).toBe(EAST);
  });

  it("a 5xx on the owner's deployment gets a 503 naming the owner; while it cools a follow-up is refused without a request", async () => {
    const { sim, create } = setup();
    const first = (await (await create({ model: "gpt-4o" })).json()) as { id: string };
    sim.route(EAST, () => new Response("overloaded", { status: 503 }));
    const failing = await create({ model: "gpt-4o", previous_response_id: first.id });
    expect(failing.status).toBe(503);
    expect(((await failing.json()) as { error: { message: string } }).error.message).toContain("east");
    const calls = sim.received.length;
    expect((await create({ model: "gpt-4o", previous_response_id: first.id })).status).toBe(503);
    expect(sim.received).toHaveLength(calls);
    expect(sim.calls(WEST)).toEqual([]);
  });
});
