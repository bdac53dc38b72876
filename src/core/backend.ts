import type { BackendSnapshot } from "../types/balancer.ts";
import type { BackendInfo, CooldownReason } from "../types/events.ts";
import { Breaker, type BreakerHost, type Cause } from "./breaker.ts";
import { LatencySketch } from "./latency.ts";
import type { ResolvedBackend } from "./options.ts";

/** A backend's counters; see {@link BackendSnapshot}. */
export type BackendStats = {
  -readonly [K in
    | "inFlight"
    | "requests"
    | "successes"
    | "throttles"
    | "errors"
    | "lastStatus"
    | "spilled"]: BackendSnapshot[K];
};

/**
 * Faults of the endpoint itself: no usable answer from it at all, or one that says the endpoint (not a
 * deployment) is misconfigured. They count against the backend as a whole. A 5xx, by contrast, counts
 * against the deployment it came from: Azure OpenAI answers 500/503 per model deployment (an overloaded
 * model, a failing deployment) while the resource's other deployments serve, and an endpoint that is down
 * as a whole shows itself by connection errors and timeouts, which land here.
 */
const ENDPOINT_FAULTS: readonly CooldownReason[] = ["network-error", "timeout", "credentials", "redirect"];

/** Deployments remembered per backend; past this, those back in rotation are forgotten, oldest first. */
const MAX_DEPLOYMENTS = 256;

/** Which breakers an attempt ran through, and whether it was the probe of each. */
export interface AttemptTicket {
  readonly scope: Breaker | undefined;
  readonly probeWhole: boolean;
  readonly probeScope: boolean;
}

/**
 * What a failure records: where it happened, why, the wait the server asked for (`undefined`: none, the
 * breaker's schedule applies), the status if any, and its cause.
 */
type Failure = [
  deployment: string | undefined,
  reason: CooldownReason,
  baseMs: number | undefined,
  status: number | undefined,
  cause: Cause,
];

const PLAIN: AttemptTicket = Object.freeze({ scope: undefined, probeWhole: false, probeScope: false });

/**
 * The one transition step before a selection reads: ends every cooldown whose deadline has passed (their
 * timers do the same; this covers a clock that runs ahead of them) and works out the next deadline.
 * Costs nothing until a deadline has passed (`host.nextDeadline`).
 */
export function advanceDue(backends: readonly Backend[], now: number, host: BreakerHost): void {
  if (now < host.nextDeadline) return;
  let next = Number.POSITIVE_INFINITY;
  for (const backend of backends) {
    for (const breaker of [backend.whole, ...backend.deployments.values()]) {
      breaker.advance(now);
      next = Math.min(next, breaker.deadline);
    }
  }
  host.nextDeadline = next;
}

/** One backend: its configuration, counters, and the breakers of the backend as a whole and of each deployment. */
export class Backend {
  readonly config: ResolvedBackend;
  /** Shared by every event about this backend; frozen so a listener cannot change it. */
  readonly info: BackendInfo;
  /** The counters `snapshot()` shows, as they are. */
  readonly stats: BackendStats = {
    inFlight: 0,
    requests: 0,
    successes: 0,
    throttles: 0,
    errors: 0,
    lastStatus: null,
    spilled: 0,
  };
  /** Smooth weighted round-robin's running weight (see select.ts). */
  current = 0;
  /** Time to response headers of its answers below 400, by kind of request: the learned header timeout (see attempt.ts). */
  readonly latency = { streamed: new LatencySketch(), buffered: new LatencySketch() };
  /** The backend as a whole: endpoint faults, and everything when the request has no deployment. */
  readonly whole: Breaker;
  /** Deployments (models) with state of their own, created by their first cooldown, in order first seen. */
  readonly deployments = new Map<string, Breaker>();
  readonly #host: BreakerHost;

  constructor(config: ResolvedBackend, host: BreakerHost) {
    this.config = config;
    this.info = Object.freeze({ name: config.name, url: config.url, priority: config.priority, weight: config.weight });
    this.#host = host;
    this.whole = new Breaker(host, this.info, null);
  }

  /** The deployment's breaker, if it has state of its own. */
  scope(deployment: string | undefined): Breaker | undefined {
    return deployment === undefined || this.deployments.size === 0 ? undefined : this.deployments.get(deployment);
  }

  /** Whether an attempt for `deployment` can go here now (pure). */
  admits(deployment: string | undefined): boolean {
    return (
      this.whole.admits() && (this.deployments.size === 0 || (this.deployments.get(deployment!)?.admits() ?? true))
    );
  }

  /** Time until an attempt for `deployment` can go here (pure). */
  waitMs(now: number, deployment: string | undefined): number {
    const scope = this.scope(deployment);
    const whole = this.whole.waitMs(now);
    return scope === undefined ? whole : Math.max(whole, scope.waitMs(now));
  }

  /** An attempt starts here. */
  startAttempt(deployment: string | undefined): AttemptTicket {
    this.stats.requests++;
    this.stats.inFlight++;
    const scope = this.scope(deployment);
    const probeWhole = this.whole.startAttempt();
    const probeScope = scope?.startAttempt() ?? false;
    return probeWhole || scope !== undefined ? { scope, probeWhole, probeScope } : PLAIN;
  }

  /** The attempt ended without a verdict on the backend (the caller aborted). */
  abandonAttempt(ticket: AttemptTicket): void {
    this.stats.inFlight--;
    if (ticket.probeWhole) this.whole.releaseProbe();
    if (ticket.probeScope) ticket.scope!.releaseProbe();
  }

  /**
   * The attempt failed: a 429, a 5xx, or no response at all. The one place a failure is recorded: the
   * counters here, then the breaker it belongs to (see {@link ENDPOINT_FAULTS}) counts, escalates,
   * cools and emits.
   */
  recordFailure(ticket: AttemptTicket, ...failure: Failure): void {
    this.stats.inFlight--;
    this.#fail(ticket, ...failure);
  }

  /**
   * A failure found after its attempt ended (a stream handed to the caller went idle): no ticket, so no
   * probe slot to release; counted and cooled like any other.
   */
  recordLateFailure(
    deployment: string | undefined,
    reason: CooldownReason,
    baseMs: number | undefined,
    cause: Cause,
  ): void {
    this.#fail(PLAIN, deployment, reason, baseMs, undefined, cause);
  }

  #fail(ticket: AttemptTicket, ...[deployment, reason, baseMs, status, cause]: Failure): void {
    const { stats } = this;
    if (status !== undefined) stats.lastStatus = status;
    if (reason === "rate-limit") stats.throttles++;
    else stats.errors++;
    if (ENDPOINT_FAULTS.includes(reason) || deployment === undefined) {
      if (ticket.probeScope) ticket.scope!.releaseProbe();
      this.whole.fail(reason, baseMs, status, cause, ticket.probeWhole);
      return;
    }
    // The endpoint answered: no verdict on it, but its probe slot is free again.
    if (ticket.probeWhole) this.whole.releaseProbe();
    this.#deployment(deployment).fail(reason, baseMs, status, cause, ticket.probeScope);
  }

  /** A spent quota reported with a success: the deployment (or backend) cools without a failed attempt. */
  spentQuota(deployment: string | undefined, baseMs: number, status: number, cause: Cause): void {
    const breaker = deployment === undefined ? this.whole : this.#deployment(deployment);
    breaker.fail("quota", baseMs, status, cause, false);
  }

  /** The backend answered with something the caller gets. */
  recordSuccess(ticket: AttemptTicket, status: number, cause: Cause): void {
    const { stats } = this;
    stats.inFlight--;
    stats.successes++;
    stats.lastStatus = status;
    this.whole.succeed(cause, ticket.probeWhole);
    ticket.scope?.succeed(cause, ticket.probeScope);
  }

  /** A deployment's breaker, created on first use; the oldest ones back in rotation make room past {@link MAX_DEPLOYMENTS}. */
  #deployment(name: string): Breaker {
    let breaker = this.deployments.get(name);
    if (breaker !== undefined) return breaker;
    if (this.deployments.size >= MAX_DEPLOYMENTS) {
      for (const [key, old] of this.deployments) {
        if (old.state.kind !== "available") continue;
        this.deployments.delete(key);
        break;
      }
    }
    breaker = new Breaker(this.#host, this.info, name);
    this.deployments.set(name, breaker);
    return breaker;
  }

  /** The breaker an update from another process is about (created for a deployment not seen yet). */
  breakerFor(deployment: string | null): Breaker {
    return deployment === null ? this.whole : this.#deployment(deployment);
  }

  /** Stops every timer (the balancer closes). */
  stop(): void {
    this.whole.stop();
    for (const breaker of this.deployments.values()) breaker.stop();
  }
}
