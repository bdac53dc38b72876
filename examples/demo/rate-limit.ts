/**
 * A fixed window that opens with the first request after the previous one closed, like a
 * deployment's requests-per-minute quota: `take()` says whether the request fits or, if not, how
 * long until the window closes.
 */
export class FixedWindow {
  readonly #limit: number;
  readonly #windowMs: number;
  #start = -Infinity;
  #used = 0;

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** `0` when the request fits (and is counted), else the ms until the window closes. */
  take(now: number): number {
    if (now >= this.#start + this.#windowMs) {
      this.#start = now;
      this.#used = 0;
    }
    if (this.#used < this.#limit) {
      this.#used++;
      return 0;
    }
    return this.#start + this.#windowMs - now;
  }

  /** Requests left in the current window. */
  remaining(now: number): number {
    return now >= this.#start + this.#windowMs ? this.#limit : this.#limit - this.#used;
  }
}
