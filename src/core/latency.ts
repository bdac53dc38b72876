/** The smallest bucket's upper bound, ms; each next bucket's is √2 times larger. */
const FIRST_BOUND_MS = 50;
/** Buckets: 50 ms × √2^i, the last one (about 145 s) open-ended. */
const BUCKETS = 24;
/** Past this many samples every count is halved: the sketch follows the backend as it changes. */
const DECAY_AT = 1024;

/**
 * A backend's time to response headers, in a fixed log-scale histogram (24 counters, √2 apart): cheap to
 * record (one `Math.log2`), cheap to query, bounded memory, and it forgets old samples by halving.
 */
export class LatencySketch {
  readonly #counts = new Float64Array(BUCKETS);
  #total = 0;
  #offered = 0;
  /** The last p99 and the samples since: the p99 is asked for by every attempt, and moves slowly. */
  #p99: number | undefined;
  #sinceP99 = 0;

  /** Samples counted (after decay). */
  get size(): number {
    return this.#total;
  }

  /**
   * Whether to time this answer: each of the first 32, then one in four (reading the clock is most of what a
   * sample costs, and the p99 of a backend does not need every answer).
   */
  wants(): boolean {
    return this.#total < 32 || (++this.#offered & 3) === 0;
  }

  /** {@link quantile}(0.99), worked out again every 32 samples. */
  p99(): number | undefined {
    if (this.#p99 === undefined || this.#sinceP99 >= 32) {
      this.#p99 = this.quantile(0.99);
      this.#sinceP99 = 0;
    }
    return this.#p99;
  }

  record(ms: number): void {
    this.#sinceP99++;
    const index = ms <= FIRST_BOUND_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(2 * Math.log2(ms / FIRST_BOUND_MS)));
    this.#counts[index]!++;
    if (++this.#total < DECAY_AT) return;
    this.#total = 0;
    for (let i = 0; i < BUCKETS; i++) {
      this.#counts[i] = this.#counts[i]! / 2;
      this.#total += this.#counts[i]!;
    }
  }

  /**
   * An upper bound of the `q` quantile (0 < q < 1): the bound of the bucket it falls in, at most √2
   * above the true value. `undefined` without samples.
   */
  quantile(q: number): number | undefined {
    if (this.#total === 0) return undefined;
    let above = this.#total * (1 - q);
    for (let i = BUCKETS - 1; i > 0; i--) {
      above -= this.#counts[i]!;
      if (above < 0) return FIRST_BOUND_MS * Math.SQRT2 ** i;
    }
    return FIRST_BOUND_MS;
  }
}
