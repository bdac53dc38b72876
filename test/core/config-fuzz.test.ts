import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLoadBalancer, type LoadBalancerOptions } from "../../src/index.js";
import { OPTION_KEYS } from "../../src/core/options.js";
import { azure, azureV1, openai } from "../../src/providers/index.js";

/** Values built to break a validator: throwing conversions, throwing getters and traps, no prototype. */
const hostileArb = fc.constantFrom<() => unknown>(
  () => ({
    [Symbol.toPrimitive]: () => {
      throw new Error("toPrimitive");
    },
  }),
  () => ({
    toString: () => {
      throw new Error("toString");
    },
    valueOf: () => {
      throw new Error("valueOf");
    },
  }),
  () =>
    Object.defineProperty({}, "url", {
      enumerable: true,
      get: () => {
        throw new Error("getter");
      },
    }),
  () =>
    new Proxy(
      {},
      {
        get: () => {
          throw new Error("get trap");
        },
      },
    ),
  () =>
    new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error("ownKeys trap");
        },
      },
    ),
  () =>
    new Proxy([{ url: "https://a.example.com" }], {
      get: (target, key) => {
        if (key === "0") throw new Error("index trap");
        return Reflect.get(target, key);
      },
    }),
  () => Object.create(null),
  () => Symbol("s"),
  () => 10n,
  // biome-ignore lint/suspicious/noSparseArray: holes are what this value is for
  () => [, { url: "https://a.example.com" }],
  () => new Headers({ "api-key": "k" }),
  () => [["api-key"]],
  () => ({ url: "https://a.example.com", headers: { "x-a": ["not", "a", "string"] } }),
);

const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything(),
  hostileArb.map((make) => make()),
  fc.constantFrom(0, -1, 1.5, 3e9, 2 ** 31, Number.NaN, Infinity, "", "https://a.example.com", null, undefined),
);

const backendArb: fc.Arbitrary<unknown> = fc.oneof(
  valueArb,
  fc.dictionary(fc.constantFrom("url", "priority", "name", "weight", "headers", "adapter", "apiKey", "prio"), valueArb),
  fc.record({ url: fc.webUrl(), priority: valueArb, weight: valueArb, headers: valueArb }, { requiredKeys: ["url"] }),
);

const optionsArb: fc.Arbitrary<unknown> = fc.oneof(
  valueArb,
  fc.record(
    {
      backends: fc.oneof(valueArb, fc.array(backendArb, { maxLength: 4 })),
      ...Object.fromEntries(OPTION_KEYS.filter((key) => key !== "backends").map((key) => [key, valueArb])),
    },
    { requiredKeys: [] },
  ),
  fc.dictionary(fc.string(), valueArb),
);

describe("configuration fuzzing", () => {
  it("arbitrary options never throw anything but a TypeError from the library", () => {
    fc.assert(
      fc.property(optionsArb, (options) => {
        try {
          createLoadBalancer(options as LoadBalancerOptions);
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
          expect((error as Error).message).toMatch(/^openai-priority-loadbalancer: /);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("arbitrary provider options never throw anything but a TypeError from the library", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(azure, azureV1, openai),
        fc.oneof(
          valueArb,
          fc.dictionary(
            fc.constantFrom("url", "apiKey", "tokenProvider", "models", "apiVersion", "headers", "x"),
            valueArb,
          ),
        ),
        (factory, options) => {
          try {
            createLoadBalancer({ backends: [factory(options as never)] });
          } catch (error) {
            expect(error).toBeInstanceOf(TypeError);
            expect((error as Error).message).toMatch(/^openai-priority-loadbalancer: /);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("valid options never throw", () => {
    const duration = fc.integer({ min: 0, max: 2 ** 31 - 1 });
    const validBackend = fc.record(
      {
        url: fc.webUrl({ withQueryParameters: false, withFragments: false }).filter((url) => !url.includes("@")),
        priority: fc.integer({ min: -1000, max: 1000 }),
        weight: fc.double({ min: 0.001, max: 1e6, noNaN: true }),
        headers: fc.dictionary(
          fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
          fc.stringMatching(/^[ -~]*[!-~][ -~]*$/).filter((v) => v === v.trim()),
        ),
      },
      { requiredKeys: ["url"] },
    );
    fc.assert(
      fc.property(
        fc.array(validBackend, { minLength: 1, maxLength: 6 }),
        fc.record(
          {
            defaultCooldownMs: duration,
            failureThreshold: fc.integer({ min: 1, max: 100 }),
            attemptTimeoutMs: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
            maxWaitMs: duration,
            selection: fc.constantFrom("random", "round-robin", "failover", "least-inflight" as const),
          },
          { requiredKeys: [] },
        ),
        (backends, rest) => {
          const named = backends.map((backend, index) => ({ ...backend, name: `b${index}` }));
          const maxCooldownMs = Math.max(rest.defaultCooldownMs ?? 0, 300_000);
          createLoadBalancer({ backends: named, ...rest, maxCooldownMs } as LoadBalancerOptions);
        },
      ),
      { numRuns: 500 },
    );
  });
});
