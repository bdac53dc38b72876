import type { BackendSnapshot, Snapshot } from "../src/index.ts";

/** The backends of one priority. */
export interface Tier {
  readonly priority: number;
  readonly backends: readonly BackendSnapshot[];
}

/** Groups a snapshot's backends by priority, lowest (tried first) first; configuration order within a tier. */
export function tiersOf(snapshot: Snapshot): Tier[] {
  const byPriority = new Map<number, BackendSnapshot[]>();
  for (const backend of snapshot.backends) {
    const list = byPriority.get(backend.priority);
    if (list === undefined) byPriority.set(backend.priority, [backend]);
    else list.push(backend);
  }
  return [...byPriority.entries()].sort(([a], [b]) => a - b).map(([priority, backends]) => ({ priority, backends }));
}
