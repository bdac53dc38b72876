import { printTable } from "../lib/table.js";
import { median, round } from "../lib/stats.js";
import { allWithinSdkTimeout, runOverload, type OverloadRun } from "./run.js";
import { LATENCY_MS, overloadScenarios, SDK_DEFAULT_TIMEOUT_MS, WINDOW_MS, type OverloadTargets } from "./scenarios.js";

/** Medians over the repeated runs of one scenario; every run is kept too. */
export interface OverloadSummary {
  readonly scenario: string;
  readonly title: string;
  readonly requests: number;
  readonly concurrency: number;
  readonly repeats: number;
  readonly targets: OverloadTargets;
  /** Successes / requests: the median and the worst run. */
  readonly successRate: number;
  readonly worstSuccessRate: number;
  readonly successes: number;
  readonly callsPerSuccess: number;
  readonly sdkAttemptsPerRequest: number;
  readonly timeEfficiency: number;
  readonly tier1Share: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The longest queue wait of any run; `null`: no run reported one (no queue in this core). */
  readonly maxWaitMs: number | null;
  readonly wallMs: number;
  readonly idealMs: number;
  /** Every run completed within the SDK's default timeout with every request successful. */
  readonly allWithinSdkTimeout: boolean;
  /** Flapping: the latest (worst) time from the primary's recovery to its first admission; `null`: not back in some run. */
  readonly primaryBackAfterMs: number | null | undefined;
  readonly runs: readonly OverloadRun[];
}

/** The overload section's results, for bench/results/latest.json. */
export interface OverloadResult {
  readonly windowMs: number;
  readonly latencyMs: readonly number[];
  readonly hungDeadlineMs: number;
  readonly sdkTimeoutMs: number;
  readonly summaries: OverloadSummary[];
}

/**
 * Every overload scenario of issue 12, `repeats` runs each (BENCH_OVERLOAD_REPEATS, default 1: the section
 * takes about 3.5 min once). `only` (BENCH_OVERLOAD_SCENARIOS, e.g. `1,2`) picks scenarios by their number.
 */
export async function measureOverload(options: {
  quick: boolean;
  repeats: number;
  hungDeadlineMs: number;
  only?: readonly string[];
}): Promise<OverloadResult> {
  const summaries: OverloadSummary[] = [];
  let seed = 101;
  for (const scenario of overloadScenarios(options.quick, options.hungDeadlineMs)) {
    if (options.only && !options.only.some((id) => scenario.id.startsWith(`${id}-`) || scenario.id === id)) continue;
    const runs: OverloadRun[] = [];
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      const run = await runOverload(scenario, seed++);
      runs.push(run);
      console.error(
        `  overload ${scenario.id} run ${repeat + 1}: ${run.successes}/${run.requests} in ${round(run.wallMs / 1000, 1)} s`,
      );
    }
    const of = (pick: (run: OverloadRun) => number): number => median(runs.map(pick));
    const waits = runs.map((run) => run.maxWaitMs).filter((wait): wait is number => wait !== null);
    const flapping = scenario.targets.primaryBackWithinMs !== undefined;
    const backs = runs.map((run) => run.primaryBackAfterMs);
    summaries.push({
      scenario: scenario.id,
      title: scenario.title,
      requests: round(
        of((run) => run.requests),
        0,
      ),
      concurrency: scenario.concurrency,
      repeats: options.repeats,
      targets: scenario.targets,
      successRate: round(of((run) => run.successes / run.requests)),
      worstSuccessRate: round(Math.min(...runs.map((run) => run.successes / run.requests))),
      successes: round(
        of((run) => run.successes),
        0,
      ),
      callsPerSuccess: round(
        of((run) => run.callsPerSuccess),
        2,
      ),
      sdkAttemptsPerRequest: round(of((run) => run.sdkAttempts / run.requests)),
      timeEfficiency: round(of((run) => run.timeEfficiency)),
      tier1Share: round(of((run) => run.tier1Share)),
      p50Ms: round(
        of((run) => run.p50Ms),
        0,
      ),
      p99Ms: round(
        of((run) => run.p99Ms),
        0,
      ),
      maxWaitMs: waits.length === 0 ? null : round(Math.max(...waits), 0),
      wallMs: round(
        of((run) => run.wallMs),
        0,
      ),
      idealMs: round(
        of((run) => run.idealMs),
        0,
      ),
      allWithinSdkTimeout: runs.every(allWithinSdkTimeout),
      primaryBackAfterMs: !flapping
        ? undefined
        : backs.some((back) => back === null)
          ? null
          : Math.max(...(backs as number[])),
      runs: runs.map((run) => ({
        ...run,
        wallMs: round(run.wallMs, 1),
        idealMs: round(run.idealMs, 1),
        timeEfficiency: round(run.timeEfficiency),
        callsPerSuccess: round(run.callsPerSuccess, 2),
        tier1Share: round(run.tier1Share),
        p50Ms: round(run.p50Ms, 1),
        p99Ms: round(run.p99Ms, 1),
        maxMs: round(run.maxMs, 1),
        maxWaitMs: run.maxWaitMs === null ? null : round(run.maxWaitMs, 1),
      })),
    });
  }
  return {
    windowMs: WINDOW_MS,
    latencyMs: LATENCY_MS,
    hungDeadlineMs: options.hungDeadlineMs,
    sdkTimeoutMs: SDK_DEFAULT_TIMEOUT_MS,
    summaries,
  };
}

function failuresOf(summary: OverloadSummary): string {
  const totals: Record<string, number> = {};
  for (const run of summary.runs)
    for (const [name, count] of Object.entries(run.failures)) totals[name] = (totals[name] ?? 0) + count;
  return Object.entries(totals)
    .map(([name, count]) => `${count}× ${name}`)
    .join(", ");
}

function noteOf(summary: OverloadSummary): string {
  const notes: string[] = [];
  if (summary.primaryBackAfterMs !== undefined)
    notes.push(
      summary.primaryBackAfterMs === null
        ? "primary never served again"
        : `primary back ${round(summary.primaryBackAfterMs / 1000, 1)} s after recovery`,
    );
  if (summary.runs.some((run) => run.cutOff)) notes.push("cut off by the deadline");
  const failures = failuresOf(summary);
  if (failures) notes.push(`failed: ${failures}`);
  return notes.join("; ");
}

/** Prints one line per scenario. */
export function printOverload(result: OverloadResult): void {
  const repeats = result.summaries[0]?.repeats ?? 0;
  printTable(
    `2b. Overload (issue 12): AzureOpenAI client at its defaults (maxRetries 2, timeout 10 min) → balancer with default options → simulated Azure deployments on loopback (PTU 10 + 2 × PAYG 5 per ${result.windowMs / 1000} s), ${repeats === 1 ? "one run" : `medians of ${repeats} runs`}`,
    [
      "scenario",
      "success",
      "calls/ok",
      "sdk att/req",
      "time eff",
      "tier1 share",
      "p50 ms",
      "p99 ms",
      "max wait ms",
      "wall s",
      "ideal s",
      "note",
    ],
    result.summaries.map((s) => [
      s.scenario,
      `${s.successes}/${s.requests}`,
      Number.isFinite(s.callsPerSuccess) ? s.callsPerSuccess : "-",
      s.sdkAttemptsPerRequest,
      s.timeEfficiency,
      s.tier1Share,
      Number.isNaN(s.p50Ms) ? "-" : s.p50Ms,
      Number.isNaN(s.p99Ms) ? "-" : s.p99Ms,
      s.maxWaitMs === null ? "n/a" : s.maxWaitMs,
      round(s.wallMs / 1000, 1),
      round(s.idealMs / 1000, 1),
      noteOf(s),
    ]),
  );
  for (const s of result.summaries) console.log(`  ${s.scenario}: ${s.title}`);
}

const yesNo = (met: boolean): string => (met ? "met" : "MISSED");

/** The issue's targets for each scenario, met or missed. */
export function overloadTargets(result: OverloadResult): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of result.summaries) {
    const key = `overload ${s.scenario}`;
    const all = s.worstSuccessRate === 1;
    out[`${key}: 100% success (every run)`] =
      `${yesNo(all)} (worst ${s.worstSuccessRate}, ${s.successes}/${s.requests}${s.runs.some((run) => run.cutOff) ? ", cut off by the deadline" : ""})`;
    const { callsPerSuccess, timeEfficiency, withinSdkTimeout, primaryBackWithinMs } = s.targets;
    if (callsPerSuccess !== undefined)
      out[`${key}: calls per success <= ${callsPerSuccess}`] =
        `${yesNo(s.callsPerSuccess <= callsPerSuccess)} (${s.callsPerSuccess})`;
    if (timeEfficiency !== undefined)
      out[`${key}: time efficiency >= ${timeEfficiency} with all succeeding`] =
        `${yesNo(all && s.timeEfficiency >= timeEfficiency)} (${s.timeEfficiency})`;
    if (withinSdkTimeout) {
      // A cut-off before the SDK's own timeout cannot show a miss: the requests it ended might still have been served in time.
      const cutOff = s.runs.some((run) => run.cutOff);
      const slowest = Math.max(...s.runs.map((run) => run.maxMs));
      const verdict =
        s.allWithinSdkTimeout && s.tier1Share === 0
          ? "met"
          : cutOff && result.hungDeadlineMs < result.sdkTimeoutMs
            ? `not shown: cut off at ${result.hungDeadlineMs / 1000} s, before the SDK's timeout (BENCH_HUNG_DEADLINE_S=${(result.sdkTimeoutMs + 60_000) / 1000} waits it out)`
            : "MISSED";
      out[`${key}: all served by tier 2 within the SDK's timeout (${result.sdkTimeoutMs / 1000} s)`] =
        `${verdict} (${s.successes}/${s.requests}${Number.isFinite(slowest) ? `, slowest ${round(slowest / 1000, 1)} s` : ""})`;
    }
    if (primaryBackWithinMs !== undefined)
      out[`${key}: primary serves again within ${primaryBackWithinMs / 1000} s of its recovery`] =
        `${yesNo(s.primaryBackAfterMs !== null && s.primaryBackAfterMs !== undefined && s.primaryBackAfterMs <= primaryBackWithinMs)} (${s.primaryBackAfterMs === null ? "never" : `${s.primaryBackAfterMs} ms`})`;
  }
  return out;
}
