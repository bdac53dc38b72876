import { startChild } from "../lib/child.js";
import { round } from "../lib/stats.js";

/** Peak memory of one large request body, per path, as a multiple of the body's size. */
export interface BodyMemoryResult {
  readonly scenario: "plain" | "failover" | "rewrite" | "failover-text";
  readonly bodyMiB: number;
  readonly status: number;
  readonly peakMiB: number;
  /** Peak heap + external memory above the baseline over the body's size: 1 is the body itself. */
  readonly peakOverBody: number;
  /** The same for the resident set size: freed memory not yet returned to the system counts here. */
  readonly rssPeakMiB: number;
  readonly rssPeakOverBody: number;
}

/** Runs memory/bodies-worker.js once per scenario, each in a fresh child with --expose-gc. */
export async function measureBodies(): Promise<BodyMemoryResult[]> {
  const results: BodyMemoryResult[] = [];
  for (const scenario of ["plain", "failover", "rewrite", "failover-text"] as const) {
    // startChild passes no arguments: the child reads its scenario from the environment it inherits.
    process.env.BENCH_BODY_SCENARIO = scenario;
    const { child, firstLine } = await startChild(
      new URL("./bodies-worker.js", import.meta.url),
      ["--expose-gc", "--max-old-space-size=2048"],
      120_000,
    );
    child.stdin?.end();
    const line = JSON.parse(firstLine) as {
      status: number;
      bodyBytes: number;
      peakAboveBaselineBytes: number;
      rssPeakAboveBaselineBytes: number;
    };
    results.push({
      scenario,
      bodyMiB: round(line.bodyBytes / 2 ** 20, 0),
      status: line.status,
      peakMiB: round(line.peakAboveBaselineBytes / 2 ** 20, 1),
      peakOverBody: round(line.peakAboveBaselineBytes / line.bodyBytes, 2),
      rssPeakMiB: round(line.rssPeakAboveBaselineBytes / 2 ** 20, 1),
      rssPeakOverBody: round(line.rssPeakAboveBaselineBytes / line.bodyBytes, 2),
    });
  }
  return results;
}
