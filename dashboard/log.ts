import type { LoadBalancerEvent } from "../src/index.js";
import { countdownLabel, reasonLabel } from "./format.js";

/** One line of the recent-events log. */
export interface LogEntry {
  /** Increasing; a stable key for rendering. */
  readonly id: number;
  readonly at: number;
  readonly type: string;
  readonly text: string;
}

/** How many entries the log shows. */
export const LOG_SIZE = 100;

/** Describes an event in one line; event types this version does not know still get a line. */
export function describe(event: LoadBalancerEvent): string {
  switch (event.type) {
    case "attempt":
      return `#${event.requestId} try ${event.attempt} → ${event.backend.name}`;
    case "response":
      return `#${event.requestId} ${event.status} from ${event.backend.name} in ${Math.round(event.latencyMs)} ms`;
    case "cooldown": {
      const status = event.status === undefined ? "" : ` (${event.status})`;
      const ejected = event.ejected ? `, ejected after ${event.consecutiveFailures} failures in a row` : "";
      return `#${event.requestId} ${event.backend.name} cooling ${countdownLabel(event.until, event.at)}: ${reasonLabel(event.reason)}${status}${ejected}`;
    }
    case "recovery":
      // After a failure a probe follows (its own event says how it went); after a 429 the backend is simply back.
      return `${event.backend.name} cooldown over after ${countdownLabel(event.at, event.at - event.downMs)}`;
    case "probe":
      return `#${event.requestId} probe of ${event.backend.name} ${event.success ? "succeeded: back in rotation" : "failed"}`;
    case "exhausted":
      return event.waiting
        ? `#${event.requestId} all cooling, waiting ${countdownLabel(event.at + event.retryAfterMs, event.at)}`
        : `#${event.requestId} all cooling: synthetic 429 (retry in ${countdownLabel(event.at + event.retryAfterMs, event.at)})`;
    default: {
      const unknown = event as { type: string; backend?: { name: string } };
      return unknown.backend === undefined ? unknown.type : `${unknown.type} ${unknown.backend.name}`;
    }
  }
}

/** The last {@link LOG_SIZE} events, oldest first; `recent()` gives them newest first. */
export class EventLog {
  #entries: LogEntry[] = [];
  #nextId = 1;

  add(event: LoadBalancerEvent): void {
    this.#entries.push({ id: this.#nextId++, at: event.at, type: event.type, text: describe(event) });
    // Trim in batches rather than shifting on every event.
    if (this.#entries.length >= LOG_SIZE * 2) this.#entries = this.#entries.slice(-LOG_SIZE);
  }

  /** Entries added so far, for "n new while paused". */
  get total(): number {
    return this.#nextId - 1;
  }

  /** Newest first, at most {@link LOG_SIZE}. */
  recent(): LogEntry[] {
    return this.#entries.slice(-LOG_SIZE).reverse();
  }
}
