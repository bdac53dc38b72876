import type { LoadBalancerEvent } from "../src/index.ts";
import { basisLabel, countdownLabel, reasonLabel } from "./format.ts";

/** One line of the recent-events log. */
export interface LogEntry {
  /** Increasing; a stable key for rendering. */
  readonly id: number;
  readonly at: number;
  readonly type: string;
  /** The line; without its request id when it stands for several events. */
  readonly text: string;
  /** How many events in a row this line stands for: repeats are grouped ("× 20"). */
  readonly count: number;
}

/** Each of these traces one request, so its lines stay apart; repeats of the others are grouped. */
const UNGROUPED = new Set(["attempt", "response"]);

/** Lines that differ only in their request id are repeats. */
const withoutRequestId = (text: string): string => text.replace(/^#\d+ /, "");

/** How many entries the log shows. */
export const LOG_SIZE = 100;

/** Describes an event in one line; event types this version does not know still get a line. */
export function describe(event: LoadBalancerEvent): string {
  switch (event.type) {
    case "attempt":
      return `#${event.requestId} try ${event.attempt} → ${event.backend.name}`;
    case "outcome": {
      const how =
        event.result === "response"
          ? `answered ${event.status}`
          : event.result === "aborted"
            ? "aborted"
            : `failed: ${reasonLabel(event.reason)}`;
      return `#${event.requestId} ${event.backend.name} ${how} in ${Math.round(event.durationMs)} ms`;
    }
    case "stream": {
      const cause =
        event.cause === undefined
          ? ""
          : ` (${event.cause.replace(/-/g, " ")}${event.code === undefined ? "" : `: ${event.code}`})`;
      return `#${event.requestId} stream from ${event.backend.name}: ${event.kind.replace(/-/g, " ")}${cause} after ${Math.round(event.afterMs)} ms`;
    }
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
    // The type column says `queued`, `dequeued` or `paced`: the text says why, how long, how many.
    case "queued":
      return `#${event.requestId} waits: all ${event.reason}`;
    case "dequeued":
      return `#${event.requestId} ${event.result.replace("-", " ")} after ${countdownLabel(event.at, event.at - event.waitedMs)}`;
    case "paced":
      return `${event.backend.name}${event.deployment === null ? "" : ` (${event.deployment})`}: ${event.allowed === null ? "no limit" : `at most ${event.allowed} in flight, ${basisLabel(event.basis)}`}`;
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
  #total = 0;

  add(event: LoadBalancerEvent): void {
    this.#total++;
    const text = describe(event);
    const last = this.#entries.at(-1);
    const repeat =
      last !== undefined &&
      !UNGROUPED.has(event.type) &&
      last.type === event.type &&
      withoutRequestId(last.text) === withoutRequestId(text);
    if (repeat) {
      // A new object: a paused view keeps the entry as it was.
      this.#entries[this.#entries.length - 1] = {
        ...last,
        at: event.at,
        text: withoutRequestId(text),
        count: last.count + 1,
      };
      return;
    }
    this.#entries.push({ id: this.#nextId++, at: event.at, type: event.type, text, count: 1 });
    // Trim in batches rather than shifting on every event.
    if (this.#entries.length >= LOG_SIZE * 2) this.#entries = this.#entries.slice(-LOG_SIZE);
  }

  /** Events added so far (repeats included), for "n new while paused". */
  get total(): number {
    return this.#total;
  }

  /** Newest first, at most {@link LOG_SIZE}. */
  recent(): LogEntry[] {
    return this.#entries.slice(-LOG_SIZE).reverse();
  }
}
