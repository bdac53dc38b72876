import type { SelectionStrategy } from "../types/options.js";
import type { Backend } from "./backend.js";

/** Picks a backend for an attempt, or `undefined` when none is available. `tried` holds the backends this request already failed on. */
export type Selector = (now: number, tried: ReadonlySet<Backend> | undefined) => Backend | undefined;

/** Groups backends by priority, lowest number first; within a tier, configuration order. */
export function toTiers(backends: readonly Backend[]): Backend[][] {
  const byPriority = new Map<number, Backend[]>();
  for (const backend of backends) {
    const tier = byPriority.get(backend.config.priority);
    if (tier === undefined) byPriority.set(backend.config.priority, [backend]);
    else tier.push(backend);
  }
  return [...byPriority.entries()].sort(([a], [b]) => a - b).map(([, tier]) => tier);
}

function usable(backend: Backend, now: number, tried: ReadonlySet<Backend> | undefined): boolean {
  return backend.isAvailable(now) && (tried === undefined || !tried.has(backend));
}

/** Weighted random choice: each usable backend's chance is its weight over the tier's usable weight. */
function pickRandom(tier: readonly Backend[], now: number, tried: ReadonlySet<Backend> | undefined, random: () => number): Backend | undefined {
  let total = 0;
  for (const backend of tier) if (usable(backend, now, tried)) total += backend.config.weight;
  if (total === 0) return undefined;
  let point = random() * total;
  let last: Backend | undefined;
  for (const backend of tier) {
    if (!usable(backend, now, tried)) continue;
    last = backend;
    point -= backend.config.weight;
    if (point < 0) return backend;
  }
  return last; // only reached through floating-point rounding at the top of the range
}

/**
 * Smooth weighted round-robin (as nginx does it): with equal weights a plain rotation; with
 * weights 5:1:1 the order a a b a c a a, spread out rather than in bursts.
 */
function pickRoundRobin(tier: readonly Backend[], now: number, tried: ReadonlySet<Backend> | undefined): Backend | undefined {
  let total = 0;
  let best: Backend | undefined;
  for (const backend of tier) {
    if (!usable(backend, now, tried)) continue;
    backend.current += backend.config.weight;
    total += backend.config.weight;
    if (best === undefined || backend.current > best.current) best = backend;
  }
  if (best !== undefined) best.current -= total;
  return best;
}

/** The selector for a strategy: the first tier with a usable backend wins, then the strategy chooses within it. */
export function createSelector(backends: readonly Backend[], strategy: SelectionStrategy, random: () => number): Selector {
  const tiers = toTiers(backends);
  return (now, tried) => {
    for (const tier of tiers) {
      const chosen = strategy === "round-robin" ? pickRoundRobin(tier, now, tried) : pickRandom(tier, now, tried, random);
      if (chosen !== undefined) return chosen;
    }
    return undefined;
  };
}

/** Time until the soonest backend is back in rotation (0 if one is in rotation now). */
export function soonestRecoveryMs(backends: readonly Backend[], now: number): number {
  let soonest = Infinity;
  for (const backend of backends) {
    soonest = Math.min(soonest, backend.isAvailable(now) ? 0 : backend.until - now);
  }
  return Math.max(0, soonest);
}
