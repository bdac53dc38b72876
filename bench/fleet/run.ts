// The fleet benchmark (issue 11): 4 and 8 balancers, each in its own OS process (worker threads for
// BroadcastChannel), against shared simulated throttled backends (one PTU, two pay-as-you-go), offered an
// open-loop paced load at 1.5x the PTU's rate; no sharing vs Redis vs BroadcastChannel.
// Standalone: `tsc -p bench/tsconfig.json && node bench/.dist/bench/fleet/run.js` (FLEET_QUICK=1: short runs).
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { SimulatedBackend } from "../capacity/backend-server.js";
import { LATENCY_MS, WINDOW_MS } from "../capacity/scenarios.js";
import { seededRandom } from "../../test/support/random.js";
import { quantile, round } from "../lib/stats.js";
import type { MemberConfig, MemberResult } from "./member.js";

interface RedisServer {
  readonly url: string;
  stop(): Promise<void>;
}
// scripts/ is plain JavaScript outside the compiled tree: bench/.dist/bench/fleet → the repository root.
const redisServerModule = new URL("../../../../scripts/redis-server.mjs", import.meta.url).href;
const memberScript = new URL("member.js", import.meta.url);

const PTU_LIMIT = 20;
const PAYGO_LIMIT = 10;
const quick = process.env.FLEET_QUICK === "1";
const DURATION_MS = quick ? 4000 : 15_000;
/** 1.5x what the PTU admits per second: between the PTU's capacity and the backends' total (40/s). */
const FLEET_RATE = (1.5 * PTU_LIMIT * 1000) / WINDOW_MS;

/** One run's figures. */
export interface FleetSummary {
  readonly mode: MemberConfig["mode"];
  readonly members: number;
  readonly requests: number;
  readonly failed: number;
  readonly serverSide429s: number;
  readonly ptu429s: number;
  readonly callsPerSuccess: number;
  readonly probes: number;
  readonly recoveries: number;
  readonly remoteCooldowns: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
}

function runInProcess(config: MemberConfig): Promise<MemberResult> {
  const child = fork(fileURLToPath(memberScript), { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("message", (result) => resolve(result as MemberResult));
    child.once("exit", (code) => reject(new Error(`fleet member exited with ${code} before reporting`)));
    child.send(config);
  });
}

function runInThread(config: MemberConfig): Promise<MemberResult> {
  const worker = new Worker(memberScript, { workerData: config });
  return new Promise((resolve, reject) => {
    worker.once("message", (result) => {
      resolve(result as MemberResult);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
}

async function runFleet(
  mode: MemberConfig["mode"],
  members: number,
  redisUrl: string | undefined,
): Promise<FleetSummary> {
  const random = seededRandom(members * 7 + mode.length);
  const specs = [
    { name: "ptu", priority: 1, limit: PTU_LIMIT },
    { name: "paygo-1", priority: 2, limit: PAYGO_LIMIT },
    { name: "paygo-2", priority: 2, limit: PAYGO_LIMIT },
  ];
  const servers = specs.map(
    ({ limit }) =>
      new SimulatedBackend({
        limit,
        windowMs: WINDOW_MS,
        latencyMs: LATENCY_MS,
        failureRate: 0,
        retryHeaders: "retry-after",
        random,
      }),
  );
  const urls = await Promise.all(servers.map((server) => server.listen()));
  const startAt = Date.now() + 1500;
  for (const server of servers) server.reset(startAt);
  const config = (): MemberConfig => ({
    mode,
    backends: specs.map(({ name, priority }, i) => ({ name, priority, url: urls[i]! })),
    redisUrl,
    namespace: `fleet-${mode}-${members}-${startAt}`,
    rate: FLEET_RATE / members,
    durationMs: DURATION_MS,
    startAt,
  });
  try {
    const results = await Promise.all(
      Array.from({ length: members }, () => (mode === "broadcast" ? runInThread(config()) : runInProcess(config()))),
    );
    const sum = (pick: (result: MemberResult) => number): number =>
      results.reduce((total, result) => total + pick(result), 0);
    const latencies = results.flatMap((result) => result.latenciesMs);
    const successes = sum((result) => result.successes);
    return {
      mode,
      members,
      requests: sum((result) => result.requests),
      failed: sum((result) => result.failures),
      serverSide429s: servers.reduce((total, server) => total + server.counts.throttled, 0),
      ptu429s: servers[0]!.counts.throttled,
      callsPerSuccess: round(sum((result) => result.attempts) / Math.max(1, successes)),
      probes: sum((result) => result.probes),
      recoveries: sum((result) => result.recoveries),
      remoteCooldowns: sum((result) => result.remoteCooldowns),
      p50Ms: round(quantile(latencies, 0.5), 1),
      p95Ms: round(quantile(latencies, 0.95), 1),
    };
  } finally {
    await Promise.all(servers.map((server) => server.close()));
  }
}

/** Every configuration: 4 and 8 members, no sharing vs Redis vs BroadcastChannel (worker threads). */
export async function measureFleet(): Promise<FleetSummary[]> {
  const { startRedis } = (await import(redisServerModule)) as { startRedis(): Promise<RedisServer> };
  const redis = await startRedis();
  const summaries: FleetSummary[] = [];
  try {
    for (const members of [4, 8]) {
      for (const mode of ["none", "redis", "broadcast"] as const) {
        summaries.push(await runFleet(mode, members, redis.url));
      }
    }
  } finally {
    await redis.stop();
  }
  return summaries;
}

/** Prints the figures as a table. */
export function printFleet(summaries: readonly FleetSummary[]): void {
  console.log(
    `\nFleet: ${FLEET_RATE} req/s offered (1.5x the PTU's ${PTU_LIMIT}/s) for ${DURATION_MS / 1000} s; PTU + 2 pay-as-you-go (${PAYGO_LIMIT}/s each)`,
  );
  console.log(
    "members  sharing    requests  failed  429s(server)  PTU 429s  calls/success  probes  recoveries  remote  p50 ms  p95 ms",
  );
  for (const s of summaries) {
    console.log(
      `${String(s.members).padStart(7)}  ${s.mode.padEnd(9)}  ${String(s.requests).padStart(8)}  ${String(s.failed).padStart(6)}  ${String(s.serverSide429s).padStart(12)}  ${String(s.ptu429s).padStart(8)}  ${String(s.callsPerSuccess).padStart(13)}  ${String(s.probes).padStart(6)}  ${String(s.recoveries).padStart(10)}  ${String(s.remoteCooldowns).padStart(6)}  ${String(s.p50Ms).padStart(6)}  ${String(s.p95Ms).padStart(6)}`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printFleet(await measureFleet());
}
