import { deepEqual, equal, ok } from "../assert.js";
import { API, type Context } from "../context.js";
import { FakeNetwork, clock, reply } from "../fakes.js";

/** When every backend is cooling down the caller gets a 429 that says when to come back. */
export function exhaustedCases({ t, lib }: Context): void {
  const allThrottled = () => {
    const time = clock();
    const net = new FakeNetwork()
      .route("https://a.test", reply(429, { "retry-after-ms": "2500" }))
      .route("https://b.test", reply(429, { "retry-after": "20" }));
    const lb = lib.createLoadBalancer({
      backends: [
        { url: "https://a.test", priority: 1 },
        { url: "https://b.test", priority: 2 },
      ],
      fetch: net.fetch,
      now: time.read,
    });
    return { time, net, lb };
  };

  t.test(
    "every backend throttled: a synthetic 429 with retry-after and retry-after-ms for the soonest one",
    async () => {
      const { net, lb } = allThrottled();
      const events: { retryAfterMs: number; waiting: boolean }[] = [];
      lb.on("exhausted", ({ retryAfterMs, waiting }) => events.push({ retryAfterMs, waiting }));
      const response = await lb.fetch(API);
      equal(response.status, 429);
      equal(response.headers.get("retry-after"), "3");
      equal(response.headers.get("retry-after-ms"), "2500");
      ok(response.headers.get("content-type")?.startsWith("application/json"), "a JSON body");
      const body = (await response.json()) as { error: { code: string; type: string } };
      equal(body.error.code, "all_backends_cooling_down");
      equal(body.error.type, "rate_limit_exceeded");
      deepEqual(net.origins(), ["https://a.test", "https://b.test"]);
      deepEqual(events, [{ retryAfterMs: 2500, waiting: false }]);
    },
  );

  t.test("while every backend cools down, requests get the synthetic 429 without reaching a backend", async () => {
    const { time, net, lb } = allThrottled();
    await lb.fetch(API);
    time.now += 1_000;
    const response = await lb.fetch(API);
    equal(response.status, 429);
    equal(response.headers.get("retry-after-ms"), "1500");
    equal(response.headers.get("retry-after"), "2");
    equal(net.received.length, 2);
  });

  t.test("with maxWaitMs the request waits for the soonest backend instead of answering 429", async () => {
    const time = clock();
    let calls = 0;
    const net = new FakeNetwork().route("https://a.test", () =>
      ++calls === 1
        ? new Response(null, { status: 429, headers: { "retry-after-ms": "30" } })
        : new Response("after the wait"),
    );
    const lb = lib.createLoadBalancer({
      backends: [{ url: "https://a.test" }],
      fetch: net.fetch,
      now: time.read,
      maxWaitMs: 5_000,
    });
    const waits: boolean[] = [];
    lb.on("exhausted", (event) => {
      waits.push(event.waiting);
      time.now += event.retryAfterMs; // the injected clock moves as the real wait elapses
    });
    const response = await lb.fetch(API);
    equal(await response.text(), "after the wait");
    deepEqual(waits, [true]);
  });
}
