import type { SharedState, SharedStateConnection, SharedStateContext, SharedUpdate } from "../../src/index.js";

interface Stored {
  readonly update: Extract<SharedUpdate, { type: "cooldown" }>;
  readonly expiresAt: number;
}

/**
 * An in-memory store shared by the balancers of one test, standing in for Redis or a BroadcastChannel:
 * updates go to every other connection of the namespace at once, current cooldowns are replayed to a
 * late joiner (as Redis TTLs are), and the probe lease is held for its ttl. `now` is the bus's clock.
 */
export class MemoryBus {
  readonly published: SharedUpdate[] = [];
  readonly claims: Array<{ backend: string; deployment: string | null; won: boolean }> = [];
  closed = 0;
  readonly #connections = new Set<SharedStateContext>();
  readonly #cooldowns = new Map<string, Stored>();
  readonly #leases = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** A `SharedState` for one balancer on this bus. */
  state(): SharedState {
    return { connect: (context) => this.#connect(context) };
  }

  /** Delivers a raw value to every connection, as a store holding poisoned data would. */
  inject(raw: unknown): void {
    for (const context of this.#connections) context.receive(raw);
  }

  #connect(context: SharedStateContext): SharedStateConnection {
    const now = this.#now();
    for (const [key, stored] of this.#cooldowns) {
      if (!key.startsWith(`${context.namespace}:`) || stored.expiresAt <= now) continue;
      context.receive({ ...stored.update, remainingMs: stored.expiresAt - now });
    }
    this.#connections.add(context);
    return {
      publish: (update) => {
        this.published.push(update);
        if (update.type === "owner") {
          for (const other of this.#connections) {
            if (other !== context && other.namespace === context.namespace) other.receive(update);
          }
          return;
        }
        const key = `${context.namespace}:${update.backend}:${update.deployment}`;
        if (update.type === "cooldown")
          this.#cooldowns.set(key, { update, expiresAt: this.#now() + update.remainingMs });
        else this.#cooldowns.delete(key);
        for (const other of this.#connections) {
          if (other !== context && other.namespace === context.namespace) other.receive(update);
        }
      },
      claimProbe: async (backend, deployment, ttlMs) => {
        const key = `${context.namespace}:${backend}:${deployment}`;
        const held = this.#leases.get(key);
        const won = held === undefined || held <= this.#now();
        if (won) this.#leases.set(key, this.#now() + ttlMs);
        this.claims.push({ backend, deployment, won });
        return won;
      },
      close: async () => {
        this.closed++;
        this.#connections.delete(context);
      },
    };
  }
}
