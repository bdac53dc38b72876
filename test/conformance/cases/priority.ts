import { deepEqual, equal } from "../assert.js";
import { API, API_PATH, type Context } from "../context.js";
import { FakeNetwork, at, clock, reply, text } from "../fakes.js";

/** Priority tiers, selection within a tier, and what each backend receives. */
export function priorityCases({ t, lib }: Context): void {
  t.test("every request goes to the priority-1 tier while it is available", async () => {
    const net = new FakeNetwork().route("https://p1.test", reply(200)).route("https://p2.test", reply(200));
    const lb = lib.createLoadBalancer({
      backends: [
        { url: "https://p2.test", priority: 2 },
        { url: "https://p1.test", priority: 1 },
      ],
      fetch: net.fetch,
    });
    for (let i = 0; i < 5; i++) equal((await lb.fetch(API)).status, 200);
    deepEqual(net.origins(), Array(5).fill("https://p1.test"));
  });

  t.test("tier 2 is used only once every tier-1 backend has failed", async () => {
    const net = new FakeNetwork()
      .route("https://a.test", reply(429))
      .route("https://b.test", reply(503))
      .route("https://c.test", reply(200));
    const lb = lib.createLoadBalancer({
      backends: [
        { url: "https://c.test", priority: 2 },
        { url: "https://a.test", priority: 1 },
        { url: "https://b.test", priority: 1 },
      ],
      fetch: net.fetch,
      random: () => 0,
    });
    equal((await lb.fetch(API)).status, 200);
    deepEqual(net.origins(), ["https://a.test", "https://b.test", "https://c.test"]);
  });

  t.test("round-robin alternates within a tier, in proportion to weight", async () => {
    const net = new FakeNetwork().route("https://a.test", reply(200)).route("https://b.test", reply(200));
    const lb = lib.createLoadBalancer({
      backends: [{ url: "https://a.test", weight: 2 }, { url: "https://b.test" }],
      selection: "round-robin",
      fetch: net.fetch,
    });
    for (let i = 0; i < 6; i++) await lb.fetch(API);
    deepEqual(net.origins(), [
      "https://a.test",
      "https://b.test",
      "https://a.test",
      "https://a.test",
      "https://b.test",
      "https://a.test",
    ]);
  });

  t.test("random selection follows the injected random number and the weights", async () => {
    const net = new FakeNetwork().route("https://a.test", reply(200)).route("https://b.test", reply(200));
    const draws = [0.1, 0.9, 0.7, 0.74];
    const lb = lib.createLoadBalancer({
      backends: [
        { url: "https://a.test", weight: 3 },
        { url: "https://b.test", weight: 1 },
      ],
      fetch: net.fetch,
      random: () => draws.shift() ?? 0,
    });
    for (let i = 0; i < 4; i++) await lb.fetch(API);
    deepEqual(net.origins(), ["https://a.test", "https://b.test", "https://a.test", "https://a.test"]);
  });

  t.test(
    "the backend's origin and path prefix replace the caller's origin; path, query, method and body pass",
    async () => {
      const net = new FakeNetwork().route("https://apim.test", reply(200));
      const lb = lib.createLoadBalancer({ backends: [{ url: "https://apim.test/ai/" }], fetch: net.fetch });
      await lb.fetch(API, { method: "POST", body: '{"x":1}', headers: { "content-type": "application/json" } });
      const got = at(net.received, 0);
      equal(got.url, `https://apim.test/ai${API_PATH}`);
      equal(got.method, "POST");
      equal(got.headers.get("content-type"), "application/json");
      equal(text(got.body), '{"x":1}');
    },
  );

  t.test("a backend's own headers replace the caller's, for that backend only", async () => {
    const net = new FakeNetwork().route("https://a.test", reply(429)).route("https://b.test", reply(200));
    const lb = lib.createLoadBalancer({
      backends: [
        { url: "https://a.test", priority: 1, headers: { "api-key": "key-a" } },
        { url: "https://b.test", priority: 2 },
      ],
      fetch: net.fetch,
      now: clock().read,
    });
    await lb.fetch(API, { headers: { "api-key": "caller-key", "x-trace": "t1" } });
    equal(at(net.received, 0).headers.get("api-key"), "key-a");
    equal(at(net.received, 0).headers.get("x-trace"), "t1");
    equal(at(net.received, 1).headers.get("api-key"), "caller-key");
  });
}
