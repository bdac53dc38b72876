import type { BackendSnapshot, Snapshot } from "../src/index.ts";

/** The backends of one priority. */
export interface Tier {
  readonly priority: number;
  readonly backends: readonly BackendSnapshot[];
}

/** Groups a snapshot's backends by priority, lowest (tried first) first; configuration order within a tier. */
export function tiersOf({ backends }: Pick<Snapshot, "backends">): Tier[] {
  return [...new Set(backends.map((backend) => backend.priority))]
    .sort((a, b) => a - b)
    .map((priority) => ({ priority, backends: backends.filter((backend) => backend.priority === priority) }));
}
