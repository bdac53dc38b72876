import type { CapacitySummary } from "./capacity/suite.js";
import { printTable } from "./lib/table.js";
import type { BodyMemoryResult } from "./memory/bodies.js";
import type { MemoryResult } from "./memory/run.js";
import type { LoopbackResult } from "./overhead/loopback.js";
import type { StubOverheadResult } from "./overhead/stub.js";

const yesNo = (met: boolean): string => (met ? "met" : "MISSED");

/** Prints the stub overhead table. */
export function printStub(results: readonly StubOverheadResult[]): void {
  printTable(
    "1a. Overhead per request, in-process stub fetch (medians of alternating rounds)",
    ["backends", "listener", "attempt timeout", "direct ns", "balancer ns", "added ns", "ratio"],
    results.map((r) => [
      r.backends,
      r.listeners ? "yes" : "no",
      r.attemptTimeout ? "yes" : "no",
      r.directNsPerRequest,
      r.balancerNsPerRequest,
      r.addedNsPerRequest,
      r.timeRatio,
    ]),
  );
}

/** Prints the loopback throughput table: one row per side. */
export function printLoopback(result: LoopbackResult): void {
  printTable(
    `1b. Loopback HTTP throughput, ${result.concurrency} in flight (medians of ${result.rounds} rounds of ${result.requestsPerRound}, the order of the sides turning)`,
    ["side", "req/s", "÷ fetch (paired)", "CPU µs/req", "added CPU µs/req"],
    result.sides.map((side) => [
      side.name,
      side.requestsPerSecond,
      side.ratio,
      side.cpuUsPerRequest,
      side.addedCpuUsPerRequest,
    ]),
  );
  console.log(`lb.fetch ÷ fetch by round: ${Math.min(...result.roundRatios)}..${Math.max(...result.roundRatios)}`);
}

/** Prints one capacity line per scenario, setting and mode. */
export function printCapacity(summaries: readonly CapacitySummary[]): void {
  printTable(
    "2. Capacity use under overload, real OpenAI SDK (maxRetries 2), medians of repeated runs",
    [
      "scn",
      "headers",
      "mode",
      "success",
      "worst",
      "time eff",
      "cap use",
      "wasted/ok",
      "tier1 use",
      "p50 ms",
      "p99 ms",
      "wall ms",
      "ideal ms",
    ],
    summaries.map((s) => [
      s.scenario,
      s.setting === "retry-after" ? "A retry-after" : "B x-ratelimit-reset",
      s.mode === "direct" ? `direct→${s.directTo}` : "balancer",
      s.successRate,
      s.worstSuccessRate,
      s.timeEfficiency,
      s.capacityUse,
      s.wastedPerSuccess,
      s.tier1Use,
      s.p50Ms,
      s.p99Ms,
      s.wallMs,
      s.idealMs,
    ]),
  );
}

/** Prints the memory and timers table. */
export function printMemory(result: MemoryResult): void {
  printTable(
    `3. Memory and timers, ${result.requests.toLocaleString("en")} requests through the stub (child process)`,
    [
      "heap growth MiB",
      "before yield MiB",
      "req ns @50k",
      "req ns @1M",
      "ratio",
      "snapshot ns @50k",
      "snapshot ns @1M",
      "ratio",
      "abort listeners left",
      "exit after ms",
    ],
    [
      [
        result.heapGrowthMiB,
        result.heapGrowthBeforeYieldMiB,
        result.requestNsAt50k,
        result.requestNsAt1M,
        result.requestCostRatio,
        result.snapshotNsAt50k,
        result.snapshotNsAt1M,
        result.snapshotCostRatio,
        result.abortListenersLeft,
        result.exitedByItself ? result.exitAfterMs : "did not exit",
      ],
    ],
  );
}

/** Prints the peak memory of one large request body per path. */
export function printBodies(results: readonly BodyMemoryResult[]): void {
  printTable(
    "4. Peak memory of one large request body (child process, heap + external above the baseline)",
    ["path", "body MiB", "status", "peak MiB", "peak / body", "rss peak MiB", "rss peak / body"],
    results.map((r) => [r.scenario, r.bodyMiB, r.status, r.peakMiB, r.peakOverBody, r.rssPeakMiB, r.rssPeakOverBody]),
  );
}

/** The benchmark targets (docs/benchmarks.md), each met or missed, from the figures. */
export function targets(figures: {
  stub?: readonly StubOverheadResult[];
  loopback?: LoopbackResult;
  capacity?: readonly CapacitySummary[];
  memory?: MemoryResult;
  bodies?: readonly BodyMemoryResult[];
}): Record<string, string> {
  const out: Record<string, string> = {};
  const ten = figures.stub?.find((r) => r.backends === 10 && !r.listeners && !r.attemptTimeout);
  if (ten)
    out["stub overhead <= 2 us at 10 backends"] =
      `${yesNo(ten.addedNsPerRequest <= 2000)} (${ten.addedNsPerRequest} ns)`;
  if (figures.loopback)
    out["loopback throughput >= 0.98 of direct"] =
      `${yesNo(figures.loopback.throughputRatio >= 0.98)} (${figures.loopback.throughputRatio})`;
  for (const s of figures.capacity?.filter((summary) => summary.mode === "balancer") ?? []) {
    const key = `capacity ${s.scenario}/${s.setting}`;
    if (s.capacitySuffices)
      out[`${key}: every request succeeds (every run)`] =
        `${yesNo(s.worstSuccessRate === 1)} (worst ${s.worstSuccessRate})`;
    // A run that gives up early can look fast: the time target counts only when every request succeeded.
    const efficient = s.timeEfficiency >= 0.95 && s.worstSuccessRate === 1;
    out[`${key}: time efficiency >= 0.95 with all succeeding`] =
      `${yesNo(efficient)} (${s.timeEfficiency}, capacity use ${s.capacityUse})`;
    out[`${key}: tier 1 serves all it can`] = `${yesNo(s.tier1Use >= 1)} (${s.tier1Use})`;
  }
  if (figures.memory) {
    const m = figures.memory;
    out["memory: heap growth < 5 MB after 1M"] = `${yesNo(m.heapGrowthMiB * 1.048576 < 5)} (${m.heapGrowthMiB} MiB)`;
    out["memory: exits by itself, nothing left"] =
      `${yesNo(m.exitedByItself && m.abortListenersLeft === 0)} (${m.exitAfterMs} ms, ${m.abortListenersLeft} listeners)`;
    out["memory: per-request and snapshot cost flat (1M/50k <= 1.25)"] =
      `${yesNo(m.requestCostRatio <= 1.25 && m.snapshotCostRatio <= 1.25)} (${m.requestCostRatio}, ${m.snapshotCostRatio})`;
  }
  for (const body of figures.bodies?.filter((r) => r.scenario !== "plain") ?? []) {
    out[`memory: a ${body.bodyMiB} MB body (${body.scenario}) peaks at <= 3x its size`] =
      `${yesNo(body.peakOverBody <= 3)} (${body.peakOverBody}x)`;
  }
  return out;
}

/** Prints the targets. */
export function printTargets(met: Record<string, string>): void {
  printTable("Targets", ["target", "result"], Object.entries(met));
}
