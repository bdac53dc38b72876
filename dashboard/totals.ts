import type { LoadBalancerEvent } from "../src/index.ts";

/** Counters over the events seen since the dashboard was mounted. */
export interface Totals {
  /** Distinct requests (calls of `lb.fetch`). */
  readonly requests: number;
  /** Attempts sent to backends. */
  readonly attempts: number;
  /** Responses handed to callers by status class, e.g. `{ "2xx": 40, "4xx": 1 }`. */
  readonly byClass: Readonly<Record<string, number>>;
  /** Synthetic 429s: `exhausted` events that did not wait. */
  readonly synthetic429: number;
}

/** Requests not finished yet are remembered to count each once; this bounds the memory for requests that never finish (aborted). */
const MAX_OPEN = 10_000;

/** Accumulates {@link Totals} from events; cheap enough to call for every event. */
export class TotalsCounter {
  #requests = 0;
  #attempts = 0;
  #synthetic = 0;
  #byClass: Record<string, number> = {};
  #open = new Set<number>();

  add(event: LoadBalancerEvent): void {
    if (!("requestId" in event) || event.requestId === undefined) return;
    const { requestId } = event;
    if (!this.#open.has(requestId)) {
      this.#requests++;
      this.#open.add(requestId);
      if (this.#open.size > MAX_OPEN) this.#open.delete(this.#open.values().next().value as number);
    }
    switch (event.type) {
      case "attempt":
        this.#attempts++;
        break;
      case "response": {
        const key = `${Math.floor(event.status / 100)}xx`;
        this.#byClass[key] = (this.#byClass[key] ?? 0) + 1;
        this.#open.delete(requestId);
        break;
      }
      case "exhausted":
        if (!event.waiting) {
          this.#synthetic++;
          this.#open.delete(requestId);
        }
        break;
    }
  }

  /** A copy, safe to hand to a render. */
  read(): Totals {
    return {
      requests: this.#requests,
      attempts: this.#attempts,
      byClass: { ...this.#byClass },
      synthetic429: this.#synthetic,
    };
  }
}

/** Attempts per request, `0` before any request. */
export function averageAttempts(totals: Totals): number {
  return totals.requests === 0 ? 0 : totals.attempts / totals.requests;
}
