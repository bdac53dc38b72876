// The fleet benchmark (issue 11): 4 and 8 balancers, each in its own OS process (worker threads for
// BroadcastChannel), against shared simulated throttled backends (one PTU, two pay-as-you-go), offered an
// open-loop paced load at 1.5x the PTU's rate; no sharing vs Redis vs BroadcastChannel. In the middle of
// each run the PTU answers 500 to everything for OUTAGE_MS (the probes per recovery); the Redis kill run has
// no outage: it SIGKILLs redis-server a third into the run and restarts it on the same port at half time.
// Standalone: `npm run bench:fleet` (FLEET_QUICK=1: short runs).
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { SimulatedBackend, type SimulatedBackendOptions } from "../capacity/backend-server.js";
import { LATENCY_MS, WINDOW_MS } from "../capacity/scenarios.js";
import { quantile, round } from "../lib/stats.js";
import { seededRandom } from "../../test/support/random.js";
import type { MemberConfig, MemberResult } from "./member.js";

interface RedisServer {
  readonly url: string;
  readonly port: number;
  stop(signal?: string): Promise<void>;
}
type StartRedis = (options?: { port?: number }) => Promise<RedisServer>;
// scripts/ is plain JavaScript outside the compiled tree: bench/.dist/bench/fleet → the repository root.
const redisServerModule = new URL("../../../../scripts/redis-server.mjs", import.meta.url).href;
const memberScript = new URL("member.js", import.meta.url);

const PTU_LIMIT = 20;
const PAYGO_LIMIT = 10;
/** A run's length; the PTU fails every request (500) from `outageAtMs` for `outageMs`: failure cooldowns, then probes. */
interface Timing {
  readonly durationMs: number;
  readonly outageAtMs: number;
  readonly outageMs: number;
}
const timing = (quick: boolean): Timing =>
  quick
    ? { durationMs: 4000, outageAtMs: 1500, outageMs: 500 }
    : { durationMs: 15_000, outageAtMs: 6000, outageMs: 1000 };
/** 1.5x what the PTU admits per second: between the PTU's capacity and the backends' total (40/s). */
const FLEET_RATE = (1.5 * PTU_LIMIT * 1000) / WINDOW_MS;

/** How the members share state; `redis-kill` is Redis with the server killed and restarted mid-run. */
export type FleetMode = MemberConfig["mode"] | "redis-kill";

/** One run's figures. */
export interface FleetSummary extends Timing {
  readonly mode: FleetMode;
  readonly members: number;
  readonly requests: number;
  readonly failed: number;
  readonly serverSide429s: number;
  readonly ptu429s: number;
  /** The PTU's 500s: the requests that ran into the outage, the failed probes included. */
  readonly ptu500s: number;
  readonly callsPerSuccess: number;
  /** Probe requests the whole fleet sent to the PTU after its failure cooldowns, and how many came back healthy. */
  readonly probes: number;
  readonly successfulProbes: number;
  readonly remoteCooldowns: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  /** p95 of the successful requests started while redis-server was down (the kill run only). */
  readonly storeDownP95Ms: number | undefined;
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

const sleepUntil = (epochMs: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, epochMs - Date.now())));

async function runFleet(
  mode: FleetMode,
  members: number,
  redis: { current: RedisServer; start: StartRedis },
  { durationMs: DURATION_MS, outageAtMs: OUTAGE_AT_MS, outageMs: OUTAGE_MS }: Timing,
): Promise<FleetSummary> {
  const random = seededRandom(members * 7 + mode.length);
  const specs = [
    { name: "ptu", priority: 1, limit: PTU_LIMIT },
    { name: "paygo-1", priority: 2, limit: PAYGO_LIMIT },
    { name: "paygo-2", priority: 2, limit: PAYGO_LIMIT },
  ];
  let outage = false;
  const servers = specs.map(({ name, limit }) => {
    const options: SimulatedBackendOptions = {
      limit,
      windowMs: WINDOW_MS,
      latencyMs: LATENCY_MS,
      // Read on every request: the PTU's outage window.
      get failureRate() {
        return outage && name === "ptu" ? 1 : 0;
      },
      retryHeaders: "retry-after",
      random,
    };
    return new SimulatedBackend(options);
  });
  const urls = await Promise.all(servers.map((server) => server.listen()));
  const startAt = Date.now() + 1500;
  for (const server of servers) server.reset(startAt);
  const config = (): MemberConfig => ({
    mode: mode === "redis-kill" ? "redis" : mode,
    backends: specs.map(({ name, priority }, i) => ({ name, priority, url: urls[i]! })),
    redisUrl: redis.current.url,
    namespace: `fleet-${mode}-${members}-${startAt}`,
    rate: FLEET_RATE / members,
    durationMs: DURATION_MS,
    startAt,
    storeDown: mode === "redis-kill" ? [startAt + DURATION_MS / 3, startAt + DURATION_MS / 2] : undefined,
  });
  const schedule = (async () => {
    if (mode === "redis-kill") {
      await sleepUntil(startAt + DURATION_MS / 3);
      await redis.current.stop("SIGKILL");
      await sleepUntil(startAt + DURATION_MS / 2);
      redis.current = await redis.start({ port: redis.current.port });
      return;
    }
    await sleepUntil(startAt + OUTAGE_AT_MS);
    outage = true;
    await sleepUntil(startAt + OUTAGE_AT_MS + OUTAGE_MS);
    outage = false;
  })();
  try {
    const results = await Promise.all(
      Array.from({ length: members }, () => (mode === "broadcast" ? runInThread(config()) : runInProcess(config()))),
    );
    await schedule;
    const sum = (pick: (result: MemberResult) => number): number =>
      results.reduce((total, result) => total + pick(result), 0);
    const latencies = results.flatMap((result) => result.latenciesMs);
    const successes = sum((result) => result.successes);
    return {
      durationMs: DURATION_MS,
      outageAtMs: OUTAGE_AT_MS,
      outageMs: OUTAGE_MS,
      mode,
      members,
      requests: sum((result) => result.requests),
      failed: sum((result) => result.failures),
      serverSide429s: servers.reduce((total, server) => total + server.counts.throttled, 0),
      ptu429s: servers[0]!.counts.throttled,
      ptu500s: servers[0]!.counts.errors,
      callsPerSuccess: round(sum((result) => result.attempts) / Math.max(1, successes)),
      probes: sum((result) => result.probes),
      successfulProbes: sum((result) => result.successfulProbes),
      remoteCooldowns: sum((result) => result.remoteCooldowns),
      p50Ms: round(quantile(latencies, 0.5), 1),
      p95Ms: round(quantile(latencies, 0.95), 1),
      storeDownP95Ms:
        mode === "redis-kill"
          ? round(
              quantile(
                results.flatMap((result) => result.storeDownLatenciesMs),
                0.95,
              ),
              1,
            )
          : undefined,
    };
  } finally {
    await Promise.all(servers.map((server) => server.close()));
  }
}

/** Every configuration: 4 and 8 members, no sharing vs Redis vs BroadcastChannel (worker threads); a Redis kill run. */
export async function measureFleet(quick = process.env.FLEET_QUICK === "1"): Promise<FleetSummary[]> {
  const times = timing(quick);
  const { startRedis } = (await import(redisServerModule)) as { startRedis: StartRedis };
  const redis = { current: await startRedis(), start: startRedis };
  const summaries: FleetSummary[] = [];
  try {
    for (const members of [4, 8]) {
      for (const mode of ["none", "redis", "broadcast"] as const) {
        summaries.push(await runFleet(mode, members, redis, times));
      }
    }
    summaries.push(await runFleet("redis-kill", 8, redis, times));
  } finally {
    await redis.current.stop();
  }
  return summaries;
}

/** Prints the figures as a table. */
export function printFleet(summaries: readonly FleetSummary[]): void {
  const { durationMs: DURATION_MS, outageAtMs: OUTAGE_AT_MS, outageMs: OUTAGE_MS } = summaries[0] ?? timing(false);
  console.log(
    `\nFleet: ${FLEET_RATE} req/s offered (1.5x the PTU's ${PTU_LIMIT}/s) for ${DURATION_MS / 1000} s; PTU + 2 pay-as-you-go (${PAYGO_LIMIT}/s each); PTU answers 500 for ${OUTAGE_MS} ms at ${OUTAGE_AT_MS / 1000} s (not in redis-kill); redis-kill: SIGKILL at ${round(DURATION_MS / 3000, 1)} s, restart at ${DURATION_MS / 2000} s`,
  );
  const columns: [string, (s: FleetSummary) => string | number][] = [
    ["members", (s) => s.members],
    ["sharing   ", (s) => s.mode],
    ["requests", (s) => s.requests],
    ["failed", (s) => s.failed],
    ["429s(server)", (s) => s.serverSide429s],
    ["PTU 429s", (s) => s.ptu429s],
    ["PTU 500s", (s) => s.ptu500s],
    ["calls/success", (s) => s.callsPerSuccess],
    ["probes", (s) => s.probes],
    ["probes ok", (s) => s.successfulProbes],
    ["remote", (s) => s.remoteCooldowns],
    ["p50 ms", (s) => s.p50Ms],
    ["p95 ms", (s) => s.p95Ms],
    ["p95 store down", (s) => s.storeDownP95Ms ?? "-"],
  ];
  console.log(columns.map(([title]) => title).join("  "));
  for (const s of summaries) {
    console.log(
      columns
        .map(([title, pick], i) =>
          i === 1 ? String(pick(s)).padEnd(title.length) : String(pick(s)).padStart(title.length),
        )
        .join("  "),
    );
  }
}

/** The issue's targets for the fleet, "met" or "MISSED" with the figures (as bench/report.ts words them). */
export function fleetTargets(summaries: readonly FleetSummary[]): Record<string, string> {
  const verdict = (met: boolean): string => (met ? "met" : "MISSED");
  const find = (mode: FleetMode, members: number) => summaries.find((s) => s.mode === mode && s.members === members);
  const out: Record<string, string> = {};
  const none8 = find("none", 8);
  for (const mode of ["redis", "broadcast"] as const) {
    const shared = find(mode, 8);
    if (none8 === undefined || shared === undefined) continue;
    const fewer = round(1 - shared.serverSide429s / Math.max(1, none8.serverSide429s), 2);
    out[`fleet ${mode}: >= 70% fewer server-side 429s with 8 processes`] =
      `${verdict(fewer >= 0.7)} (${none8.serverSide429s} → ${shared.serverSide429s}, ${Math.round(fewer * 100)}% fewer)`;
    const probes = summaries.filter((s) => s.mode === mode);
    out[`fleet ${mode}: one successful probe per recovery for the fleet`] =
      `${verdict(probes.every((s) => s.successfulProbes === 1))} (${probes.map((s) => `${s.members}: ${s.probes} probes, ${s.successfulProbes} ok`).join("; ")})`;
    const p50 = (s: FleetSummary | undefined) => s?.p50Ms ?? Number.NaN;
    const worst = Math.max(...[4, 8].map((members) => p50(find(mode, members)) / p50(find("none", members))));
    out[`fleet ${mode}: no added latency on successes (p50 within 10% of no sharing)`] =
      `${verdict(worst <= 1.1)} (worst p50 ratio ${round(worst, 3)})`;
  }
  const kill = find("redis-kill", 8);
  if (kill !== undefined)
    out["fleet: 0 failed requests in the Redis kill run"] = `${verdict(kill.failed === 0)} (${kill.failed})`;
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const summaries = await measureFleet();
  printFleet(summaries);
  console.log("");
  for (const [target, result] of Object.entries(fleetTargets(summaries)))
    console.log(`${result.startsWith("met") ? "✓" : "✗"} ${target}: ${result}`);
}
