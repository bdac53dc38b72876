import type { DeploymentSnapshot, Snapshot } from "../types/balancer.ts";
import type { Backend } from "./backend.ts";
import type { WaitQueue } from "./queue.ts";
import { type Breaker, isCooldown } from "./breaker.ts";
import type { Pacer } from "./pacer.ts";

/** What a breaker shows: its state, deadline, reason and failures in a row. */
function stateOf(breaker: Breaker | undefined, pacer: Pacer | undefined, now: number) {
  const pacing = pacer === undefined ? null : pacer.view(now);
  if (breaker === undefined)
    return { state: "available" as const, until: null, reason: null, consecutiveFailures: 0, pacing };
  const { state } = breaker;
  return {
    state: breaker.view(),
    until: isCooldown(state) ? state.until : null,
    reason: breaker.reason,
    consecutiveFailures: breaker.consecutiveFailures,
    pacing,
  };
}

/**
 * Every backend's state at `now`, in configuration order; plain data, safe to keep or serialise.
 * A read: it changes nothing and emits nothing (a deadline that has just passed shows until the timer, or
 * the next selection, ends the cooldown).
 */
export function takeSnapshot(backends: readonly Backend[], queue: WaitQueue, now: number): Snapshot {
  return {
    at: now,
    backends: backends.map((backend) => {
      const deployments: DeploymentSnapshot[] = [];
      const { pacers } = backend;
      for (const [name, breaker] of backend.deployments)
        deployments.push({ name, ...stateOf(breaker, pacers.get(name), now) });
      // A deployment paced before it ever cooled shows too, in rotation.
      for (const [name, pacer] of pacers)
        if (name !== undefined && !backend.deployments.has(name))
          deployments.push({ name, ...stateOf(undefined, pacer, now) });
      return {
        ...backend.info,
        kind: backend.config.adapter?.kind ?? null,
        ...stateOf(backend.whole, pacers.get(undefined), now),
        ...backend.stats,
        deployments,
      };
    }),
    queue: queue.view(now),
  };
}
