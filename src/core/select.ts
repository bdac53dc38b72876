import type { SelectionStrategy } from "../types/options.ts";
import type { Backend } from "./backend.ts";
import type { PreparedRequest } from "./request.ts";
import { BALANCED, rendezvous, type Route } from "./routing.ts";
import { scopeOf } from "./scope.ts";
import { accepts } from "./target.ts";

/**
 * Picks a backend for an attempt, or `undefined` when none is available. `tried` holds the backends this
 * request already failed on; `pathScope` is the Azure deployment of the request's path (see scope.ts);
 * `route` may pin the request to one backend or give it a sticky key (see routing.ts).
 * Pure but for the strategy's own rotation state: cooldowns that are due are ended before, by `advanceDue`.
 */
export type Selector = (
  now: number,
  tried: ReadonlySet<Backend> | undefined,
  request: PreparedRequest,
  pathScope: string | undefined,
  route?: Route,
) => Backend | undefined;

type Usable = (backend: Backend) => boolean;

/** Whether the request's scope on `backend` is in rotation and not at its pacing limit. */
function admitted(backend: Backend, request: PreparedRequest, pathScope: string | undefined, now: number): boolean {
  const scope = scopeOf(backend.config, request, pathScope);
  return backend.admits(scope) && (!backend.paced || backend.paces(scope, request, now));
}
type Pick = (tier: readonly Backend[], usable: Usable, random: () => number) => Backend | undefined;

/** Groups backends by priority, lowest number first; within a tier, configuration order. */
export function toTiers(backends: readonly Backend[]): Backend[][] {
  // One pass into groups, then a sort of the groups: filtering per priority was quadratic.
  const tiers = new Map<number, Backend[]>();
  for (const backend of backends) {
    const tier = tiers.get(backend.config.priority);
    if (tier === undefined) tiers.set(backend.config.priority, [backend]);
    else tier.push(backend);
  }
  return [...tiers.entries()].sort(([a], [b]) => a - b).map(([, tier]) => tier);
}

/**
 * The usable backends of the tier {@link pickRandom} is choosing in: `usable` is asked once per backend,
 * not once per pass. Reused (a selection is synchronous and never nested), so no array is made per request.
 */
const scratch: Backend[] = [];

/** Weighted random choice: each usable backend's chance is its weight over the tier's usable weight. */
const pickRandom: Pick = (tier, usable, random) => {
  let total = 0;
  let count = 0;
  for (const backend of tier) {
    if (!usable(backend)) continue;
    scratch[count++] = backend;
    total += backend.config.weight;
  }
  let chosen: Backend | undefined;
  if (total > 0) {
    let point = random() * total;
    for (let index = 0; index < count; index++) {
      chosen = scratch[index]!;
      point -= chosen.config.weight;
      if (point < 0) break;
    }
    // Past the loop without a break only through floating-point rounding at the top of the range: the last one.
  }
  scratch.fill(undefined!, 0, count);
  return chosen;
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
  return (now, tried, request, pathScope, route = BALANCED) => {
    const { pinned, stickyKey } = route;
    // A scope at its pacing limit is passed over like a tried backend.
    const usable: Usable = (backend) =>
      (pinned === undefined || backend.config.name === pinned) &&
      backend.whole.admits() &&
      (tried === undefined || !tried.has(backend)) &&
      accepts(backend.config, request) &&
      ((backend.deployments.size === 0 && !backend.paced) || admitted(backend, request, pathScope, now));
    for (const tier of tiers) {
      const chosen = stickyKey === undefined ? pick(tier, usable, random) : rendezvous(tier, usable, stickyKey);
      if (chosen !== undefined) return chosen;
    }
    return undefined;
  };
}

/**
 * Time until the soonest backend that can take the request is back in rotation (0 if one is in
 * rotation now); `undefined` when no backend can take it at all. Only the `pinned` backend counts when one is given.
 */
export function soonestRecoveryMs(
  backends: readonly Backend[],
  now: number,
  request: PreparedRequest,
  pathScope: string | undefined,
  pinned?: string,
): number | undefined {
  let soonest: number | undefined;
  for (const backend of backends) {
    if ((pinned !== undefined && backend.config.name !== pinned) || !accepts(backend.config, request)) continue;
    const wait = backend.waitMs(now, scopeOf(backend.config, request, pathScope), request);
    soonest = soonest === undefined ? wait : Math.min(soonest, wait);
  }
  return soonest === undefined ? undefined : Math.max(0, soonest);
}

/**
 * Why no backend takes the request now: `paced` when one that can take it is in rotation but at its pacing
 * limit, else `cooling`.
 */
export function waitReason(
  backends: readonly Backend[],
  now: number,
  request: PreparedRequest,
  pathScope: string | undefined,
  pinned?: string,
): "cooling" | "paced" {
  for (const backend of backends) {
    if ((pinned !== undefined && backend.config.name !== pinned) || !accepts(backend.config, request)) continue;
    const scope = scopeOf(backend.config, request, pathScope);
    if (backend.admits(scope) && backend.paced && !backend.paces(scope, request, now)) return "paced";
  }
  return "cooling";
}
