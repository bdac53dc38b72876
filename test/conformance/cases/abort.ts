import { deepEqual, equal, rejects } from "../assert.js";
import { API, type Context } from "../context.js";
import { FakeNetwork, clock, hang, reply } from "../fakes.js";

const isAbort = (error: unknown): boolean => error instanceof Error && error.name === "AbortError";

/** The caller's AbortSignal ends the request wherever it is; the balancer's own timeout fails over. */
export function abortCases({ t, lib }: Context): void {
  const twoTiers = (
    first: Parameters<FakeNetwork["route"]>[1],
    options: { maxWaitMs?: number; attemptTimeoutMs?: number } = {},
  ) => {
    const net = new FakeNetwork().route("https://a.test", first).route("https://b.test", reply(200));
    const lb = lib.createLoadBalancer({
      backends: [
        { url: "https://a.test", name: "a", priority: 1 },
        { url: "https://b.test", name: "b", priority: 2 },
      ],
      fetch: net.fetch,
      now: clock().read,
      ...options,
    });
    return { net, lb };
  };

  t.test("an already aborted signal rejects with its reason and reaches no backend", async () => {
    const { net, lb } = twoTiers(reply(200));
    const controller = new AbortController();
    controller.abort();
    const error = await rejects(lb.fetch(API, { signal: controller.signal }));
    equal(error, controller.signal.reason);
    equal(net.received.length, 0);
  });

  t.test("aborting while a backend is answering rejects with AbortError, without failover or cooldown", async () => {
    const controller = new AbortController();
    // Aborted once the backend has the request: the balancer rejects at once, whatever the backend does.
    const { net, lb } = twoTiers((received) => {
      setTimeout(() => controller.abort(), 0);
      return hang(received);
    });
    const error = await rejects(lb.fetch(API, { method: "POST", body: "x", signal: controller.signal }));
    equal(isAbort(error), true, `AbortError expected, got ${String(error)}`);
    deepEqual(net.origins(), ["https://a.test"]);
    equal(lb.snapshot().backends[0]?.state, "available");
  });

  t.test("aborting while waiting for a cooling backend (maxWaitMs) rejects with the signal's reason", async () => {
    const net = new FakeNetwork().route("https://a.test", reply(429, { "retry-after": "60" }));
    const single = lib.createLoadBalancer({
      backends: [{ url: "https://a.test" }],
      fetch: net.fetch,
      now: clock().read,
      maxWaitMs: 600_000,
    });
    const controller = new AbortController();
    const waiting: boolean[] = [];
    single.on("exhausted", (event) => {
      waiting.push(event.waiting);
      setTimeout(() => controller.abort(new Error("caller gave up")), 0);
    });
    const error = await rejects(single.fetch(API, { signal: controller.signal }));
    equal((error as Error).message, "caller gave up");
    deepEqual(waiting, [true]);
    equal(net.received.length, 1);
  });

  t.test(
    "attemptTimeoutMs: a backend that does not answer in time cools down (timeout) and the request fails over",
    async () => {
      const { net, lb } = twoTiers(hang, { attemptTimeoutMs: 50 });
      const reasons: string[] = [];
      lb.on("cooldown", (event) => reasons.push(event.reason));
      equal((await lb.fetch(API, { method: "POST", body: "x" })).status, 200);
      deepEqual(net.origins(), ["https://a.test", "https://b.test"]);
      deepEqual(reasons, ["timeout"]);
    },
  );
}
