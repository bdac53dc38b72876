import { describe, expect, it } from "vitest";
import { createLoadBalancer, type LoadBalancerEvent } from "../../src/index.js";
import { azure, azureV1, openai } from "../../src/providers/index.js";
import { SimulatedBackends, ok, tooMany } from "../support/backends.js";

const chat = (deployment: string) =>
  `https://client.example.com/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`;
const post = { method: "POST", body: '{"messages":[]}' };
const servedBy = async (response: Response) => ((await response.json()) as { by: string }).by;

/** A PTU whose answer per deployment the test sets, and a pay-as-you-go backend that always serves. */
function ptuAndPaygo(ptu: (url: string) => Response | Promise<Response>) {
  const fake = new SimulatedBackends({
    "https://ptu.example.com": ({ request }) => ptu(request.url),
    "https://paygo.example.com": () => ok({ by: "paygo" }),
  });
  const lb = createLoadBalancer({
    backends: [
      { url: "https://ptu.example.com", name: "ptu", priority: 1 },
      { url: "https://paygo.example.com", name: "paygo", priority: 2 },
    ],
    fetch: fake.fetch,
  });
  return { lb, fake };
}

describe("state per deployment", () => {
  it("a 429 on deployment A leaves deployment B of the same backend in rotation", async () => {
    const { lb } = ptuAndPaygo((url) =>
      url.includes("/embeddings-small/") ? tooMany({ "retry-after": "30" }) : ok({ by: "ptu" }),
    );
    const events: LoadBalancerEvent[] = [];
    lb.on("*", (event) => events.push(event));
    expect(await servedBy(await lb.fetch(chat("embeddings-small"), post))).toBe("paygo");
    expect(await servedBy(await lb.fetch(chat("gpt-4o"), post))).toBe("ptu");
    expect(await servedBy(await lb.fetch(chat("embeddings-small"), post))).toBe("paygo");
    const [ptu] = lb.snapshot().backends;
    expect(ptu).toMatchObject({ state: "available", reason: null, throttles: 1 });
    expect(ptu!.deployments).toEqual([
      {
        name: "embeddings-small",
        state: "cooling",
        until: expect.any(Number),
        reason: "rate-limit",
        consecutiveFailures: 0,
        pacing: null,
      },
    ]);
    const cooldowns = events.filter((event) => event.type === "cooldown");
    expect(cooldowns).toEqual([expect.objectContaining({ deployment: "embeddings-small", cooldownMs: 30_000 })]);
    expect(events.filter((event) => event.type === "attempt").map((event) => event.deployment)).toEqual([
      "embeddings-small",
      "embeddings-small",
      "gpt-4o",
      "embeddings-small",
    ]);
  });

  it("a spent quota on one deployment cools that deployment only", async () => {
    const { lb } = ptuAndPaygo((url) =>
      url.includes("/a/")
        ? ok({ by: "ptu" }, { headers: { "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "20s" } })
        : ok({ by: "ptu" }),
    );
    await lb.fetch(chat("a"), post);
    expect(await servedBy(await lb.fetch(chat("a"), post))).toBe("paygo");
    expect(await servedBy(await lb.fetch(chat("b"), post))).toBe("ptu");
    expect(lb.snapshot().backends[0]!.deployments).toMatchObject([
      { name: "a", state: "cooling", reason: "quota", pacing: { remainingTokens: 0, basis: "headers" } },
    ]);
  });

  it("a 5xx counts against the deployment it came from (Azure fails per model deployment)", async () => {
    const { lb } = ptuAndPaygo((url) =>
      url.includes("/a/") ? new Response(null, { status: 503 }) : ok({ by: "ptu" }),
    );
    await lb.fetch(chat("a"), post);
    expect(await servedBy(await lb.fetch(chat("b"), post))).toBe("ptu");
    expect(lb.snapshot().backends[0]!.deployments).toMatchObject([
      { name: "a", state: "cooling", reason: "server-error", consecutiveFailures: 1 },
    ]);
    expect(lb.snapshot().backends[0]!.consecutiveFailures).toBe(0);
  });

  it("a network error takes the backend as a whole out of rotation, for every deployment", async () => {
    const { lb } = ptuAndPaygo(() => {
      throw new TypeError("fetch failed");
    });
    const events: LoadBalancerEvent[] = [];
    lb.on("cooldown", (event) => events.push(event));
    expect(await servedBy(await lb.fetch(chat("a"), post))).toBe("paygo");
    expect(await servedBy(await lb.fetch(chat("b"), post))).toBe("paygo");
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "network-error", deployments: [] });
    expect(events).toEqual([expect.objectContaining({ deployment: null, reason: "network-error" })]);
  });

  it("without a deployment in the path (model-in-body APIs, no adapter) the backend as a whole is the unit", async () => {
    const { lb } = ptuAndPaygo(() => tooMany({ "retry-after": "5" }));
    await lb.fetch("https://client.example.com/v1/chat/completions", post);
    expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "rate-limit", deployments: [] });
  });

  it("the deployment is read from the path with percent-escapes decoded", async () => {
    const { lb } = ptuAndPaygo(() => tooMany({ "retry-after": "5" }));
    await lb.fetch(chat("my%2Ddeployment"), post);
    expect(lb.snapshot().backends[0]!.deployments.map((d) => d.name)).toEqual(["my-deployment"]);
  });
});

describe("adapters say where the quota is (BackendAdapter.scope)", () => {
  const request = (pathAndQuery: string, body: string) => ({ pathAndQuery, method: "POST", init: { body } });

  it("azure(): the deployment it sends to, through the model map when there is one", () => {
    const plain = azure({ url: "https://a.openai.azure.com", apiKey: "k" }).adapter!;
    const mapped = azure({ url: "https://a.openai.azure.com", apiKey: "k", models: { "gpt-4o": "gpt4o-ptu" } })
      .adapter!;
    const deploymentCall = request("/openai/deployments/gpt-4o/chat/completions?api-version=v", "{}");
    const openaiCall = request("/v1/chat/completions", '{"model":"gpt-4o"}');
    expect(plain.scope!(deploymentCall)).toBe("gpt-4o");
    expect(mapped.scope!(deploymentCall)).toBe("gpt4o-ptu");
    expect(mapped.scope!(openaiCall)).toBe("gpt4o-ptu");
  });

  it("azureV1() and openai(): the model, as mapped", () => {
    const v1 = azureV1({ url: "https://a.openai.azure.com", apiKey: "k", models: { "gpt-4o": "gpt4o-paygo" } })
      .adapter!;
    const oai = openai({ url: "https://api.openai.com/v1", apiKey: "k" }).adapter!;
    const call = request("/v1/chat/completions", '{"model":"gpt-4o"}');
    expect(v1.scope!(call)).toBe("gpt4o-paygo");
    expect(oai.scope!(call)).toBe("gpt-4o");
    expect(oai.scope!(request("/v1/models", ""))).toBeUndefined();
  });

  it("a model-in-body 429 at api.openai.com cools that model only", async () => {
    const fake = new SimulatedBackends({
      "https://api.openai.com": async ({ request: req }) =>
        ((await req.json()) as { model: string }).model === "gpt-4o"
          ? tooMany({ "retry-after": "9" })
          : ok({ by: "oai" }),
      "https://spare.example.com": () => ok({ by: "spare" }),
    });
    const lb = createLoadBalancer({
      backends: [
        openai({ url: "https://api.openai.com/v1", apiKey: "k", name: "oai" }),
        openai({ url: "https://spare.example.com/v1", apiKey: "k2", name: "spare", priority: 2 }),
      ],
      fetch: fake.fetch,
    });
    const call = (model: string) =>
      lb.fetch("https://api.openai.com/v1/chat/completions", { method: "POST", body: JSON.stringify({ model }) });
    expect(await servedBy(await call("gpt-4o"))).toBe("spare");
    expect(await servedBy(await call("gpt-4o-mini"))).toBe("oai");
    expect(lb.snapshot().backends[0]!.deployments).toMatchObject([{ name: "gpt-4o", state: "cooling" }]);
  });
});
