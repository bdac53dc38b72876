import { equal } from "../assert.js";
import { API, type Context } from "../context.js";
import { FakeNetwork, T0, clock, reply } from "../fakes.js";

/** How long a backend cools down, from the headers of its 429 or 5xx. */
export function headerCases({ t, lib }: Context): void {
  const cooldownFor = async (status: number, headers: Record<string, string>): Promise<number | undefined> => {
    const net = new FakeNetwork().route("https://a.test", reply(status, headers)).route("https://b.test", reply(200));
    const lb = lib.createLoadBalancer({
      backends: [
        { url: "https://a.test", priority: 1 },
        { url: "https://b.test", priority: 2 },
      ],
      fetch: net.fetch,
      now: clock().read,
      defaultCooldownMs: 4_321,
      maxCooldownMs: 3_600_000,
    });
    let cooldownMs: number | undefined;
    lb.on("cooldown", (event) => (cooldownMs = event.cooldownMs));
    await lb.fetch(API);
    return cooldownMs;
  };

  const cases: [string, number, Record<string, string>, number][] = [
    ["retry-after in seconds", 429, { "retry-after": "7" }, 7_000],
    ["retry-after as an HTTP date", 429, { "retry-after": new Date(T0 + 45_000).toUTCString() }, 45_000],
    ["retry-after-ms, preferred to retry-after", 429, { "retry-after-ms": "1500", "retry-after": "9" }, 1_500],
    ["x-ms-retry-after-ms", 429, { "x-ms-retry-after-ms": "2500" }, 2_500],
    ["x-ratelimit-reset-requests as 6m0s", 429, { "x-ratelimit-reset-requests": "6m0s" }, 360_000],
    [
      "the longer of x-ratelimit-reset-requests and -tokens",
      429,
      { "x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "1m30s" },
      90_000,
    ],
    ["retry-after on a 503", 503, { "retry-after": "3" }, 3_000],
    ["no usable header: defaultCooldownMs", 429, { "retry-after": "soon" }, 4_321],
  ];
  for (const [what, status, headers, expected] of cases) {
    t.test(`cooldown from ${what}`, async () => {
      equal(await cooldownFor(status, headers), expected);
    });
  }

  t.test("cooldowns from headers are capped at maxCooldownMs", async () => {
    const net = new FakeNetwork()
      .route("https://a.test", reply(429, { "retry-after": "3600" }))
      .route("https://b.test", reply(200));
    const lb = lib.createLoadBalancer({
      backends: [
        { url: "https://a.test", priority: 1 },
        { url: "https://b.test", priority: 2 },
      ],
      fetch: net.fetch,
      now: clock().read,
      maxCooldownMs: 60_000,
    });
    await lb.fetch(API);
    equal(lb.snapshot().backends[0]?.until, T0 + 60_000);
  });

  t.test("parseDuration reads OpenAI's duration strings", () => {
    equal(lib.parseDuration("20ms"), 20);
    equal(lib.parseDuration("1.5s"), 1_500);
    equal(lib.parseDuration("6m0s"), 360_000);
    equal(lib.parseDuration("1h2m3s"), 3_723_000);
    equal(lib.parseDuration("12"), 12_000);
    equal(lib.parseDuration("soon"), undefined);
    equal(lib.parseDuration(null), undefined);
  });

  t.test("parseCooldownMs reads a Headers object", () => {
    equal(lib.parseCooldownMs(new Headers({ "retry-after": "2" }), T0), 2_000);
    equal(lib.parseCooldownMs(new Headers({ "retry-after": new Date(T0 - 5_000).toUTCString() }), T0), 0);
    equal(lib.parseCooldownMs(new Headers(), T0), undefined);
  });
}
