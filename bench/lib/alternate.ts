import { median } from "./stats.js";

/** What {@link alternate} measured: per-round values of each side, and their medians. */
export interface Alternation {
  readonly baseline: readonly number[];
  readonly candidate: readonly number[];
  readonly baselineMedian: number;
  readonly candidateMedian: number;
  /** Median over rounds of `candidate - baseline`, pairing each round's two runs. */
  readonly differenceMedian: number;
  /** Median over rounds of `candidate / baseline`. */
  readonly ratioMedian: number;
}

/**
 * Runs `baseline` and `candidate` in turn, `rounds` times (which goes first swaps every round,
 * so a slow phase of a shared machine does not always hit the same side), and pairs the results.
 */
export async function alternate(
  rounds: number,
  baseline: () => Promise<number>,
  candidate: () => Promise<number>,
): Promise<Alternation> {
  const base: number[] = [];
  const cand: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      base.push(await baseline());
      cand.push(await candidate());
    } else {
      cand.push(await candidate());
      base.push(await baseline());
    }
  }
  return {
    baseline: base,
    candidate: cand,
    baselineMedian: median(base),
    candidateMedian: median(cand),
    differenceMedian: median(cand.map((value, index) => value - base[index]!)),
    ratioMedian: median(cand.map((value, index) => value / base[index]!)),
  };
}
