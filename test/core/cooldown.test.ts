import { describe, expect, it } from "vitest";
import { createLoadBalancer, parseCooldownMs, parseDuration } from "../../src/index.js";
import { SimulatedBackends, ok } from "../support/backends.js";

const NOW = Date.UTC(2026, 10, 21, 10, 0, 0);
const cooldownOf = (headers: Record<string, string>): number | undefined => parseCooldownMs(new Headers(headers), NOW);

describe("a failed response's headers give the cooldown", () => {
  it.each([
    [{ "retry-after-ms": "1500" }, 1500],
    [{ "retry-after-ms": "12.5" }, 12.5],
    [{ "x-ms-retry-after-ms": "800" }, 800],
    [{ "retry-after": "4" }, 4000],
    [{ "retry-after": "1.5" }, 1500],
    [{ "retry-after": " 7 " }, 7000],
    [{ "retry-after": "0" }, 0],
    [{ "retry-after": "Sat, 21 Nov 2026 10:00:30 GMT" }, 30_000],
    [{ "retry-after": "Sat, 21 Nov 2026 09:59:00 GMT" }, 0], // a date in the past: retry now
    [{ "x-ratelimit-reset-requests": "20ms" }, 20],
    [{ "x-ratelimit-reset-requests": "1s" }, 1000],
    [{ "x-ratelimit-reset-requests": "1.5s" }, 1500],
    [{ "x-ratelimit-reset-requests": "6m0s" }, 360_000],
    [{ "x-ratelimit-reset-tokens": "1h2m3s" }, 3_723_000],
    [{ "x-ratelimit-reset-tokens": "2" }, 2000],
    [{ "x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s" }, 360_000], // the longer of the two
  ])("%j → %d ms", (headers, expected) => {
    expect(cooldownOf(headers)).toBe(expected);
  });

  it.each([
    [{ "retry-after-ms": "250", "x-ms-retry-after-ms": "900", "retry-after": "9" }, 250],
    [{ "x-ms-retry-after-ms": "900", "retry-after": "9" }, 900],
    [{ "retry-after": "9", "x-ratelimit-reset-requests": "1s" }, 9000],
    [{ "retry-after-ms": "soon", "retry-after": "3" }, 3000], // junk is skipped, the next usable header wins
  ])("takes the first usable header in precedence order: %j → %d ms", (headers, expected) => {
    expect(cooldownOf(headers)).toBe(expected);
  });

  it.each<Record<string, string>>([
    {},
    { "retry-after": "" },
    { "retry-after": "-5" },
    { "retry-after": "NaN" },
    { "retry-after": "Infinity" },
    { "retry-after": "1e3" },
    { "retry-after": "4 seconds" },
    { "retry-after": "Sat, 21 Nov 2026 10:00:30" }, // not IMF-fixdate: no zone
    { "retry-after": "2026-11-21T10:00:30Z" }, // ISO is not an HTTP-date
    { "retry-after": "Tomorrow" },
    { "retry-after-ms": "-1" },
    { "retry-after-ms": "0x10" },
    { "x-ratelimit-reset-requests": "6m0" },
    { "x-ratelimit-reset-requests": "ms" },
    { "x-ratelimit-reset-requests": "1d" },
    { "x-ratelimit-reset-requests": "s1" },
  ])("junk is unusable, never a throw: %j", (headers) => {
    expect(cooldownOf(headers)).toBeUndefined();
  });

  it("parses OpenAI duration strings", () => {
    expect(parseDuration("20ms")).toBe(20);
    expect(parseDuration("1m30.5s")).toBe(90_500);
    expect(parseDuration("")).toBeUndefined();
    expect(parseDuration(null)).toBeUndefined();
  });
});

describe("cooldowns applied by the balancer", () => {
  function balancer(
    headers: Record<string, string>,
    options: { maxCooldownMs?: number; defaultCooldownMs?: number; status?: number } = {},
  ) {
    const { fetch } = new SimulatedBackends({
      "https://a.example.com": () => new Response(null, { status: options.status ?? 429, headers }),
      "https://b.example.com": () => ok(),
    });
    const lb = createLoadBalancer({
      backends: [{ url: "https://a.example.com" }, { url: "https://b.example.com", priority: 2 }],
      fetch,
      now: () => NOW,
      maxCooldownMs: options.maxCooldownMs,
      defaultCooldownMs: options.defaultCooldownMs,
    });
    return lb;
  }
  const untilOfA = async (lb: ReturnType<typeof balancer>): Promise<number | null> => {
    await lb.fetch("https://x/v1/chat/completions");
    return lb.snapshot().backends[0]!.until;
  };

  it("uses the header's value", async () => {
    expect(await untilOfA(balancer({ "retry-after": "44" }))).toBe(NOW + 44_000);
  });

  it("falls back to defaultCooldownMs (10 s unless set) without a usable header", async () => {
    expect(await untilOfA(balancer({ "retry-after": "6m0s" }))).toBe(NOW + 10_000);
    expect(await untilOfA(balancer({}, { defaultCooldownMs: 2500 }))).toBe(NOW + 2500);
  });

  it("clamps absurd header values to maxCooldownMs (5 minutes unless set)", async () => {
    expect(await untilOfA(balancer({ "retry-after": "99999999999" }))).toBe(NOW + 300_000);
    expect(await untilOfA(balancer({ "retry-after-ms": "90000" }, { maxCooldownMs: 60_000 }))).toBe(NOW + 60_000);
  });

  it("applies the same rules to 5xx answers", async () => {
    expect(await untilOfA(balancer({ "retry-after": "3" }, { status: 503 }))).toBe(NOW + 3000);
    // Without a header a 5xx is a quick failure: a short pause, not defaultCooldownMs.
    expect(await untilOfA(balancer({}, { status: 500 }))).toBe(NOW + 10);
  });
});
