import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BALANCED, pinnedResponse, rendezvous, routeFor } from "../../src/core/routing.js";
import { resolveOptions } from "../../src/core/options.js";
import type { LoadBalancerOptions } from "../../src/types/options.js";

const backends = [
  { name: "ptu", priority: 1, url: "https://ptu.test" },
  { name: "paygo", priority: 2, url: "https://paygo.test" },
  { name: "ptu2", priority: 1, url: "https://ptu2.test" },
];
/** The routing options a balancer over {@link backends} resolves `options` to. */
const resolveRouting = (options: Omit<LoadBalancerOptions, "backends">) =>
  resolveOptions({ ...options, backends }).routing;
const post = (body: unknown): RequestInit => ({ method: "POST", body: JSON.stringify(body) });

describe("routing a request", () => {
  it("chat completions are balanced without their body being read", () => {
    const routing = resolveRouting({});
    routing.owners!.remember("resp_1", "paygo");
    let reads = 0;
    const init: RequestInit = { method: "POST" };
    Object.defineProperty(init, "body", {
      get() {
        reads++;
        return JSON.stringify({ previous_response_id: "resp_1" });
      },
    });
    expect(routeFor(routing, "/v1/chat/completions", init)).toBe(BALANCED);
    expect(reads).toBe(0);
    expect(routeFor(routing, "/v1/responses", init).pinned).toBe("paygo");
    expect(reads).toBeGreaterThan(0);
  });

  it("a request naming a known id is pinned to its owner, in the path or the body", () => {
    const routing = resolveRouting({});
    routing.owners!.remember("resp_1", "paygo");
    expect(routeFor(routing, "/v1/responses", post({ previous_response_id: "resp_1" }))).toMatchObject({
      pinned: "paygo",
      why: "affinity",
      id: "resp_1",
      watch: true,
    });
    expect(routeFor(routing, "/openai/v1/responses/resp_1?api-version=preview", { method: "GET" })).toMatchObject({
      pinned: "paygo",
      why: "affinity",
    });
  });

  it("an unknown id is routed as if the request named none", () => {
    const routing = resolveRouting({});
    expect(routeFor(routing, "/v1/responses", post({ previous_response_id: "resp_unknown" }))).toMatchObject({
      pinned: undefined,
      watch: true,
    });
  });

  it("files and batches go to the home backend: by default the first of the best tier; home: false balances them", () => {
    expect(routeFor(resolveRouting({}), "/v1/files", { method: "POST" })).toMatchObject({
      pinned: "ptu",
      why: "home",
    });
    expect(routeFor(resolveRouting({ home: "paygo" }), "/openai/batches?api-version=1", {})).toMatchObject({
      pinned: "paygo",
      why: "home",
    });
    expect(routeFor(resolveRouting({ home: false }), "/v1/files", {})).toMatchObject({ pinned: undefined });
  });

  it("a known owner wins over home: a file made on another backend (home: false earlier) stays there", () => {
    const routing = resolveRouting({});
    routing.owners!.remember("file-9", "ptu2");
    expect(routeFor(routing, "/v1/batches", post({ input_file_id: "file-9" }))).toMatchObject({ pinned: "ptu2" });
  });

  it("with affinity off nothing is watched or pinned by id", () => {
    const routing = resolveRouting({ affinity: false, home: false });
    expect(routing.owners).toBeUndefined();
    expect(routeFor(routing, "/v1/responses", post({ previous_response_id: "resp_1" }))).toMatchObject({
      pinned: undefined,
      watch: false,
    });
  });

  it("the sticky key comes from the header first, then the body fields in order", () => {
    const routing = resolveRouting({ sticky: { header: "X-Session", fields: ["prompt_cache_key", "user"] } });
    const headers = new Headers({ "x-session": "s1" });
    expect(routeFor(routing, "/v1/chat/completions", { ...post({ user: "u" }), headers }).stickyKey).toBe("s1");
    expect(routeFor(routing, "/v1/chat/completions", post({ user: "u", prompt_cache_key: "k" })).stickyKey).toBe("k");
    expect(routeFor(routing, "/v1/chat/completions", post({ user: "u" })).stickyKey).toBe("u");
    expect(routeFor(routing, "/v1/chat/completions", post({ messages: [] }))).toBe(BALANCED);
    expect(routeFor(resolveRouting({ sticky: true }), "/v1/responses", post({ user: "u" })).stickyKey).toBe("u");
  });
});

describe("the routing options", () => {
  it("reject what cannot work with a TypeError naming the field and the value", () => {
    expect(() => resolveRouting({ home: "nope" })).toThrow(/home must be .*got "nope"/);
    expect(() => resolveRouting({ affinity: { maxIds: 0 } })).toThrow(/affinity\.maxIds .*got 0/);
    expect(() => resolveRouting({ sticky: { header: "bad header" } })).toThrow(/sticky\.header/);
    expect(() => resolveRouting({ sticky: {} })).toThrow(/sticky must be a header or at least one field/);
    expect(() => resolveRouting({ sticky: "yes" as never })).toThrow(TypeError);
    expect(() => resolveRouting({ sticky: { header: "x", feilds: ["user"] } as never })).toThrow(
      /sticky has an unknown option "feilds": did you mean fields\?/,
    );
    expect(() => resolveRouting({ affinity: { maxIDs: 5 } as never })).toThrow(/affinity has an unknown option/);
  });

  it("any value of affinity, home or sticky either resolves or throws a TypeError naming that field", () => {
    const value = fc.oneof(
      fc.anything(),
      fc.constantFrom(true, false, 0, 1, "ptu", "", "x-session", null, undefined),
      fc.record({ maxIds: fc.anything() }, { requiredKeys: [] }),
      fc.record({ header: fc.oneof(fc.string(), fc.anything()), fields: fc.anything() }, { requiredKeys: [] }),
      fc.record({ fields: fc.array(fc.oneof(fc.string(), fc.anything()), { maxLength: 3 }) }),
    );
    fc.assert(
      fc.property(fc.constantFrom("affinity", "home", "sticky"), value, (field, given) => {
        try {
          resolveRouting({ [field]: given });
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
          expect((error as Error).message).toMatch(new RegExp(`^openai-priority-loadbalancer: ${field}\\b`));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("valid values always resolve, and a sticky header is matched in lower case", () => {
    const valid = {
      affinity: fc.oneof(fc.boolean(), fc.record({ maxIds: fc.integer({ min: 1, max: 1e6 }) }, { requiredKeys: [] })),
      home: fc.oneof(fc.constant(false as const), fc.constantFrom(...backends.map((backend) => backend.name))),
      sticky: fc.oneof(
        fc.boolean(),
        fc.record({
          header: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
          fields: fc.array(fc.string({ minLength: 1 }), { maxLength: 3 }),
        }),
      ),
    };
    fc.assert(
      fc.property(fc.record(valid, { requiredKeys: [] }), (options) => {
        const routing = resolveRouting(options);
        const { sticky } = options;
        if (typeof sticky === "object") expect(routing.sticky?.header).toBe(sticky.header.toLowerCase());
      }),
      { numRuns: 500 },
    );
  });
});

describe("rendezvous hashing", () => {
  const tier = ["a", "b", "c", "d"].map((name) => ({ config: { name, weight: 1 } }));
  const keys = Array.from({ length: 400 }, (_, i) => `conversation-${i}`);

  it("keeps a key on its backend, and moves only the keys of a backend that became unusable", () => {
    const before = keys.map((key) => rendezvous(tier, () => true, key)!.config.name);
    const after = keys.map((key) => rendezvous(tier, (b) => b.config.name !== "b", key)!.config.name);
    keys.forEach((_, i) => {
      if (before[i] !== "b") expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe("b");
    });
    expect(new Set(before).size).toBe(4);
  });

  it("spreads keys by weight", () => {
    const weighted = [{ config: { name: "big", weight: 3 } }, { config: { name: "small", weight: 1 } }];
    const big = keys.filter((key) => rendezvous(weighted, () => true, key)!.config.name === "big").length;
    expect(big / keys.length).toBeGreaterThan(0.65);
    expect(big / keys.length).toBeLessThan(0.85);
  });

  it("returns undefined when nothing is usable", () => {
    expect(rendezvous(tier, () => false, "k")).toBeUndefined();
  });
});

describe("the answer while a pinned backend is out of rotation", () => {
  it("is a 429 with retry-after while rate-limited and a 503 while failing, naming the id and the backend", async () => {
    const route = { pinned: "ptu", why: "affinity" as const, id: "resp_1", stickyKey: undefined, watch: true };
    const limited = pinnedResponse(route, 2500, false);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
    expect(limited.headers.get("retry-after-ms")).toBe("2500");
    expect(((await limited.json()) as { error: { message: string } }).error.message).toBe(
      "Backend ptu, which holds resp_1, is rate-limited; retry in 3 s.",
    );
    const failing = pinnedResponse({ ...route, why: "home", id: undefined }, 1000, true);
    expect(failing.status).toBe(503);
    expect(((await failing.json()) as { error: { code: string } }).error.code).toBe("home_backend_unavailable");
  });
});
