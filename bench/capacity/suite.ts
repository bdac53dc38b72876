import type { RetryHeaders } from "./backend-server.js";
import { median, round } from "../lib/stats.js";
import { runCapacity, type CapacityRun, type Mode } from "./run.js";
import { LATENCY_MS, SCENARIOS, WINDOW_MS } from "./scenarios.js";

/** Medians over the repeated runs of one scenario, setting and mode; every run is kept too. */
export interface CapacitySummary {
  readonly scenario: string;
  readonly title: string;
  readonly setting: RetryHeaders;
  readonly mode: Mode;
  /** Where the standard approach sends everything; `null` for the balancer. */
  readonly directTo: string | null;
  readonly requests: number;
  readonly capacitySuffices: boolean;
  readonly repeats: number;
  /** Successes / requests: the median and the worst run. */
  readonly successRate: number;
  readonly worstSuccessRate: number;
  readonly timeEfficiency: number;
  readonly capacityUse: number;
  readonly wastedPerSuccess: number;
  /** Tier-1 successes / the most tier 1 could serve. */
  readonly tier1Use: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly wallMs: number;
  readonly idealMs: number;
  readonly runs: readonly CapacityRun[];
}

const SETTINGS: readonly RetryHeaders[] = ["retry-after", "x-ratelimit-reset"];
const MODES: readonly Mode[] = ["direct", "balancer"];

/** Every scenario in both settings, the standard approach then the balancer, `repeats` runs each. */
export async function measureCapacity(
  repeats: number,
  onResult?: (summary: CapacitySummary) => void,
): Promise<{ windowMs: number; latencyMs: readonly number[]; summaries: CapacitySummary[] }> {
  const summaries: CapacitySummary[] = [];
  let seed = 1;
  for (const scenario of SCENARIOS) {
    for (const setting of SETTINGS) {
      for (const mode of MODES) {
        const runs: CapacityRun[] = [];
        for (let repeat = 0; repeat < repeats; repeat++) runs.push(await runCapacity(scenario, setting, mode, seed++));
        const of = (pick: (run: CapacityRun) => number): number => median(runs.map(pick));
        const summary: CapacitySummary = {
          scenario: scenario.id,
          title: scenario.title,
          setting,
          mode,
          directTo: mode === "direct" ? scenario.directTo : null,
          requests: scenario.requests,
          capacitySuffices: runs.every((run) => run.capacitySuffices),
          repeats,
          successRate: round(of((run) => run.successes / run.requests)),
          worstSuccessRate: round(Math.min(...runs.map((run) => run.successes / run.requests))),
          timeEfficiency: round(of((run) => run.timeEfficiency)),
          capacityUse: round(of((run) => run.capacityUse)),
          wastedPerSuccess: round(
            of((run) => run.wastedPerSuccess),
            2,
          ),
          tier1Use: round(of((run) => (run.tier1Max === 0 ? 1 : run.tier1Served / run.tier1Max))),
          p50Ms: round(
            of((run) => run.p50Ms),
            0,
          ),
          p99Ms: round(
            of((run) => run.p99Ms),
            0,
          ),
          wallMs: round(
            of((run) => run.wallMs),
            0,
          ),
          idealMs: round(
            of((run) => run.idealMs),
            0,
          ),
          runs: runs.map((run) => ({
            ...run,
            wallMs: round(run.wallMs, 1),
            timeEfficiency: round(run.timeEfficiency),
            capacityUse: round(run.capacityUse),
            wastedPerSuccess: round(run.wastedPerSuccess, 2),
            p50Ms: round(run.p50Ms, 1),
            p99Ms: round(run.p99Ms, 1),
          })),
        };
        summaries.push(summary);
        onResult?.(summary);
      }
    }
  }
  return { windowMs: WINDOW_MS, latencyMs: LATENCY_MS, summaries };
}
