import type { SelectionStrategy } from "../types/options.js";
import type { Backend } from "./backend.js";
import type { PreparedRequest } from "./request.js";
import { rendezvous, type Route } from "./routing.js";
import { accepts } from "./target.js";

/** Picks a backend for an attempt, or `undefined` when none is available. `tried` holds the backends this request already failed on. */
export type Selector = (
  now: number,
  tried: ReadonlySet<Backend> | undefined,
  request: PreparedRequest,
  route?: Route,
) => Backend | undefined;

type Usable = (backend: Backend) => boolean;
type Pick = (tier: readonly Backend[], usable: Usable, random: () => number) => Backend | undefined;

/** Groups backends by priority, lowest number first; within a tier, configuration order. */
export function toTiers(backends: readonly Backend[]): Backend[][] {
  const priorities = [...new Set(backends.map((backend) => backend.config.priority))].sort((a, b) => a - b);
  return priorities.map((priority) => backends.filter((backend) => backend.config.priority === priority));
}

/** Weighted random choice: each usable backend's chance is its weight over the tier's usable weight. */
const pickRandom: Pick = (tier, usable, random) => {
  let total = 0;
  for (const backend of tier) if (usable(backend)) total += backend.config.weight;
  if (total === 0) return undefined;
  let point = random() * total;
  let last: Backend | undefined;
  for (const backend of tier) {
    if (!usable(backend)) continue;
    last = backend;
    point -= backend.config.weight;
    if (point < 0) return backend;
  }
  return last; // only reached through floating-point rounding at the top of the range
};

/**
 * Smooth weighted round-robin (as nginx does it): with equal weights a plain rotation; with
 * weights 5:1:1 the order a a b a c a a, spread out rather than in bursts.
 */
const pickRoundRobin: Pick = (tier, usable) => {
  let total = 0;
  let best: Backend | undefined;
  for (const backend of tier) {
    if (!usable(backend)) continue;
    backend.current += backend.config.weight;
    total += backend.config.weight;
    if (best === undefined || backend.current > best.current) best = backend;
  }
  if (best !== undefined) best.current -= total;
  return best;
};

/** The first usable backend in configuration order: the others serve only while it cannot. */
const pickFailover: Pick = (tier, usable) => tier.find(usable);

/**
 * Power of two choices: of two usable backends drawn at random, the one with fewer in-flight
 * requests per unit of weight. Nearly as good as scanning for the least busy, without herding
 * every concurrent request onto the same one.
 */
const pickLeastInflight: Pick = (tier, usable, random) => {
  const candidates = tier.filter(usable);
  if (candidates.length < 2) return candidates[0];
  const first = Math.floor(random() * candidates.length);
  let second = Math.floor(random() * (candidates.length - 1));
  if (second >= first) second++;
  const [a, b] = [candidates[first]!, candidates[second]!];
  return b.stats.inFlight / b.config.weight < a.stats.inFlight / a.config.weight ? b : a;
};

const PICKS: Record<SelectionStrategy, Pick> = {
  random: pickRandom,
  "round-robin": pickRoundRobin,
  failover: pickFailover,
  "least-inflight": pickLeastInflight,
};

/** The selector for a strategy: the first tier with a usable backend wins, then the strategy chooses within it. */
export function createSelector(
  backends: readonly Backend[],
  strategy: SelectionStrategy,
  random: () => number,
): Selector {
  const tiers = toTiers(backends);
  const pick = PICKS[strategy];
  return (now, tried, request, route) => {
    const pinned = route?.pinned;
    const usable: Usable = (backend) =>
      (pinned === undefined || backend.config.name === pinned) &&
      backend.isAvailable(now) &&
      (tried === undefined || !tried.has(backend)) &&
      accepts(backend.config, request);
    const key = route?.stickyKey;
    for (const tier of tiers) {
      const chosen = key === undefined ? pick(tier, usable, random) : rendezvous(tier, usable, key);
      if (chosen !== undefined) return chosen;
    }
    return undefined;
  };
}

/** What a caller is told to wait while the only way in is a probe already in flight: its outcome is not known yet. */
const PROBE_RETRY_MS = 1000;

/**
 * Time until the soonest backend that can take the request is back in rotation (0 if one is in
 * rotation now); `undefined` when no backend can take it at all.
 */
export function soonestRecoveryMs(
  backends: readonly Backend[],
  now: number,
  request: PreparedRequest,
  pinned?: string,
): number | undefined {
  let soonest: number | undefined;
  for (const backend of backends) {
    if (!accepts(backend.config, request) || (pinned !== undefined && backend.config.name !== pinned)) continue;
    const wait = backend.isAvailable(now) ? 0 : backend.cooling ? backend.until - now : PROBE_RETRY_MS;
    soonest = soonest === undefined ? wait : Math.min(soonest, wait);
  }
  return soonest === undefined ? undefined : Math.max(0, soonest);
}
