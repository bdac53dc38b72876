import type { Snapshot } from "../types/balancer.js";
import type { Backend } from "./backend.js";

/** Every backend's state at `now`, in configuration order; plain data, safe to keep or serialise. */
export function takeSnapshot(backends: readonly Backend[], now: number): Snapshot {
  return {
    at: now,
    backends: backends.map((backend) => {
      const state = backend.state(now);
      return {
        ...backend.info,
        kind: backend.config.adapter?.kind ?? null,
        state,
        until: backend.cooling ? backend.until : null,
        reason: backend.reason,
        consecutiveFailures: backend.consecutiveFailures,
        ...backend.stats,
        deployments: [],
      };
    }),
  };
}
