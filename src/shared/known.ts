import type { SharedUpdate } from "../types/shared.ts";
import { monotonicNow } from "./clock.ts";
import { targetId } from "./target.ts";

type Cooldown = Extract<SharedUpdate, { type: "cooldown" }>;

/**
 * The cooldowns this process knows of (its own and those it heard), each with its deadline on the
 * monotonic clock, so that it can tell a late joiner how long each has left.
 */
export class KnownCooldowns {
  readonly #entries = new Map<string, { readonly update: Cooldown; readonly deadline: number }>();

  /** Records an update: a cooldown by the later deadline, a recovery by forgetting the target. */
  record(update: SharedUpdate): void {
    if (update.type === "owner") return;
    const id = targetId(update.backend, update.deployment);
    if (update.type === "recovered") {
      this.#entries.delete(id);
      return;
    }
    const deadline = monotonicNow() + update.remainingMs;
    const known = this.#entries.get(id);
    if (known === undefined || known.deadline < deadline) this.#entries.set(id, { update, deadline });
  }

  /** The cooldowns not yet over, with their remaining time as of now. */
  current(): Cooldown[] {
    const now = monotonicNow();
    const result: Cooldown[] = [];
    for (const [id, { update, deadline }] of this.#entries) {
      if (deadline <= now) this.#entries.delete(id);
      else result.push({ ...update, remainingMs: Math.ceil(deadline - now) });
    }
    return result;
  }
}

/** A cooldown, recovery or owner as far as its shape goes; the balancer validates the values. */
export function looksLikeUpdate(value: unknown): value is SharedUpdate {
  if (value === null || typeof value !== "object") return false;
  const { type, backend, deployment, remainingMs, id } = value as Record<string, unknown>;
  if (type === "owner") return typeof backend === "string" && typeof id === "string";
  if (typeof backend !== "string" || (deployment !== null && typeof deployment !== "string")) return false;
  if (type === "recovered") return true;
  return type === "cooldown" && typeof remainingMs === "number" && Number.isFinite(remainingMs);
}

/** The latest owners this process knows of (its own and those it heard), at most `limit`, oldest out. */
export class KnownOwners {
  readonly #owners = new Map<string, string>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Records an owner update (other kinds are ignored). */
  record(update: SharedUpdate): void {
    if (update.type !== "owner") return;
    this.#owners.delete(update.id);
    this.#owners.set(update.id, update.backend);
    if (this.#owners.size > this.#limit) this.#owners.delete(this.#owners.keys().next().value!);
  }

  /** The owners known, oldest first (a late joiner's map then ends with the most recent). */
  current(): SharedUpdate[] {
    return Array.from(this.#owners, ([id, backend]) => ({ type: "owner", id, backend }) as const);
  }
}
