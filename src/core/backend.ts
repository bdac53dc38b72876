import type { BackendSnapshot } from "../types/balancer.ts";
import type { BackendInfo, CooldownReason } from "../types/events.ts";
import { Breaker, type BreakerHost, type Cause, isCooldown } from "./breaker.ts";
import { LatencySketch } from "./latency.ts";
import type { ResolvedBackend } from "./options.ts";
import { estimateTokens, Pacer, PACED_RETRY_MS, type Quota } from "./pacer.ts";
import type { PreparedRequest } from "./request.ts";

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

/** Past {@link MAX_DEPLOYMENTS} entries, forgets the oldest one `idle` says can go. */
function makeRoom<K, V>(map: Map<K, V>, idle: (value: V) => boolean): void {
  if (map.size < MAX_DEPLOYMENTS) return;
  for (const [key, old] of map) {
    if (!idle(old)) continue;
    map.delete(key);
    return;
  }
}

/**
 * One scope of a backend (a deployment or model, or `undefined` for the backend as a whole; see scope.ts): its
 * time to response headers by kind of request (the learned header timeout, see attempt.ts), and its attempts
 * in flight, which a pacer created while they are takes as reserved.
 */
export class ScopeState {
  readonly deployment: string | undefined;
  /** Time to response headers of its answers below 400, by kind of request. */
  readonly latency = { streamed: new LatencySketch(), buffered: new LatencySketch() };
  /** Attempts in flight to the scope (those of `lb.fetch`; a lease's are not paced). */
  inFlight = 0;
  /** Used since room was last made past it (see {@link Backend.scopeState}): it gets a second chance. */
  used = false;
  /** The ticket of an attempt that holds nothing else (no probe, breaker or pacer): one per scope, none per attempt. */
  readonly plain: AttemptTicket;

  constructor(deployment: string | undefined) {
    this.deployment = deployment;
    this.plain = Object.freeze({ scope: undefined, probeWhole: false, probeScope: false, state: this });
  }
}

/** Which breakers an attempt ran through, whether it was the probe of each, and the pacing reservation it holds. */
export interface AttemptTicket {
  readonly scope: Breaker | undefined;
  readonly probeWhole: boolean;
  readonly probeScope: boolean;
  /** The pacer it holds a reservation of, and the tokens reserved (an estimate). */
  readonly pacer?: Pacer | undefined;
  readonly tokens?: number;
  /** The scope the pacer is kept under. */
  readonly deployment?: string | undefined;
  /** Its place in the pacer's learned window (see pacer.ts); 0 without one. */
  readonly place?: number;
  /** The scope it counts in (its latency is learned there); none for a lease's attempt. */
  readonly state?: ScopeState;
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
  /** The backend as a whole as a scope (requests without a deployment): latency and attempts in flight. */
  readonly overall = new ScopeState(undefined);
  /** Each deployment's latency and attempts in flight, created by its first attempt (idle ones make room past {@link MAX_DEPLOYMENTS}). */
  readonly scopes = new Map<string, ScopeState>();
  /** The backend as a whole: endpoint faults, and everything when the request has no deployment. */
  readonly whole: Breaker;
  /** Deployments (models) with state of their own, created by their first cooldown, in order first seen. */
  readonly deployments = new Map<string, Breaker>();
  /**
   * Pacing per scope (a deployment, or `undefined` for the backend as a whole), created by the first quota
   * headers, 429, or attempt with `rpm`/`tpm` configured. Empty costs one size check per selection.
   */
  readonly pacers = new Map<string | undefined, Pacer>();
  /** `rpm` or `tpm` is configured: every scope is paced from its first attempt. */
  readonly configured: boolean;
  readonly #host: BreakerHost;

  constructor(config: ResolvedBackend, host: BreakerHost) {
    this.config = config;
    this.info = Object.freeze({ name: config.name, url: config.url, priority: config.priority, weight: config.weight });
    this.#host = host;
    this.whole = new Breaker(host, this.info, null);
    this.configured = config.rpm !== undefined || config.tpm !== undefined;
  }

  /** Whether anything paces this backend (pacers, or a configured rate): selection asks {@link paces} only then. */
  get paced(): boolean {
    return this.configured || this.pacers.size > 0;
  }

  /** Whether pacing lets one more request of this kind go to `deployment` now. */
  paces(deployment: string | undefined, request: PreparedRequest, now: number): boolean {
    const pacer = this.pacers.get(deployment);
    return pacer === undefined || pacer.admits(estimateTokens(request), now);
  }

  /** Time until pacing lets the request go to `deployment`, as far as time tells ({@link PACED_RETRY_MS} when only a release can). */
  pacedMs(deployment: string | undefined, request: PreparedRequest, now: number): number {
    const pacer = this.pacers.get(deployment);
    if (pacer === undefined) return 0;
    return pacer.waitMs(estimateTokens(request), now) ?? PACED_RETRY_MS;
  }

  /**
   * The scope's latency and attempts in flight, created on first use; past {@link MAX_DEPLOYMENTS}, the oldest with
   * nothing in flight and no use since it was last passed over is forgotten.
   */
  scopeState(deployment: string | undefined): ScopeState {
    if (deployment === undefined) return this.overall;
    let state = this.scopes.get(deployment);
    if (state !== undefined) {
      state.used = true;
      return state;
    }
    if (this.scopes.size >= MAX_DEPLOYMENTS) {
      // The oldest with nothing in flight goes, unless it was used since it was last passed: then it moves to the
      // back and the next is looked at (a second chance, as a clock cache does). A deployment in use keeps its
      // learned latency; one-off ones make room for each other.
      for (const [key, old] of this.scopes) {
        if (old.inFlight !== 0) continue;
        this.scopes.delete(key);
        if (!old.used) break;
        old.used = false;
        this.scopes.set(key, old);
      }
    }
    state = new ScopeState(deployment);
    this.scopes.set(deployment, state);
    return state;
  }

  /**
   * The scope's pacer, created on first use (idle ones make room past {@link MAX_DEPLOYMENTS}); a new one takes
   * the scope's attempts already in flight as reserved (see {@link Pacer.adopt}).
   */
  pacer(deployment: string | undefined): Pacer {
    let pacer = this.pacers.get(deployment);
    if (pacer !== undefined) return pacer;
    makeRoom(this.pacers, (old) => old.idle);
    const host = this.#host;
    pacer = new Pacer(this.config.rpm, this.config.tpm, host.now(), (allowed, basis) => {
      const { events } = host;
      if (events.active)
        events.emit({
          type: "paced",
          at: host.now(),
          backend: this.info,
          deployment: deployment ?? null,
          allowed,
          basis,
        });
    });
    const inFlight = (deployment === undefined ? this.overall : this.scopes.get(deployment))?.inFlight ?? 0;
    if (inFlight > 0) pacer.adopt(inFlight);
    this.pacers.set(deployment, pacer);
    return pacer;
  }

  /** A response reported the scope's remaining quota. */
  observe(deployment: string | undefined, quota: Quota): void {
    this.pacer(deployment).observe(quota, this.#host.now());
  }

  /** The attempt's reservation ends; waiting requests may go. */
  #release(ticket: AttemptTicket): void {
    const { pacer } = ticket;
    if (pacer !== undefined) this.#released(pacer, ticket.tokens!, ticket.deployment);
  }

  #released(pacer: Pacer, tokens: number, deployment: string | undefined): void {
    pacer.release(tokens);
    // Nothing limits it any more (a learned limit grew out, the counts expired): selection skips it again.
    if (pacer.idle && this.pacers.get(deployment) === pacer) this.pacers.delete(deployment);
    this.#host.wake?.();
  }

  /**
   * The attempt leaves its scope's count in flight. One that started before the scope had a pacer holds no
   * reservation of its own: the pacer took it as reserved when it was created, and releases it now.
   */
  #leave(ticket: AttemptTicket): void {
    const { state } = ticket;
    if (state === undefined) return;
    state.inFlight--;
    if (ticket.pacer !== undefined || this.pacers.size === 0) return;
    const pacer = this.pacers.get(state.deployment);
    if (pacer === undefined || pacer.adopted === 0) return;
    pacer.adopted--;
    this.#released(pacer, 0, state.deployment);
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

  /** Time until an attempt for `deployment` can go here; with `request`, pacing included. */
  waitMs(now: number, deployment: string | undefined, request?: PreparedRequest): number {
    const scope = this.scope(deployment);
    const whole = this.whole.waitMs(now);
    const wait = scope === undefined ? whole : Math.max(whole, scope.waitMs(now));
    return request === undefined || wait > 0 || this.pacers.size === 0 ? wait : this.pacedMs(deployment, request, now);
  }

  /** An attempt starts here; with pacing, it holds a reservation until it ends. */
  startAttempt(deployment: string | undefined, request?: PreparedRequest): AttemptTicket {
    this.stats.requests++;
    this.stats.inFlight++;
    const scope = this.scope(deployment);
    const probeWhole = this.whole.startAttempt();
    const probeScope = scope?.startAttempt() ?? false;
    if (request === undefined) return probeWhole || scope !== undefined ? { scope, probeWhole, probeScope } : PLAIN;
    const state = this.scopeState(deployment);
    const pacer = !this.paced ? undefined : this.configured ? this.pacer(deployment) : this.pacers.get(deployment);
    state.inFlight++;
    if (pacer !== undefined) {
      const tokens = estimateTokens(request);
      const place = pacer.reserve(tokens, this.#host.now());
      return { scope, probeWhole, probeScope, pacer, tokens, deployment, place, state };
    }
    return probeWhole || scope !== undefined ? { scope, probeWhole, probeScope, state } : state.plain;
  }

  /** The attempt ended without a verdict on the backend (the caller aborted). */
  abandonAttempt(ticket: AttemptTicket): void {
    this.stats.inFlight--;
    this.#leave(ticket);
    if (ticket.probeWhole) this.whole.releaseProbe();
    if (ticket.probeScope) ticket.scope!.releaseProbe();
    this.#release(ticket);
  }

  /**
   * The attempt failed: a 429, a 5xx, or no response at all. The one place a failure is recorded: the
   * counters here, then the breaker it belongs to (see {@link ENDPOINT_FAULTS}) counts, escalates,
   * cools and emits.
   */
  recordFailure(ticket: AttemptTicket, ...failure: Failure): void {
    this.stats.inFlight--;
    this.#leave(ticket);
    const [deployment, reason] = failure;
    // 429s of one burst arrive together: the first teaches the limit, as the breaker counts one outage once.
    const breaker = deployment === undefined ? this.whole : this.deployments.get(deployment);
    const learns = reason === "rate-limit" && (breaker === undefined || !isCooldown(breaker.state));
    this.#fail(ticket, ...failure);
    if (learns) {
      // Learned pacing: what was in flight to this scope when it said "too many": its reservations, else its own
      // count (this attempt has just left it), else, for a lease's attempt, the backend's.
      const inFlight = ticket.pacer?.reserved ?? (ticket.state?.inFlight ?? this.stats.inFlight) + 1;
      if (inFlight > 1 || this.pacers.has(deployment))
        this.pacer(deployment).throttled(
          inFlight,
          this.#host.now(),
          failure[2] ?? this.#host.defaultCooldownMs,
          ticket.place ?? 0,
        );
    }
    this.#release(ticket);
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
    this.#leave(ticket);
    stats.successes++;
    stats.lastStatus = status;
    this.whole.succeed(cause, ticket.probeWhole);
    ticket.scope?.succeed(cause, ticket.probeScope);
    if (ticket.pacer !== undefined) {
      ticket.pacer.succeeded(this.#host.now());
      this.#release(ticket);
    }
  }

  /** A deployment's breaker, created on first use; the oldest ones back in rotation make room past {@link MAX_DEPLOYMENTS}. */
  #deployment(name: string): Breaker {
    let breaker = this.deployments.get(name);
    if (breaker !== undefined) return breaker;
    makeRoom(this.deployments, (old) => old.state.kind === "available");
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
