import type { ScenarioBackend } from "./scenarios.js";

/** Backends that can serve at all: a refused backend has no capacity; a failing one keeps its quota (its 500s use none). */
const live = (backends: readonly ScenarioBackend[]): ScenarioBackend[] => backends.filter((backend) => !backend.down);

/**
 * When the `count`-th request can be admitted at the earliest, ms after the start: every live
 * backend admits `limit` requests at the start of each of its windows (0, W, 2W…), and the
 * requests take the earliest slots of all backends together. 0 for a count of 0.
 */
export function earliestAdmissionMs(backends: readonly ScenarioBackend[], windowMs: number, count: number): number {
  if (count <= 0) return 0;
  const perWindow = live(backends).reduce((sum, backend) => sum + backend.limit, 0);
  if (perWindow === 0) return Infinity;
  return Math.floor((count - 1) / perWindow) * windowMs;
}

/** The ideal wall time for `count` successes: the earliest admission of the last one, plus the smallest latency. */
export function idealTimeMs(
  backends: readonly ScenarioBackend[],
  windowMs: number,
  minLatencyMs: number,
  count: number,
): number {
  return count <= 0 ? 0 : earliestAdmissionMs(backends, windowMs, count) + minLatencyMs;
}

/** Requests the live backends can admit over `attempts` consecutive windows from the start: the SDK's retry horizon. */
export function capacityOverWindows(backends: readonly ScenarioBackend[], attempts: number): number {
  return live(backends).reduce((sum, backend) => sum + backend.limit, 0) * attempts;
}

/** The most the priority-1 backends could admit in the windows opened by `lastAdmissionMs`, capped by `successes`. */
export function tier1Max(
  backends: readonly ScenarioBackend[],
  windowMs: number,
  lastAdmissionMs: number,
  successes: number,
): number {
  const windows = Math.floor(lastAdmissionMs / windowMs) + 1;
  const perWindow = live(backends)
    .filter((backend) => backend.priority === 1)
    .reduce((sum, backend) => sum + backend.limit, 0);
  return Math.min(successes, perWindow * windows);
}

/** Slots the live backends offer in the windows that open by `elapsedMs` (a request admitted later could not finish in time). */
export function slotsOffered(backends: readonly ScenarioBackend[], windowMs: number, elapsedMs: number): number {
  if (elapsedMs < 0) return 0;
  return capacityOverWindows(backends, Math.floor(elapsedMs / windowMs) + 1);
}
