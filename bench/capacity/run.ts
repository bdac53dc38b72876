import OpenAI from "openai";
import { createLoadBalancer } from "../../src/index.js";
import type { FetchFunction } from "../../src/index.js";
import { seededRandom } from "../../test/support/random.js";
import { quantile } from "../lib/stats.js";
import { SimulatedBackend, type RetryHeaders } from "./backend-server.js";
import { refusedPort } from "./free-port.js";
import { capacityOverWindows, idealTimeMs, slotsOffered, tier1Max } from "./ideal.js";
import { LATENCY_MS, WINDOW_MS, type Scenario } from "./scenarios.js";

/** Who sends: the SDK straight to one backend, or the SDK through the balancer over all of them. */
export type Mode = "direct" | "balancer";

/** The SDK's default `maxRetries`: three attempts in all. */
const SDK_ATTEMPTS = 3;

/** One run of one scenario in one mode; counts of 429s and 500s come from the servers. */
export interface CapacityRun {
  readonly requests: number;
  readonly successes: number;
  /** Error class names of the requests that failed, with counts. */
  readonly failures: Readonly<Record<string, number>>;
  readonly wallMs: number;
  /** The ideal time for the successes obtained (see {@link idealTimeMs}). */
  readonly idealMs: number;
  /** idealMs / wallMs: 1 means the combined capacity was used as fast as physically possible. */
  readonly timeEfficiency: number;
  /** Successes over the slots the live backends offered while the run lasted (capped at the requests): the share of capacity turned into responses. */
  readonly capacityUse: number;
  /** Whether the live backends could admit every request within the SDK's three attempts (three windows). */
  readonly capacitySuffices: boolean;
  readonly throttled: number;
  readonly serverErrors: number;
  /** Connections refused (counted by the fetch under the SDK or under the balancer). */
  readonly networkErrors: number;
  /** (429s + 500s + network errors) per successful response. */
  readonly wastedPerSuccess: number;
  readonly tier1Served: number;
  readonly tier1Max: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function countingFetch(counter: { errors: number }): FetchFunction {
  return async (input, init) => {
    try {
      return await fetch(input, init);
    } catch (error) {
      counter.errors++;
      throw error;
    }
  };
}

/** Runs `scenario` once: fresh servers, all requests at once, each through the real OpenAI SDK with default retries. */
export async function runCapacity(
  scenario: Scenario,
  retryHeaders: RetryHeaders,
  mode: Mode,
  seed: number,
): Promise<CapacityRun> {
  const random = seededRandom(seed);
  const servers = new Map<string, SimulatedBackend>();
  const origins = new Map<string, string>();
  for (const backend of scenario.backends) {
    if (backend.down) {
      origins.set(backend.name, `http://127.0.0.1:${await refusedPort()}`);
      continue;
    }
    const server = new SimulatedBackend({
      limit: backend.limit,
      windowMs: WINDOW_MS,
      latencyMs: LATENCY_MS,
      failureRate: backend.failureRate ?? 0,
      retryHeaders,
      random,
    });
    servers.set(backend.name, server);
    origins.set(backend.name, await server.listen());
  }
  const network = { errors: 0 };
  const underlying = countingFetch(network);
  let client: OpenAI;
  if (mode === "direct") {
    client = new OpenAI({
      baseURL: `${origins.get(scenario.directTo)}/v1`,
      apiKey: "x",
      fetch: underlying,
      timeout: 20_000,
    });
  } else {
    const lb = createLoadBalancer({
      backends: scenario.backends.map((backend) => ({
        url: origins.get(backend.name)!,
        name: backend.name,
        priority: backend.priority,
      })),
      fetch: underlying,
    });
    client = new OpenAI({ baseURL: "http://balancer.invalid/v1", apiKey: "x", fetch: lb.fetch, timeout: 20_000 });
  }

  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const startedAt = Date.now();
  const started = performance.now();
  let lastEnd = started;
  for (const server of servers.values()) server.reset(startedAt);
  try {
    await Promise.all(
      Array.from({ length: scenario.requests }, async () => {
        const begin = performance.now();
        try {
          await client.chat.completions.create({
            model: "gpt-4o-mini",
            messages: [{ role: "user", content: "Say hi" }],
          });
          latencies.push(performance.now() - begin);
        } catch (error) {
          const name = error instanceof Error ? error.constructor.name : "unknown";
          failures[name] = (failures[name] ?? 0) + 1;
        } finally {
          lastEnd = Math.max(lastEnd, performance.now());
        }
      }),
    );
  } finally {
    await Promise.all([...servers.values()].map((server) => server.close()));
  }

  const wallMs = lastEnd - started;
  const successes = latencies.length;
  const counts = [...servers.entries()].map(([name, server]) => ({ name, ...server.counts }));
  const throttled = counts.reduce((sum, count) => sum + count.throttled, 0);
  const serverErrors = counts.reduce((sum, count) => sum + count.errors, 0);
  const priorityOf = (name: string): number => scenario.backends.find((backend) => backend.name === name)!.priority;
  const tier1Served = counts
    .filter((count) => priorityOf(count.name) === 1)
    .reduce((sum, count) => sum + count.successes, 0);
  const lastAdmission = Math.max(0, ...counts.flatMap((count) => count.admittedAtMs));
  const idealMs = idealTimeMs(scenario.backends, WINDOW_MS, LATENCY_MS[0], successes);
  return {
    requests: scenario.requests,
    successes,
    failures,
    wallMs,
    idealMs,
    timeEfficiency: successes === 0 ? 0 : idealMs / wallMs,
    capacityUse:
      successes / Math.min(scenario.requests, slotsOffered(scenario.backends, WINDOW_MS, wallMs - LATENCY_MS[0])),
    capacitySuffices: scenario.requests <= capacityOverWindows(scenario.backends, SDK_ATTEMPTS),
    throttled,
    serverErrors,
    networkErrors: network.errors,
    wastedPerSuccess: successes === 0 ? Infinity : (throttled + serverErrors + network.errors) / successes,
    tier1Served,
    tier1Max: tier1Max(scenario.backends, WINDOW_MS, lastAdmission, successes),
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
  };
}
