import { describe, expect, it } from "vitest";
import { createLoadBalancer, type LoadBalancerOptions } from "../../src/index.js";
import { OPTION_KEYS } from "../../src/core/options.js";
import { createSelector, toTiers } from "../../src/core/select.js";
import type { Backend } from "../../src/core/backend.js";
import { resolveOptions } from "../../src/core/options.js";

const create = (options: unknown) => () => createLoadBalancer(options as LoadBalancerOptions);
const one = { url: "https://a.example.com" };

describe("configuration is validated at creation with a TypeError naming the field and value", () => {
  it.each([
    ["no options", undefined, /options must be an object with backends, got undefined/],
    ["no backends", { backends: [] }, /backends must be a non-empty array of backends .*, got an array/],
    ["backends not an array", { backends: "https://a" }, /backends must be a non-empty array .*, got "https:\/\/a"/],
    ["a missing url", { backends: [{ priority: 1 }] }, /backends\[0\]\.url must be an absolute .*, got undefined/],
    ["a relative url", { backends: [{ url: "/openai" }] }, /backends\[0\]\.url must be an absolute .*, got "\/openai"/],
    [
      "a non-http url",
      { backends: [one, { url: "ftp://b.example.com" }] },
      /backends\[1\]\.url must be an absolute .*, got a "ftp:" URL \(the rest not shown\)/,
    ],
    [
      "credentials in the url, without echoing them",
      { backends: [{ url: "https://user:secret@a.example.com" }] },
      /backends\[0\]\.url must be .*, got "https:\/\/\(credentials hidden\)@a\.example\.com\/"\.$/,
    ],
    [
      "a query in the url, without echoing it",
      { backends: [{ url: "https://a.example.com/?key=1" }] },
      /backends\[0\]\.url must be .*, got "https:\/\/a\.example\.com\/\(query or fragment hidden\)"\.$/,
    ],
    [
      "a fractional priority",
      { backends: [{ ...one, priority: 1.5 }] },
      /backends\[0\]\.priority must be an integer .*, got 1\.5/,
    ],
    [
      "a string priority",
      { backends: [{ ...one, priority: "1" }] },
      /backends\[0\]\.priority must be an integer .*, got "1"/,
    ],
    [
      "a zero weight",
      { backends: [{ ...one, weight: 0 }] },
      /backends\[0\]\.weight must be a finite number > 0, got 0/,
    ],
    [
      "a negative weight",
      { backends: [{ ...one, weight: -2 }] },
      /backends\[0\]\.weight must be a finite number > 0, got -2/,
    ],
    ["an empty name", { backends: [{ ...one, name: "" }] }, /backends\[0\]\.name must be a non-empty string/],
    [
      "duplicate names",
      {
        backends: [
          { ...one, name: "x" },
          { url: "https://b.example.com", name: "x" },
        ],
      },
      /backends\[1\]\.name must be unique \(set name\), got "x"/,
    ],
    [
      "duplicate derived names",
      { backends: [one, { url: "https://a.example.com/" }] },
      /backends\[1\]\.name must be unique/,
    ],
    [
      "an invalid header name",
      { backends: [{ ...one, headers: { "bad header": "x" } }] },
      /backends\[0\]\.headers must be a valid header name, got "bad header"/,
    ],
    [
      "a header value with a line break, without showing it",
      { backends: [{ ...one, headers: { "x-a": "v\r\nx-b: injected" } }] },
      /backends\[0\]\.headers\["x-a"\] must be a string without CR, LF or NUL, got a string \(not shown\)\.$/,
    ],
    [
      "a missing header credential",
      { backends: [{ ...one, name: "ptu", headers: { "api-key": undefined } }] },
      /backends\[0\] \("ptu"\)\.headers\["api-key"\] must be a string without CR, LF or NUL, got undefined/,
    ],
    [
      "an empty header credential",
      { backends: [{ ...one, headers: { Authorization: " " } }] },
      /backends\[0\]\.headers\["Authorization"\] must be a non-empty credential, got a string \(not shown\)/,
    ],
    [
      "a negative default cooldown",
      { backends: [one], defaultCooldownMs: -1 },
      /defaultCooldownMs must be a number of milliseconds >= 0, got -1/,
    ],
    [
      "a NaN max cooldown",
      { backends: [one], maxCooldownMs: Number.NaN },
      /maxCooldownMs must be a number of milliseconds >= 0, got NaN/,
    ],
    [
      "a negative attempt timeout",
      { backends: [one], attemptTimeoutMs: -5 },
      /attemptTimeoutMs must be a number of milliseconds >= 0, got -5/,
    ],
    [
      "a zero attempt timeout",
      { backends: [one], attemptTimeoutMs: 0 },
      /attemptTimeoutMs must be > 0 \(leave it out for no limit\), got 0/,
    ],
    [
      "an attempt timeout a timer cannot hold",
      { backends: [one], attemptTimeoutMs: 3e9 },
      /attemptTimeoutMs must be at most 2147483647 ms \(about 24\.8 days, the longest a timer can wait\), got 3000000000/,
    ],
    [
      "a 25-day cooldown",
      { backends: [one], maxCooldownMs: 25 * 86_400_000 },
      /maxCooldownMs must be at most 2147483647 ms/,
    ],
    [
      "an infinite wait",
      { backends: [one], maxWaitMs: Infinity },
      /maxWaitMs must be a number of milliseconds >= 0, got Infinity/,
    ],
    [
      "a zero failure threshold",
      { backends: [one], failureThreshold: 0 },
      /failureThreshold must be an integer >= 1, got 0/,
    ],
    [
      "an unknown selection",
      { backends: [one], selection: "fastest" },
      /selection must be one of random, round-robin, failover, least-inflight, got "fastest"/,
    ],
    ["a fetch that is not a function", { backends: [one], fetch: "fetch" }, /fetch must be a function, got "fetch"/],
    [
      "a logger method that is not a function",
      { backends: [one], logger: { warn: 1 } },
      /logger\.warn must be a function, got 1/,
    ],
    [
      "a max cooldown below the default cooldown",
      { backends: [one], defaultCooldownMs: 20_000, maxCooldownMs: 5_000 },
      /maxCooldownMs must be at least defaultCooldownMs \(20000\), got 5000/,
    ],
    [
      "weights whose tier sum overflows",
      {
        backends: [
          { ...one, weight: 1e308 },
          { url: "https://b.example.com", weight: 1e308 },
        ],
      },
      /backends\[1\]\.weight must be small enough that priority 1's weights add up to a finite number, got 1e\+308/,
    ],
    [
      "a sparse array",
      // biome-ignore lint/suspicious/noSparseArray: the hole is the case under test
      { backends: [one, , one] },
      /backends\[1\] must be an object with a url \(a hole in the array counts as undefined\), got undefined/,
    ],
    ["an array as a backend", { backends: [[one]] }, /backends\[0\] must be an object with a url .*, got an array/],
  ])("rejects %s", (_name, options, message) => {
    expect(create(options)).toThrow(TypeError);
    expect(create(options)).toThrow(message);
  });

  it("rejects unknown option keys, suggesting the closest known one", () => {
    expect(create({ backends: [one], defaultCooldown: 5 })).toThrow(
      /options has an unknown option "defaultCooldown": did you mean defaultCooldownMs\? \(known: backends, /,
    );
    expect(create({ backends: [one], maxwaitms: 5 })).toThrow(/did you mean maxWaitMs\?/);
    expect(create({ backends: [one], zzzzzzzz: 5 })).toThrow(/unknown option "zzzzzzzz" \(known: /);
    expect(create({ backends: [{ ...one, name: "east", prority: 2 }] })).toThrow(
      /backends\[0\] \("east"\) has an unknown option "prority": did you mean priority\?/,
    );
  });

  it("points apiKey on a plain backend to the providers' factories", () => {
    expect(create({ backends: [{ ...one, apiKey: "sk-secret-value" }] })).toThrow(
      /backends\[0\] has an unknown option "apiKey": apiKey belongs to the providers' factories .* for a plain backend, set headers/,
    );
    expect(create({ backends: [{ ...one, apiKey: "sk-secret-value" }] })).not.toThrow(/sk-secret-value/);
  });

  it("keeps the list of known option keys in one exported place", () => {
    expect(OPTION_KEYS).toContain("defaultCooldownMs");
    expect(OPTION_KEYS).toContain("backends");
  });

  it("reports a getter that throws, a throwing Proxy and a throwing toPrimitive as TypeErrors naming the field", () => {
    const getter = {
      get url(): string {
        throw new Error("boom");
      },
    };
    expect(create({ backends: [getter] })).toThrow(/backends\[0\]\.url could not be read \(a getter or Proxy threw\)/);
    const trap = new Proxy(
      {},
      {
        ownKeys() {
          throw new RangeError("no keys");
        },
      },
    );
    expect(create(trap)).toThrow(TypeError);
    expect(create(trap)).toThrow(/options could not be read \(a Proxy threw\)/);
    const hostile = {
      [Symbol.toPrimitive]: () => {
        throw new Error("no");
      },
      toString: () => {
        throw new Error("no");
      },
    };
    expect(create({ backends: [{ url: hostile }] })).toThrow(/backends\[0\]\.url must be .*, got an object\.$/);
    expect(create({ backends: [{ ...one, priority: hostile }] })).toThrow(
      /backends\[0\]\.priority must be an integer .*, got an object/,
    );
  });

  it("accepts objects without prototypes and Proxies of valid options", () => {
    const bare = Object.assign(Object.create(null), { backends: [Object.assign(Object.create(null), one)] });
    expect(() => createLoadBalancer(bare)).not.toThrow();
    expect(() => createLoadBalancer(new Proxy({ backends: [one] }, {}))).not.toThrow();
    expect(create({ backends: [one], maxCooldownMs: Object.create(null) })).toThrow(/got an object without prototype/);
  });

  it("lowers the default cooldown to a smaller maxCooldownMs instead of contradicting it", () => {
    expect(resolveOptions({ backends: [one], maxCooldownMs: 4000 })).toMatchObject({
      defaultCooldownMs: 4000,
      maxCooldownMs: 4000,
    });
    expect(resolveOptions({ backends: [one], defaultCooldownMs: 400_000 })).toMatchObject({ maxCooldownMs: 400_000 });
  });

  it("derives names from host and path, and applies defaults", () => {
    const lb = createLoadBalancer({ backends: [one, { url: "https://apim.example.com/ai/", priority: 2, weight: 3 }] });
    expect(
      lb.snapshot().backends.map(({ name, priority, weight, state }) => ({ name, priority, weight, state })),
    ).toEqual([
      { name: "a.example.com", priority: 1, weight: 1, state: "available" },
      { name: "apim.example.com/ai", priority: 2, weight: 3, state: "available" },
    ]);
  });

  it("groups backends into tiers reading each backend's priority a bounded number of times (linear, not per tier)", () => {
    const count = 30_000;
    const options = resolveOptions({
      backends: Array.from({ length: count }, (_, index) => ({
        url: `https://b${index}.example.com`,
        priority: index % 2 === 0 ? count - index : index,
      })),
    });
    let reads = 0;
    const backends = options.backends.map((resolved) => {
      // Only `config` is read while grouping: a stand-in that counts those reads.
      const counted = {} as Backend;
      Object.defineProperty(counted, "config", {
        get: () => {
          reads++;
          return resolved;
        },
      });
      return counted;
    });
    const tiers = toTiers(backends);
    expect(reads).toBeLessThanOrEqual(3 * count);
    expect(tiers.map((tier) => tier[0]!.config.priority)).toEqual(
      [...new Set(options.backends.map((backend) => backend.priority))].sort((a, b) => a - b),
    );
    expect(tiers.flat()).toHaveLength(count);
    expect(createSelector(backends, "failover", Math.random)).toBeTypeOf("function");
  });
});
