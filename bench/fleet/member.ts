// One member of the fleet: its own balancer, an open-loop paced load, counts sent back to the parent.
// Runs as a forked process (no sharing, Redis) or as a worker thread (BroadcastChannel).
import { parentPort, workerData } from "node:worker_threads";
import { createLoadBalancer, type LoadBalancerOptions, type SharedState } from "../../src/index.js";
import { redisState } from "../../src/redis/index.js";
import { broadcastChannelState } from "../../src/shared/index.js";
import { chatInit } from "../lib/requests.js";

/** What the parent tells a member. */
export interface MemberConfig {
  readonly mode: "none" | "redis" | "broadcast";
  readonly backends: readonly { readonly name: string; readonly url: string; readonly priority: number }[];
  readonly redisUrl: string | undefined;
  readonly namespace: string;
  /** Requests per second this member offers, evenly spaced. */
  readonly rate: number;
  readonly durationMs: number;
  /** Epoch ms when every member starts, so that their loads overlap exactly. */
  readonly startAt: number;
  /** Epoch ms [from, to) when the store is down (the kill run): latencies of requests started then are kept apart. */
  readonly storeDown?: readonly [number, number];
}

/** What a member reports when its run ends. */
export interface MemberResult {
  readonly requests: number;
  readonly successes: number;
  readonly failures: number;
  readonly attempts: number;
  readonly probes: number;
  readonly successfulProbes: number;
  readonly remoteCooldowns: number;
  /** Latency of each successful request, ms. */
  readonly latenciesMs: number[];
  /** The same, of the requests started while the store was down. */
  readonly storeDownLatenciesMs: number[];
}

async function sharedFor(config: MemberConfig): Promise<{ shared?: SharedState; close(): Promise<void> }> {
  if (config.mode === "broadcast")
    return { shared: broadcastChannelState({ name: config.namespace }), close: async () => {} };
  if (config.mode !== "redis") return { close: async () => {} };
  const { createClient } = await import("redis");
  const client = createClient({ url: config.redisUrl });
  client.on("error", () => {});
  await client.connect();
  return { shared: redisState(client, { namespace: config.namespace }), close: async () => void client.destroy() };
}

export async function runMember(config: MemberConfig): Promise<MemberResult> {
  const { shared, close } = await sharedFor(config);
  const options: LoadBalancerOptions = {
    backends: config.backends.map(({ name, url, priority }) => ({ name, url, priority })),
    shared,
    // Short failure cooldowns, so that the outage's recovery (and its probes) fall inside the run.
    defaultCooldownMs: 1000,
  };
  const lb = createLoadBalancer(options);
  let attempts = 0;
  let probes = 0;
  let successfulProbes = 0;
  let remoteCooldowns = 0;
  lb.on("attempt", () => attempts++);
  lb.on("probe", (event) => {
    probes++;
    if (event.success) successfulProbes++;
  });
  lb.on("cooldown", (event) => {
    if (event.remote) remoteCooldowns++;
  });
  const latenciesMs: number[] = [];
  const storeDownLatenciesMs: number[] = [];
  const [downFrom, downTo] = config.storeDown ?? [0, 0];
  let successes = 0;
  let failures = 0;
  const total = Math.floor((config.rate * config.durationMs) / 1000);
  const intervalMs = 1000 / config.rate;
  // Members start at offsets inside one interval so that the fleet's load is evenly paced, not bursty.
  const offset = Math.random() * intervalMs;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, config.startAt - Date.now())));
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + offset + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const started = performance.now();
    const storeDown = Date.now() >= downFrom && Date.now() < downTo;
    pending.push(
      lb.fetch("http://fleet.invalid/openai/deployments/chat/chat/completions", chatInit()).then(
        async (response) => {
          await response.arrayBuffer();
          if (response.ok) {
            successes++;
            latenciesMs.push(performance.now() - started);
            if (storeDown) storeDownLatenciesMs.push(performance.now() - started);
          } else failures++;
        },
        () => {
          failures++;
        },
      ),
    );
  }
  await Promise.all(pending);
  await lb.close();
  await close();
  return {
    requests: total,
    successes,
    failures,
    attempts,
    probes,
    successfulProbes,
    remoteCooldowns,
    latenciesMs,
    storeDownLatenciesMs,
  };
}

// As a worker thread: the config arrives as workerData. As a forked process: by IPC.
if (parentPort !== null && workerData !== undefined) {
  parentPort.postMessage(await runMember(workerData as MemberConfig));
} else if (process.send !== undefined) {
  process.once("message", (config: MemberConfig) => {
    void runMember(config).then((result) => process.send!(result, () => process.exit(0)));
  });
}
