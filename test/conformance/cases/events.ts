import { deepEqual, equal, ok } from "../assert.js";
import { API, API_PATH, type Context } from "../context.js";
import { FakeNetwork, T0, clock, reply } from "../fakes.js";

/** What listeners and snapshots see of a failover. */
export function eventCases({ t, lib }: Context): void {
  const failover = (extra: { logger?: { error?(message: string): void } } = {}) => {
    const time = clock();
    const net = new FakeNetwork()
      .route("https://a.test", reply(429, { "retry-after": "10" }))
      .route("https://b.test", reply(201));
    const lb = lib.createLoadBalancer({
      backends: [
        { url: "https://a.test", name: "a", priority: 1 },
        { url: "https://b.test", name: "b", priority: 2 },
      ],
      fetch: net.fetch,
      now: time.read,
      ...extra,
    });
    return { time, net, lb };
  };

  t.test("a failover emits attempt, outcome, cooldown, attempt, outcome, response for one requestId", async () => {
    const { lb } = failover();
    const seen: string[] = [];
    const requestIds = new Set<number>();
    lb.on("*", (event) => {
      if ("requestId" in event && event.requestId !== undefined) requestIds.add(event.requestId);
      switch (event.type) {
        case "attempt":
          seen.push(`attempt ${event.attempt} ${event.backend.name} ${event.method} ${event.url}`);
          break;
        case "cooldown":
          seen.push(
            `cooldown ${event.requestId} ${event.backend.name} ${event.reason} ${event.status} ${event.cooldownMs} ${event.until - T0}`,
          );
          break;
        case "response":
          seen.push(`response ${event.attempt} ${event.backend.name} ${event.status}`);
          break;
        case "outcome":
          seen.push(`outcome ${event.attempt} ${event.backend.name} ${event.result} ${event.status}`);
          break;
        default:
          seen.push(event.type);
      }
    });
    await lb.fetch(API, { method: "post" });
    deepEqual(seen, [
      `attempt 1 a POST https://a.test${API_PATH}`,
      "outcome 1 a failure 429",
      "cooldown 1 a rate-limit 429 10000 10000",
      `attempt 2 b POST https://b.test${API_PATH}`,
      "outcome 2 b response 201",
      "response 2 b 201",
    ]);
    equal(requestIds.size, 1);
  });

  t.test("typed listeners get only their type; unsubscribing stops delivery", async () => {
    const { lb, time } = failover();
    const throttles: string[] = [];
    const responses: number[] = [];
    const off = lb.on("cooldown", (event) => throttles.push(event.backend.name));
    lb.on("response", (event) => responses.push(event.status));
    await lb.fetch(API);
    off();
    time.now += 10_000;
    await lb.fetch(API);
    deepEqual(throttles, ["a"]);
    deepEqual(responses, [201, 201]);
  });

  t.test("a backend back from its cooldown emits recovery with how long it was out", async () => {
    const { lb, time } = failover();
    const recoveries: [string, number][] = [];
    lb.on("recovery", (event) => recoveries.push([event.backend.name, event.downMs]));
    await lb.fetch(API);
    time.now += 10_000;
    await lb.fetch(API);
    deepEqual(recoveries, [["a", 10_000]]);
  });

  t.test("a listener that throws does not break the request; the logger hears of it", async () => {
    const errors: unknown[] = [];
    const { lb } = failover({ logger: { error: (_message: string, error?: unknown) => errors.push(error) } });
    lb.on("attempt", () => {
      throw new Error("listener bug");
    });
    equal((await lb.fetch(API)).status, 201);
    ok(
      errors.length >= 1 && errors.every((error) => error instanceof Error && error.message === "listener bug"),
      `logged: ${errors.map(String).join(", ")}`,
    );
  });

  t.test("snapshot shows every backend's state and counters in configuration order", async () => {
    const { lb } = failover();
    await lb.fetch(API);
    const snapshot = lb.snapshot();
    equal(snapshot.at, T0);
    // The fields every version of the snapshot has; newer fields may be added next to them.
    const pick = ({
      name,
      url,
      priority,
      weight,
      state,
      until,
      reason,
      inFlight,
      requests,
      successes,
      throttles,
      errors,
      lastStatus,
    }: (typeof snapshot.backends)[number]) => ({
      name,
      url,
      priority,
      weight,
      state,
      until,
      reason,
      inFlight,
      requests,
      successes,
      throttles,
      errors,
      lastStatus,
    });
    deepEqual(snapshot.backends.map(pick), [
      {
        name: "a",
        url: "https://a.test",
        priority: 1,
        weight: 1,
        state: "cooling",
        until: T0 + 10_000,
        reason: "rate-limit",
        inFlight: 0,
        requests: 1,
        successes: 0,
        throttles: 1,
        errors: 0,
        lastStatus: 429,
      },
      {
        name: "b",
        url: "https://b.test",
        priority: 2,
        weight: 1,
        state: "available",
        until: null,
        reason: null,
        inFlight: 0,
        requests: 1,
        successes: 1,
        throttles: 0,
        errors: 0,
        lastStatus: 201,
      },
    ]);
  });
}
