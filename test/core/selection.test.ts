import { describe, expect, it } from "vitest";
import { createLoadBalancer, type BackendConfig } from "../../src/index.js";
import { SimulatedBackends, ok, tooMany } from "../support/backends.js";
import { distribution, seededRandom } from "../support/random.js";

const URL_ = "https://x/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21";
const host = (response: Response): string => new URL(response.url || (response.headers.get("x-served-by") ?? "")).host;

/** Every backend answers 200 and names itself; `throttled` hosts answer 429. */
function fleet(configs: BackendConfig[], throttled: string[] = []) {
  const routes = Object.fromEntries(
    configs.map((config) => [
      config.url,
      () =>
        throttled.includes(new URL(config.url).host)
          ? tooMany({ "retry-after": "30" })
          : ok({}, { headers: { "x-served-by": config.url } }),
    ]),
  );
  return new SimulatedBackends(routes);
}

describe("the seed's five configurations", () => {
  it("one backend serves every request", async () => {
    const backends = [{ url: "https://eastus.example.com" }];
    const lb = createLoadBalancer({ backends, fetch: fleet(backends).fetch });
    expect(await distribution(() => lb.fetch(URL_), 20, host)).toEqual({ "eastus.example.com": 20 });
  });

  it("two backends of the same priority share the load about evenly (50% ± 5% over 1000)", async () => {
    const backends = [{ url: "https://eastus.example.com" }, { url: "https://westus.example.com" }];
    const lb = createLoadBalancer({ backends, fetch: fleet(backends).fetch, random: seededRandom(7) });
    const counts = await distribution(() => lb.fetch(URL_), 1000, host);
    for (const name of ["eastus.example.com", "westus.example.com"]) {
      expect(counts[name]).toBeGreaterThanOrEqual(450);
      expect(counts[name]).toBeLessThanOrEqual(550);
    }
  });

  it("three backends of the same priority share the load about evenly", async () => {
    const backends = ["a", "b", "c"].map((name) => ({ url: `https://${name}.example.com` }));
    const lb = createLoadBalancer({ backends, fetch: fleet(backends).fetch, random: seededRandom(11) });
    const counts = await distribution(() => lb.fetch(URL_), 1200, host);
    for (const count of Object.values(counts)) {
      expect(count).toBeGreaterThanOrEqual(350);
      expect(count).toBeLessThanOrEqual(450);
    }
  });

  it("three backends in two priorities: only the priority-1 backend serves while it is available", async () => {
    const backends = [
      { url: "https://eastus.example.com", priority: 1 },
      { url: "https://eastus2.example.com", priority: 2 },
      { url: "https://westus.example.com", priority: 2 },
    ];
    const lb = createLoadBalancer({ backends, fetch: fleet(backends).fetch });
    expect(await distribution(() => lb.fetch(URL_), 50, host)).toEqual({ "eastus.example.com": 50 });
  });

  it("three backends in two priorities: priority 2 shares the load while priority 1 cools down", async () => {
    const backends = [
      { url: "https://eastus.example.com", priority: 1 },
      { url: "https://eastus2.example.com", priority: 2 },
      { url: "https://westus.example.com", priority: 2 },
    ];
    const lb = createLoadBalancer({
      backends,
      fetch: fleet(backends, ["eastus.example.com"]).fetch,
      random: seededRandom(3),
    });
    const counts = await distribution(() => lb.fetch(URL_), 200, host);
    expect(Object.keys(counts).sort()).toEqual(["eastus2.example.com", "westus.example.com"]);
    expect(counts["eastus2.example.com"]).toBeGreaterThan(70);
    expect(counts["westus.example.com"]).toBeGreaterThan(70);
  });

  it("three backends in three priorities: each tier serves only while every better tier cools down", async () => {
    const backends = [
      { url: "https://eastus.example.com", priority: 1 },
      { url: "https://eastus2.example.com", priority: 2 },
      { url: "https://westus.example.com", priority: 3 },
    ];
    const first = createLoadBalancer({ backends, fetch: fleet(backends).fetch });
    expect(await distribution(() => first.fetch(URL_), 10, host)).toEqual({ "eastus.example.com": 10 });
    const second = createLoadBalancer({ backends, fetch: fleet(backends, ["eastus.example.com"]).fetch });
    expect(await distribution(() => second.fetch(URL_), 10, host)).toEqual({ "eastus2.example.com": 10 });
    const third = createLoadBalancer({
      backends,
      fetch: fleet(backends, ["eastus.example.com", "eastus2.example.com"]).fetch,
    });
    expect(await distribution(() => third.fetch(URL_), 10, host)).toEqual({ "westus.example.com": 10 });
  });
});

describe("choice within a tier", () => {
  it("tiers are ordered by priority number, not by configuration order", async () => {
    const backends = [
      { url: "https://c.example.com", priority: 3 },
      { url: "https://a.example.com", priority: -1 },
      { url: "https://b.example.com", priority: 2 },
    ];
    const lb = createLoadBalancer({ backends, fetch: fleet(backends).fetch });
    expect(await distribution(() => lb.fetch(URL_), 5, host)).toEqual({ "a.example.com": 5 });
  });

  it("random choice follows the weights", async () => {
    const backends = [
      { url: "https://big.example.com", weight: 3 },
      { url: "https://small.example.com", weight: 1 },
    ];
    const lb = createLoadBalancer({ backends, fetch: fleet(backends).fetch, random: seededRandom(5) });
    const counts = await distribution(() => lb.fetch(URL_), 1000, host);
    expect(counts["big.example.com"]).toBeGreaterThanOrEqual(700);
    expect(counts["big.example.com"]).toBeLessThanOrEqual(800);
  });

  it("round-robin rotates through the tier in configuration order", async () => {
    const backends = ["a", "b", "c"].map((name) => ({ url: `https://${name}.example.com` }));
    const lb = createLoadBalancer({ backends, fetch: fleet(backends).fetch, selection: "round-robin" });
    const order: string[] = [];
    for (let i = 0; i < 6; i++) order.push(host(await lb.fetch(URL_)));
    expect(order).toEqual(["a", "b", "c", "a", "b", "c"].map((name) => `${name}.example.com`));
  });

  it("round-robin spreads weighted backends out instead of sending bursts", async () => {
    const backends = [
      { url: "https://a.example.com", weight: 5 },
      { url: "https://b.example.com", weight: 1 },
      { url: "https://c.example.com", weight: 1 },
    ];
    const lb = createLoadBalancer({ backends, fetch: fleet(backends).fetch, selection: "round-robin" });
    const order: string[] = [];
    for (let i = 0; i < 7; i++) order.push(host(await lb.fetch(URL_))[0]!);
    expect(order.join("")).toBe("aabacaa");
  });

  it("round-robin skips a cooling backend and shares the load among the others", async () => {
    const backends = ["a", "b", "c"].map((name) => ({ url: `https://${name}.example.com` }));
    const lb = createLoadBalancer({
      backends,
      fetch: fleet(backends, ["b.example.com"]).fetch,
      selection: "round-robin",
    });
    const counts = await distribution(() => lb.fetch(URL_), 20, host);
    expect(counts).toEqual({ "a.example.com": 10, "c.example.com": 10 });
  });
});
