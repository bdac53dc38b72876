import { setMaxListeners } from "node:events";
import { AzureOpenAI } from "openai";
import { createLoadBalancer } from "../../src/index.js";
import type { FetchFunction } from "../../src/index.js";
import { seededRandom } from "../../test/support/random.js";
import { quantile } from "../lib/stats.js";
import { OverloadBackend, type OverloadCounts } from "./server.js";
import {
  LATENCY_MS,
  minimumDurationMs,
  SDK_DEFAULT_TIMEOUT_MS,
  WINDOW_MS,
  type OverloadBackendSpec,
  type OverloadScenario,
} from "./scenarios.js";

/** One run of one overload scenario through the real SDK and a balancer with default options. */
export interface OverloadRun {
  /** Requests started (for a fixed count: all of them, the ones the deadline kept from starting included). */
  readonly requests: number;
  readonly successes: number;
  /**
   * Failed requests by error class and status: `DeadlineAbort` for those still running when the scenario's deadline
   * cut it off, `NotStarted (deadline)` for those it kept from starting.
   */
  readonly failures: Readonly<Record<string, number>>;
  /** Calls of `lb.fetch` by the SDK (its first attempts and retries). */
  readonly sdkAttempts: number;
  /** Requests that reached a backend, counted on the servers (429s, 500s and hung ones included). */
  readonly backendCalls: number;
  readonly callsPerSuccess: number;
  readonly wallMs: number;
  /** When the last success could have finished at the physical limit of the live backends. */
  readonly idealMs: number;
  /** idealMs / wallMs. */
  readonly timeEfficiency: number;
  /** Successes of priority-1 backends / successes. */
  readonly tier1Share: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Longest end-to-end time of a success (SDK retries and waits included). */
  readonly maxMs: number;
  /** `queued` events seen. */
  readonly queued: number;
  /**
   * The longest wait in the balancer's queue: the largest `dequeued` waitedMs, else
   * `snapshot().queue.maxWaitedMs` when above 0; `null` when neither reports a wait (no queue in this core).
   */
  readonly maxWaitMs: number | null;
  /** `paced` events seen. */
  readonly pacedEvents: number;
  /** The deadline cut the scenario off. */
  readonly cutOff: boolean;
  /** Flapping: ms from the primary's recovery to its first admitted request; `null` if it served none after. */
  readonly primaryBackAfterMs: number | null;
  /** Cooldowns of priority-1 backends: ms after the start, reason, length. */
  readonly tier1Cooldowns: readonly { atMs: number; reason: string; cooldownMs: number }[];
  readonly perBackend: Readonly<Record<string, Omit<OverloadCounts, "admittedAtMs">>>;
}

/** Admissions the live backends offer in window `k`: a hung backend offers none, a failing one none before its recovery. */
function capacityOfWindow(backends: readonly OverloadBackendSpec[], k: number): number {
  let sum = 0;
  for (const backend of backends) {
    if (backend.behaviour.kind === "hung") continue;
    if (backend.behaviour.kind === "down-until" && k * WINDOW_MS < backend.behaviour.untilMs) continue;
    sum += backend.limit;
  }
  return sum;
}

/** The ideal wall time for `count` successes: the window of the last admission at the earliest, plus the shortest request. */
export function idealOverloadMs(backends: readonly OverloadBackendSpec[], stream: boolean, count: number): number {
  if (count <= 0) return 0;
  let admitted = 0;
  for (let k = 0; k < 100_000; k++) {
    admitted += capacityOfWindow(backends, k);
    if (admitted >= count) return k * WINDOW_MS + minimumDurationMs(stream);
  }
  return Infinity;
}

const DEPLOYMENT = "gpt-4o-mini";

/** Runs `scenario` once: fresh servers and balancer, `concurrency` callers through the AzureOpenAI client at its defaults. */
export async function runOverload(scenario: OverloadScenario, seed: number): Promise<OverloadRun> {
  const random = seededRandom(seed);
  const servers = new Map<string, OverloadBackend>();
  for (const spec of scenario.backends) {
    servers.set(
      spec.name,
      new OverloadBackend({
        limit: spec.limit,
        windowMs: WINDOW_MS,
        latencyMs: LATENCY_MS,
        quotaHeaders: scenario.quotaHeaders,
        behaviour: spec.behaviour,
        random,
      }),
    );
  }
  const origins = new Map<string, string>();
  for (const [name, server] of servers) origins.set(name, await server.listen());

  // Default balancer options: only the backends.
  const lb = createLoadBalancer({
    backends: scenario.backends.map((spec) => ({
      url: origins.get(spec.name)!,
      name: spec.name,
      priority: spec.priority,
    })),
  });
  const startedAt = Date.now();
  let queued = 0;
  const dequeued = { maxWaitedMs: null as number | null };
  let pacedEvents = 0;
  const tier1 = new Set(scenario.backends.filter((spec) => spec.priority === 1).map((spec) => spec.name));
  const tier1Cooldowns: { atMs: number; reason: string; cooldownMs: number }[] = [];
  lb.on("queued", () => queued++);
  lb.on("dequeued", (event) => {
    dequeued.maxWaitedMs = Math.max(dequeued.maxWaitedMs ?? 0, event.waitedMs);
  });
  lb.on("paced", () => pacedEvents++);
  lb.on("cooldown", (event) => {
    if (tier1.has(event.backend.name))
      tier1Cooldowns.push({ atMs: event.at - startedAt, reason: event.reason, cooldownMs: event.cooldownMs });
  });

  let sdkAttempts = 0;
  const counted: FetchFunction = (input, init) => {
    sdkAttempts++;
    return lb.fetch(input, init);
  };
  // The SDK at its defaults (maxRetries 2, timeout 10 min); Azure's URL shape, so the balancer scopes state to the deployment.
  const client = new AzureOpenAI({
    endpoint: "http://balancer.invalid",
    apiKey: "x",
    apiVersion: "2024-10-21",
    deployment: DEPLOYMENT,
    fetch: counted,
  });

  const deadline = new AbortController();
  setMaxListeners(0, deadline.signal); // Shared by every request: the SDK adds a listener per request in flight.
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const fail = (name: string): void => {
    failures[name] = (failures[name] ?? 0) + 1;
  };
  for (const server of servers.values()) server.reset(startedAt);
  const started = performance.now();
  const deadlineTimer = setTimeout(() => deadline.abort(), scenario.deadlineMs);
  let lastEnd = started;
  let next = 0;
  const more = (): boolean =>
    !deadline.signal.aborted &&
    (scenario.requests !== undefined ? next < scenario.requests : performance.now() - started < scenario.loadForMs!);

  const one = async (): Promise<void> => {
    const begin = performance.now();
    try {
      const body = { model: DEPLOYMENT, messages: [{ role: "user" as const, content: "Say hi" }] };
      if (scenario.stream) {
        const stream = await client.chat.completions.create({ ...body, stream: true }, { signal: deadline.signal });
        let content = "";
        for await (const part of stream) content += part.choices[0]?.delta.content ?? "";
        if (content === "") throw new Error("empty stream");
      } else {
        await client.chat.completions.create(body, { signal: deadline.signal });
      }
      latencies.push(performance.now() - begin);
    } catch (error) {
      if (deadline.signal.aborted) fail("DeadlineAbort");
      else {
        const status = (error as { status?: unknown }).status;
        fail(
          `${error instanceof Error ? error.constructor.name : "unknown"}${typeof status === "number" ? ` ${status}` : ""}`,
        );
      }
    } finally {
      lastEnd = Math.max(lastEnd, performance.now());
    }
  };
  try {
    await Promise.all(
      Array.from({ length: scenario.concurrency }, async () => {
        while (more()) {
          next++;
          await one();
        }
      }),
    );
  } finally {
    clearTimeout(deadlineTimer);
  }
  const cutOff = deadline.signal.aborted;
  const notStarted = scenario.requests !== undefined ? scenario.requests - next : 0;
  for (let i = 0; i < notStarted; i++) fail("NotStarted (deadline)");
  const snapshotWait = lb.snapshot().queue?.maxWaitedMs ?? 0;
  await lb.close();
  await Promise.all([...servers.values()].map((server) => server.close()));

  const wallMs = lastEnd - started;
  const successes = latencies.length;
  const perBackend: Record<string, Omit<OverloadCounts, "admittedAtMs">> = {};
  let backendCalls = 0;
  let tier1Served = 0;
  for (const [name, server] of servers) {
    const { admittedAtMs: _, ...counts } = server.counts;
    perBackend[name] = counts;
    backendCalls += counts.received;
    if (tier1.has(name)) tier1Served += counts.successes;
  }
  let primaryBackAfterMs: number | null = null;
  for (const spec of scenario.backends) {
    if (spec.behaviour.kind !== "down-until") continue;
    const untilMs = spec.behaviour.untilMs;
    const first = servers.get(spec.name)!.counts.admittedAtMs.find((at) => at >= untilMs);
    primaryBackAfterMs = first === undefined ? null : first - untilMs;
  }
  const idealMs = idealOverloadMs(scenario.backends, scenario.stream, successes);
  const maxWait = dequeued.maxWaitedMs ?? (snapshotWait > 0 ? snapshotWait : null);
  return {
    requests: scenario.requests ?? next,
    successes,
    failures,
    sdkAttempts,
    backendCalls,
    callsPerSuccess: successes === 0 ? Infinity : backendCalls / successes,
    wallMs,
    idealMs,
    timeEfficiency: successes === 0 ? 0 : idealMs / wallMs,
    tier1Share: successes === 0 ? 0 : tier1Served / successes,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: latencies.length === 0 ? NaN : Math.max(...latencies),
    queued,
    maxWaitMs: maxWait,
    pacedEvents,
    cutOff,
    primaryBackAfterMs,
    tier1Cooldowns,
    perBackend,
  };
}

/** Whether every request of a run finished, successfully, within the SDK's default timeout. */
export function allWithinSdkTimeout(run: OverloadRun): boolean {
  return run.successes === run.requests && run.maxMs <= SDK_DEFAULT_TIMEOUT_MS;
}
