import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { redisKeys } from "../../src/redis/keys.js";
import { redisState } from "../../src/redis/index.js";
import { broadcastChannelState } from "../../src/shared/index.js";
import { PendingUpdates } from "../../src/shared/pending.js";
import { targetId } from "../../src/shared/target.js";
import type { SharedUpdate } from "../../src/types/shared.js";

const fakeNodeRedis = { sendCommand: () => Promise.resolve(null), duplicate: () => ({}), subscribe: () => {} };
const cooldown = (backend: string, remainingMs: number): SharedUpdate => ({
  type: "cooldown",
  backend,
  deployment: null,
  reason: "rate-limit",
  remainingMs,
  failures: 0,
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("names in the store", () => {
  it("two different backend/deployment pairs never share a key", () => {
    const name = fc.string({ maxLength: 12 });
    fc.assert(
      fc.property(name, fc.option(name), name, fc.option(name), (b1, d1, b2, d2) => {
        fc.pre(b1 !== b2 || d1 !== d2);
        expect(targetId(b1, d1)).not.toBe(targetId(b2, d2));
      }),
    );
  });

  it("the SCAN pattern matches the namespace literally, whatever glob characters it holds", () => {
    expect(redisKeys("", "a*b?[c]").cooldownPattern).toBe("a\\*b\\?\\[c\\]:cd:*");
    expect(redisKeys("app:", "chat").channel).toBe("app:chat:updates");
    expect(redisKeys("", "chat").probe("ptu", "gpt-4o")).toBe("chat:probe:ptu:gpt-4o");
  });
});

describe("options", () => {
  it("redisState refuses what is not a Redis client with a TypeError naming the type", () => {
    expect(() => redisState({})).toThrow(/redisState: client must be .*got object/);
    expect(() => redisState(null)).toThrow(TypeError);
  });

  it("redisState refuses invalid options with a TypeError naming the field and value", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(0), fc.constant(-1), fc.constant(Number.NaN), fc.constant(Infinity), fc.string()),
        (timeoutMs) => {
          expect(() => redisState(fakeNodeRedis, { timeoutMs: timeoutMs as number })).toThrow(
            /redisState: option timeoutMs must be a positive number/,
          );
        },
      ),
    );
    expect(() => redisState(fakeNodeRedis, { namespace: "" })).toThrow(/option namespace .* got ""/);
    expect(() => redisState(fakeNodeRedis, { namespace: "a b" })).toThrow(/option namespace/);
    expect(() => redisState(fakeNodeRedis, { maxPending: 1.5 })).toThrow(
      /option maxPending must be a positive integer/,
    );
  });

  it("broadcastChannelState refuses invalid options with a TypeError naming the field and value", () => {
    expect(() => broadcastChannelState({ name: "" })).toThrow(/broadcastChannelState: option name .* got ""/);
    expect(() => broadcastChannelState({ claimWindowMs: -1 })).toThrow(/option claimWindowMs .* got -1/);
  });
});

describe("updates waiting for the store", () => {
  it("keeps at most the limit, dropping the oldest, one per target (the newest wins)", () => {
    const pending = new PendingUpdates(2);
    pending.add(cooldown("a", 1000));
    pending.add(cooldown("b", 1000));
    pending.add({ type: "recovered", backend: "a", deployment: null });
    expect(pending.size).toBe(2);
    expect(pending.add(cooldown("c", 1000))).toBe(1);
    expect(pending.take()?.backend).toBe("a");
    expect(pending.take()?.backend).toBe("c");
    expect(pending.take()).toBeUndefined();
  });

  it("counts a cooldown's remaining time down while it waits, and drops it once over", () => {
    let now = 1000;
    vi.spyOn(performance, "now").mockImplementation(() => now);
    const pending = new PendingUpdates(10);
    pending.add(cooldown("a", 5000));
    pending.add(cooldown("b", 500));
    now += 2000;
    const first = pending.take();
    expect(first?.type === "cooldown" && first.remainingMs).toBe(3000);
    expect(pending.take()).toBeUndefined();
  });

  it("a failed write goes back unless a newer update for the target arrived", () => {
    const pending = new PendingUpdates(10);
    pending.add(cooldown("a", 5000));
    const taken = pending.take()!;
    pending.add({ type: "recovered", backend: "a", deployment: null });
    pending.restore(taken);
    expect(pending.take()?.type).toBe("recovered");
    expect(pending.take()).toBeUndefined();
  });
});
