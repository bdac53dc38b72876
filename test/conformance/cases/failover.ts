import { deepEqual, equal } from "../assert.js";
import { API, DEPLOYMENT_API, type Context } from "../context.js";
import { FakeNetwork, at, clock, reply, unreachable } from "../fakes.js";

/** A failing backend cools down and the same request moves on to the next one at once. */
export function failoverCases({ t, lib }: Context): void {
  const failures = [
    { what: "429", behaviour: reply(429, { "retry-after": "5" }), reason: "rate-limit" },
    { what: "500", behaviour: reply(500), reason: "server-error" },
    { what: "503", behaviour: reply(503), reason: "server-error" },
    { what: "a network error", behaviour: unreachable, reason: "network-error" },
  ] as const;

  for (const { what, behaviour, reason } of failures) {
    t.test(`${what} on tier 1: the same request is answered by tier 2 and tier 1 cools down (${reason})`, async () => {
      const net = new FakeNetwork()
        .route("https://a.test", behaviour)
        .route("https://b.test", () => new Response("from b"));
      const lb = lib.createLoadBalancer({
        backends: [
          { url: "https://a.test", name: "a", priority: 1 },
          { url: "https://b.test", name: "b", priority: 2 },
        ],
        fetch: net.fetch,
        now: clock().read,
      });
      const response = await lb.fetch(API, { method: "POST", body: "payload" });
      equal(response.status, 200);
      equal(await response.text(), "from b");
      deepEqual(net.origins(), ["https://a.test", "https://b.test"]);
      const [a, b] = lb.snapshot().backends;
      equal(a?.state, "cooling");
      equal(a?.reason, reason);
      equal(b?.state, "available");
    });
  }

  t.test("statuses other than 429 and 5xx are the caller's: a 400 is returned, not retried", async () => {
    const net = new FakeNetwork().route("https://a.test", reply(400)).route("https://b.test", reply(200));
    const lb = lib.createLoadBalancer({
      backends: [
        { url: "https://a.test", priority: 1 },
        { url: "https://b.test", priority: 2 },
      ],
      fetch: net.fetch,
    });
    equal((await lb.fetch(API)).status, 400);
    deepEqual(net.origins(), ["https://a.test"]);
    equal(lb.snapshot().backends[0]?.state, "available");
  });

  t.test("a cooling backend is skipped by later requests and rejoins when its cooldown has passed", async () => {
    const time = clock();
    let throttled = true;
    const net = new FakeNetwork()
      .route("https://a.test", () =>
        throttled ? new Response(null, { status: 429, headers: { "retry-after": "10" } }) : new Response("a"),
      )
      .route("https://b.test", () => new Response("b"));
    const lb = lib.createLoadBalancer({
      backends: [
        { url: "https://a.test", priority: 1 },
        { url: "https://b.test", priority: 2 },
      ],
      fetch: net.fetch,
      now: time.read,
    });
    equal(await (await lb.fetch(API)).text(), "b");
    throttled = false;
    time.now += 9_999;
    equal(await (await lb.fetch(API)).text(), "b");
    time.now += 1;
    equal(await (await lb.fetch(API)).text(), "a");
    deepEqual(net.origins(), ["https://a.test", "https://b.test", "https://b.test", "https://a.test"]);
    equal(at(lb.snapshot().backends, 0).state, "available");
  });

  t.test("a 429 on an Azure deployment takes that deployment out of rotation, not the backend's others", async () => {
    const net = new FakeNetwork()
      .route("https://a.test", (received) =>
        received.url.includes("/deployments/busy/")
          ? new Response(null, { status: 429, headers: { "retry-after": "10" } })
          : new Response("a"),
      )
      .route("https://b.test", () => new Response("b"));
    const lb = lib.createLoadBalancer({
      backends: [
        { url: "https://a.test", priority: 1 },
        { url: "https://b.test", priority: 2 },
      ],
      fetch: net.fetch,
      now: clock().read,
    });
    equal(await (await lb.fetch(DEPLOYMENT_API("busy"))).text(), "b");
    equal(await (await lb.fetch(DEPLOYMENT_API("idle"))).text(), "a");
    equal(await (await lb.fetch(DEPLOYMENT_API("busy"))).text(), "b");
    const a = at(lb.snapshot().backends, 0);
    equal(a.state, "available");
    deepEqual(
      a.deployments.map(({ name, state, reason }) => ({ name, state, reason })),
      [{ name: "busy", state: "cooling", reason: "rate-limit" }],
    );
  });
}
