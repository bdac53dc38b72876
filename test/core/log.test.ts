import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Emitter } from "../../src/core/events.js";
import { attachLogger } from "../../src/core/log.js";
import {
  type CooldownEvent,
  createLoadBalancer,
  type LoadBalancerEvent,
  type LogFields,
  type Logger,
} from "../../src/index.js";
import { SimulatedBackends, ok, tooMany } from "../support/backends.js";

type Line = [level: string, message: string, fields: LogFields | undefined];

function recorder(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: unknown): void =>
      void lines.push([level, message, fields as LogFields | undefined]);
  return { logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, lines };
}

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const CHAT =
  "https://ptu.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21&key=secret";

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the logger", () => {
  it("logs attempts at debug, and a cooldown hit by ten in-flight requests once, at warn, with its fields", async () => {
    const { fetch } = new SimulatedBackends({
      "https://ptu.openai.azure.com": async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return tooMany({ "retry-after": "5" });
      },
      "https://paygo.openai.azure.com": () => ok(),
    });
    const { logger, lines } = recorder();
    const lb = createLoadBalancer({
      backends: [
        { url: "https://ptu.openai.azure.com", name: "ptu", priority: 1 },
        { url: "https://paygo.openai.azure.com", name: "paygo", priority: 2 },
      ],
      fetch,
      logger,
    });
    const burst = Promise.all(
      Array.from({ length: 10 }, () =>
        lb.fetch(CHAT, { method: "POST", body: "{}", headers: { "api-key": "secret-key" } }),
      ),
    );
    await vi.advanceTimersByTimeAsync(20);
    expect((await burst).map((response) => response.status)).toEqual(Array(10).fill(200));

    const warnings = lines.filter(([level]) => level === "warn");
    expect(warnings).toEqual([
      [
        "warn",
        "Backend ptu (gpt-4o) cooling down for 5 s (rate-limit, 429)",
        {
          backend: "ptu",
          deployment: "gpt-4o",
          status: 429,
          reason: "rate-limit",
          cooldownMs: 5000,
          until: new Date(T0 + 20 + 5000).toISOString(),
          requestId: 1,
          consecutiveFailures: 0,
          ejected: false,
          remote: false,
        },
      ],
    ]);
    // Ten 429s at once teach the deployment a limit (half of what was in flight): said once, at info.
    expect(lines.filter(([level]) => level === "info")).toEqual([
      [
        "info",
        "Backend ptu (gpt-4o) paced: at most 5 in flight (learned)",
        { backend: "ptu", deployment: "gpt-4o", allowed: 5, basis: "learned" },
      ],
    ]);
    const attempts = lines.filter(([level, message]) => level === "debug" && / attempt \d+ → /.test(message));
    expect(attempts).toHaveLength(20);
    expect(attempts[0]).toEqual([
      "debug",
      "Request 1 attempt 1 → ptu (gpt-4o)",
      { requestId: 1, attempt: 1, backend: "ptu", deployment: "gpt-4o", method: "POST" },
    ]);
    expect(lines.filter(([, message]) => message.includes("failed: rate-limit (429)"))).toHaveLength(10);
    // Nothing secret in any line: no key, no query.
    expect(JSON.stringify(lines)).not.toMatch(/secret|api-version/);

    await vi.advanceTimersByTimeAsync(5000);
    lb.snapshot(); // the cooldown is closed when the balancer looks
    expect(lines.filter(([level]) => level === "info").slice(1)).toEqual([
      [
        "info",
        "Backend ptu (gpt-4o) back after 5 s; 10 attempts ran into the cooldown",
        { backend: "ptu", deployment: "gpt-4o", downMs: 5000, hits: 10 },
      ],
    ]);
  });

  it("logs the synthetic 429s of one all-cooling period once, and says how many it left out on the next line", async () => {
    const { fetch } = new SimulatedBackends({ "https://ptu.openai.azure.com": () => tooMany({ "retry-after": "4" }) });
    const { logger, lines } = recorder();
    const lb = createLoadBalancer({
      maxWaitMs: 0,
      backends: [{ url: "https://ptu.openai.azure.com", name: "ptu" }],
      fetch,
      logger,
    });
    const exhaustedLines = () => lines.filter(([, message]) => message.startsWith("No backend available"));

    for (let i = 0; i < 5; i++) expect((await lb.fetch(CHAT)).status).toBe(429);
    await vi.advanceTimersByTimeAsync(3000);
    expect((await lb.fetch(CHAT)).status).toBe(429);
    expect(exhaustedLines()).toEqual([
      [
        "warn",
        "No backend available; answered 429, soonest retry in 4 s",
        expect.objectContaining({ requestId: 1, retryAfterMs: 4000, waiting: false, unlogged: 0 }),
      ],
    ]);

    await vi.advanceTimersByTimeAsync(1000);
    expect((await lb.fetch(CHAT)).status).toBe(429);
    expect(exhaustedLines()).toHaveLength(2);
    expect(exhaustedLines()[1]!.slice(0, 2)).toEqual([
      "warn",
      "No backend available; answered 429, soonest retry in 4 s (5 more since the last such line)",
    ]);
    expect(lines.filter(([level, message]) => level === "warn" && message.startsWith("Backend ptu"))).toHaveLength(2);
  });

  it("does not log again a cooldown that is already logged and not over, whoever reports it", () => {
    const events = new Emitter(() => {});
    const { logger, lines } = recorder();
    attachLogger(events, logger);
    const backend = { name: "ptu", url: "https://ptu.example", priority: 1, weight: 1 };
    const cooldown = (at: number, until: number, remote: boolean): CooldownEvent => ({
      type: "cooldown",
      at,
      backend,
      deployment: "gpt-4o",
      reason: "rate-limit",
      status: 429,
      cooldownMs: until - at,
      until,
      consecutiveFailures: 0,
      ejected: false,
      remote,
      requestId: remote ? undefined : 1,
    });
    events.emit(cooldown(T0, T0 + 10_000, false));
    events.emit(cooldown(T0 + 100, T0 + 12_000, true));
    expect(lines.map(([level, message]) => [level, message])).toEqual([
      ["warn", "Backend ptu (gpt-4o) cooling down for 10 s (rate-limit, 429)"],
      ["debug", `Backend ptu (gpt-4o) still cooling down (rate-limit), until ${new Date(T0 + 12_000).toISOString()}`],
    ]);
    events.emit(cooldown(T0 + 13_000, T0 + 20_000, true));
    expect(lines.at(-1)!.slice(0, 2)).toEqual([
      "warn",
      "Backend ptu (gpt-4o) cooling down for 7 s (rate-limit, 429) (learned from another instance)",
    ]);
  });

  it("keeps logger: console readable: a message, then the fields object", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const debug = vi.spyOn(console, "debug").mockImplementation(() => {});
    const { fetch } = new SimulatedBackends({ "https://ptu.openai.azure.com": () => tooMany({ "retry-after": "4" }) });
    const lb = createLoadBalancer({
      maxWaitMs: 0,
      backends: [{ url: "https://ptu.openai.azure.com", name: "ptu" }],
      fetch,
      logger: console,
    });
    await lb.fetch(CHAT);
    expect(warn.mock.calls[0]).toEqual([
      "Backend ptu (gpt-4o) cooling down for 4 s (rate-limit, 429)",
      expect.objectContaining({ backend: "ptu", reason: "rate-limit" }),
    ]);
    warn.mockRestore();
    debug.mockRestore();
  });

  it("logs requests joining and leaving the queue at debug, with the queue's length and the wait", () => {
    const events = new Emitter(() => {});
    const { logger, lines } = recorder();
    attachLogger(events, logger);
    const emit = (event: Record<string, unknown>) =>
      events.emit({ at: T0, requestId: 7, attempt: 2, ...event } as unknown as LoadBalancerEvent);
    emit({ type: "queued", reason: "cooling", waiting: 3, retryAfterMs: 4000 });
    emit({ type: "queued", reason: "paced", waiting: 1, retryAfterMs: 250 });
    emit({ type: "dequeued", result: "resumed", waitedMs: 1234, waiting: 2 });
    emit({ type: "dequeued", result: "timed-out", waitedMs: 30_000, waiting: 0 });
    expect(lines).toEqual([
      [
        "debug",
        "Request 7 queued (cooling); 3 waiting",
        { requestId: 7, attempt: 2, reason: "cooling", queueLength: 3, retryAfterMs: 4000 },
      ],
      [
        "debug",
        "Request 7 queued (paced); 1 waiting",
        { requestId: 7, attempt: 2, reason: "paced", queueLength: 1, retryAfterMs: 250 },
      ],
      [
        "debug",
        "Request 7 resumed after 1.2 s in the queue; 2 still waiting",
        { requestId: 7, attempt: 2, result: "resumed", waitedMs: 1234, queueLength: 2 },
      ],
      [
        "debug",
        "Request 7 timed out after 30 s in the queue; 0 still waiting",
        { requestId: 7, attempt: 2, result: "timed-out", waitedMs: 30_000, queueLength: 0 },
      ],
    ]);
  });

  it("logs pacing at info when a deployment becomes limited, and its moves and lifting at debug", () => {
    const events = new Emitter(() => {});
    const { logger, lines } = recorder();
    attachLogger(events, logger);
    const backend = { name: "ptu", url: "https://ptu.example", priority: 1, weight: 1 };
    const paced = (allowed: number | null, deployment: string | null = "gpt-4o"): LoadBalancerEvent => ({
      type: "paced",
      at: T0,
      backend,
      deployment,
      allowed,
      basis: "headers",
    });
    events.emit(paced(5));
    events.emit(paced(4));
    events.emit(paced(2, null));
    events.emit(paced(null));
    events.emit(paced(3));
    expect(lines).toEqual([
      [
        "info",
        "Backend ptu (gpt-4o) paced: at most 5 in flight (headers)",
        { backend: "ptu", deployment: "gpt-4o", allowed: 5, basis: "headers" },
      ],
      [
        "debug",
        "Backend ptu (gpt-4o) paced: at most 4 in flight (headers)",
        { backend: "ptu", deployment: "gpt-4o", allowed: 4, basis: "headers" },
      ],
      [
        "info",
        "Backend ptu paced: at most 2 in flight (headers)",
        { backend: "ptu", deployment: null, allowed: 2, basis: "headers" },
      ],
      [
        "debug",
        "Backend ptu (gpt-4o) no longer paced",
        { backend: "ptu", deployment: "gpt-4o", allowed: null, basis: "headers" },
      ],
      [
        "info",
        "Backend ptu (gpt-4o) paced: at most 3 in flight (headers)",
        { backend: "ptu", deployment: "gpt-4o", allowed: 3, basis: "headers" },
      ],
    ]);
  });
});
