import type { SharedUpdate } from "../types/shared.ts";
import { monotonicNow } from "./clock.ts";
import { targetId } from "./target.ts";

/** The queue key: one per target, or per id for owners (`#` never starts a `targetId`: it is escaped there). */
const keyOf = (update: SharedUpdate): string =>
  update.type === "owner" ? `#${update.id}` : targetId(update.backend, update.deployment);

interface Entry {
  readonly update: SharedUpdate;
  /** When a cooldown ends on the monotonic clock; `undefined` for `recovered` and `owner`. */
  readonly deadline: number | undefined;
}

/**
 * Updates waiting to be written while the store is unreachable or busy. One entry per backend and
 * deployment (the newest wins: a `recovered` replaces the cooldown before it), at most `limit` entries
 * (the oldest goes first), and a cooldown's remaining time counts down while it waits, so a late write
 * never stretches it.
 */
export class PendingUpdates {
  readonly #entries = new Map<string, Entry>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Queues `update`, replacing an older one for the same target; returns how many were dropped. */
  add(update: SharedUpdate): number {
    const id = keyOf(update);
    this.#entries.delete(id);
    const deadline = update.type === "cooldown" ? monotonicNow() + update.remainingMs : undefined;
    this.#entries.set(id, { update, deadline });
    let dropped = 0;
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#limit) break;
      this.#entries.delete(key);
      dropped++;
    }
    return dropped;
  }

  /** Takes the oldest update still worth sending, its remaining time as of now; `undefined` when none. */
  take(): SharedUpdate | undefined {
    for (const [id, { update, deadline }] of this.#entries) {
      this.#entries.delete(id);
      if (deadline === undefined) return update;
      const remainingMs = Math.ceil(deadline - monotonicNow());
      if (remainingMs > 0) return { ...update, remainingMs } as SharedUpdate;
    }
    return undefined;
  }

  /** Puts back an update whose write failed, unless a newer one for the same target arrived meanwhile. */
  restore(update: SharedUpdate): void {
    const id = keyOf(update);
    if (!this.#entries.has(id)) this.add(update);
  }
}
