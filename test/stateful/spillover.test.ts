import { describe, expect, it } from "vitest";
import { createLoadBalancer, type OutcomeEvent } from "../../src/index.js";
import { azure } from "../../src/providers/index.js";
import { ok, SimulatedBackends } from "../support/backends.js";

const RESOURCE = "https://contoso-eastus.openai.azure.com";
const OTHER = "https://contoso-westus.openai.azure.com";

/** PTU and standard deployments on one resource (the PTU spills over to the standard one), a second region behind. */
function spillingSetup(ptuAnswer: () => Response) {
  const backends = new SimulatedBackends({
    [`${RESOURCE}/openai/deployments/gpt4o-ptu/`]: ptuAnswer,
    [`${RESOURCE}/openai/deployments/gpt4o-standard/`]: () => ok({ served: "standard" }),
    [`${OTHER}/`]: () => ok({ served: "westus" }),
  });
  const lb = createLoadBalancer({
    backends: [
      azure({ name: "ptu", url: RESOURCE, priority: 1, models: { "gpt-4o": "gpt4o-ptu" } }),
      azure({ name: "standard", url: RESOURCE, priority: 2, models: { "gpt-4o": "gpt4o-standard" } }),
      azure({ name: "westus", url: OTHER, priority: 3, models: { "gpt-4o": "gpt-4o" } }),
    ],
    fetch: backends.fetch,
  });
  const outcomes: OutcomeEvent[] = [];
  lb.on("outcome", (event) => outcomes.push(event));
  const chat = async () => {
    const response = await lb.fetch("https://lb.invalid/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
    });
    return (await response.json()) as { served: string };
  };
  return { lb, backends, outcomes, chat };
}

describe("Azure provisioned spillover", () => {
  it("a request that spilled and failed on the standard deployment is not sent to that deployment again", async () => {
    const { lb, backends, outcomes, chat } = spillingSetup(() =>
      Response.json(
        { error: { code: "429", message: "Rate limit" } },
        {
          status: 429,
          headers: {
            "retry-after-ms": "5000",
            "x-ms-spillover-from-deployment": "gpt4o-ptu",
            "x-ms-deployment-name": "gpt4o-standard",
            "x-ms-spillover-error": "429",
          },
        },
      ),
    );
    expect(await chat()).toEqual({ served: "westus" });
    expect(backends.calls(`${RESOURCE}/openai/deployments/gpt4o-standard/`)).toEqual([]);
    expect(outcomes[0]).toMatchObject({
      backend: { name: "ptu" },
      result: "failure",
      spillover: { from: "gpt4o-ptu", to: "gpt4o-standard", failed: true },
    });
    expect(outcomes[1]).toMatchObject({ backend: { name: "westus" }, result: "response" });
    expect(outcomes[1]!.spillover).toBeUndefined();
    expect(lb.snapshot().backends.map((backend) => backend.spilled)).toEqual([1, 0, 0]);
  });

  it("a successful spill is handed back and counted; without spillover headers the failover is as usual", async () => {
    let spilled = true;
    const { lb, outcomes, chat } = spillingSetup(() =>
      spilled
        ? ok({ served: "standard via spillover" }, { headers: { "x-ms-spillover-from-deployment": "gpt4o-ptu" } })
        : Response.json({ error: { code: "429" } }, { status: 429, headers: { "retry-after-ms": "5000" } }),
    );
    expect(await chat()).toEqual({ served: "standard via spillover" });
    expect(outcomes[0]).toMatchObject({
      result: "response",
      spillover: { from: "gpt4o-ptu", to: null, failed: false },
    });
    expect(lb.snapshot().backends[0]!.spilled).toBe(1);
    spilled = false;
    expect(await chat()).toEqual({ served: "standard" });
  });
});
