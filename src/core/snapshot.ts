import type { DeploymentSnapshot, Snapshot } from "../types/balancer.ts";
import type { Backend } from "./backend.ts";
import { type Breaker, isCooldown } from "./breaker.ts";

/** What a breaker shows: its state, deadline, reason and failures in a row. */
function stateOf(breaker: Breaker) {
  const { state } = breaker;
  return {
    state: breaker.view(),
    until: isCooldown(state) ? state.until : null,
    reason: breaker.reason,
    consecutiveFailures: breaker.consecutiveFailures,
    pacing: null,
  };
}

/**
 * Every backend's state at `now`, in configuration order; plain data, safe to keep or serialise.
 * A read: it changes nothing and emits nothing (a deadline that has just passed shows until the timer, or
 * the next selection, ends the cooldown).
 */
export function takeSnapshot(backends: readonly Backend[], now: number): Snapshot {
  return {
    at: now,
    backends: backends.map((backend) => {
      const deployments: DeploymentSnapshot[] = [];
      for (const [name, breaker] of backend.deployments) deployments.push({ name, ...stateOf(breaker) });
      return {
        ...backend.info,
        kind: backend.config.adapter?.kind ?? null,
        ...stateOf(backend.whole),
        ...backend.stats,
        deployments,
      };
    }),
    queue: { waiting: 0, oldestWaitMs: 0, maxWaitedMs: 0 },
  };
}
