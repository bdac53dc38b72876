import type { BackendState } from "../types/balancer.ts";
import type { BackendInfo, CooldownReason, EventOfType } from "../types/events.ts";
import { backgroundTimer } from "../utils/timers.ts";
import type { Emitter } from "./events.ts";
import type { SharedLink } from "./shared.ts";

/** Reasons that count towards ejection: the backend is broken, not merely busy (429, quota). */
const FAILURES: readonly CooldownReason[] = [
  "server-error",
  "network-error",
  "timeout",
  "credentials",
  "redirect",
  "stream",
  "rule",
];

/** Whether a reason says the backend is broken (counted, escalated, probed) rather than busy. */
export const isFailure = (reason: CooldownReason): boolean => FAILURES.includes(reason);

/**
 * Failures whose probe is cheap (the answer, or the refusal, comes at once), so a backend that recovers
 * should be back soon: without a server's wait their escalation stops at `defaultCooldownMs`, and a
 * backend that keeps failing costs one probe per `defaultCooldownMs`. A timeout costs its probe a whole
 * header timeout, and credentials or a redirect are configuration: those double up to `maxCooldownMs`.
 */
const CHEAP: readonly CooldownReason[] = ["server-error", "network-error", "stream"];

/**
 * Of those, the ones that are often alone: a 5xx, a stream that broke. The request fails over at once
 * either way; what their cooldown decides is how soon the backend gets the next one. Below
 * `failureThreshold` in a row, without a retry header, they pause it for {@link QUICK_COOLDOWN_MS} and it
 * comes back without a probe; from the threshold the pause doubles with each failure. A refused connection
 * is not one: the endpoint is down, and a short pause would send callers back to it in milliseconds.
 */
const QUICK: readonly CooldownReason[] = ["server-error", "stream"];

/** The first cooldown of a quick failure without a retry header (see {@link QUICK}): a burst skips the backend, a 500 alone barely costs it. */
export const QUICK_COOLDOWN_MS = 10;

/**
 * What is shared with other processes: what a server said, true for every client. Network errors,
 * timeouts and credentials may be this host's own trouble (its DNS, its route, its token) and stay
 * local, as Kong and Envoy keep active health per node.
 */
const SHAREABLE: readonly CooldownReason[] = ["rate-limit", "quota", "server-error"];

/** What a caller is told to wait while the only way in is a probe in flight (or being claimed). */
export const PROBE_RETRY_MS = 1000;

/** How long a claim of the shared probe lease may take before this process probes on its own. */
const CLAIM_PATIENCE_MS = 1000;

/** Escalation doubles at most this many times: 2^30 × any base already exceeds every `maxCooldownMs`. */
const MAX_DOUBLINGS = 30;

/**
 * One breaker's state, each kind with its own data (as cockatiel's circuit breaker):
 * available → cooling / ejected (a deadline) → [claiming the shared probe lease] → probing (one
 * request at a time) → available. A 429 or spent quota goes from cooling straight back to available.
 */
export type BreakerState =
  | { readonly kind: "available" }
  | {
      readonly kind: "cooling" | "ejected";
      readonly reason: CooldownReason;
      /** Monotonic ms when it went out, and when it comes back. */
      readonly since: number;
      readonly until: number;
      /** Failed attempts that ran into this cooldown. */
      readonly hits: number;
      /**
       * Whether it ends in a probe: after a failure, but not after a 429, a spent quota, or a quick
       * failure alone (see {@link QUICK}), which come back into full rotation.
       */
      readonly probe: boolean;
    }
  | {
      /** The cooldown of a failure ended; the shared store is asked who probes (`leased`: another process won). */
      readonly kind: "claiming";
      readonly reason: CooldownReason;
      readonly leased: boolean;
    }
  | { readonly kind: "probing"; readonly reason: CooldownReason; readonly inFlight: boolean };

/** A state with a deadline: out of rotation until `until`. */
export type CooldownState = Extract<BreakerState, { readonly kind: "cooling" | "ejected" }>;

/** Whether the state is a cooldown (cooling, or ejected after failures in a row). */
export const isCooldown = (state: BreakerState): state is CooldownState =>
  state.kind === "cooling" || state.kind === "ejected";

/** What a breaker works with, one per balancer. */
export interface BreakerHost {
  readonly now: () => number;
  readonly events: Emitter;
  readonly failureThreshold: number;
  /** A cooldown no server asked for (a 429 without headers, a timeout); the ceiling of quick failures' escalation. */
  readonly defaultCooldownMs: number;
  readonly maxCooldownMs: number;
  /** Lease length for the shared probe: as long as a probe may take. */
  readonly probeLeaseMs: number;
  /**
   * No cooldown of this balancer ends before this (monotonic ms): until then no breaker needs
   * {@link Breaker.advance}. Lowered by every transition into a cooldown; raised only by `advanceDue`.
   */
  nextDeadline: number;
  /** `undefined` without the `shared` option, and after `close()`. */
  shared: SharedLink | undefined;
  closed: boolean;
  /** Capacity may have returned (a breaker back in rotation, a pacing reservation released): the queue looks. */
  wake?: () => void;
}

/** The request an attempt belongs to, for the events a transition emits. */
export interface Cause {
  readonly requestId: number;
  readonly attempt: number;
}

/** What a cooldown from another process says, validated. */
export interface RemoteCooldown {
  readonly reason: CooldownReason;
  readonly remainingMs: number;
  readonly failures: number;
}

const AVAILABLE: BreakerState = Object.freeze({ kind: "available" });

/**
 * The rotation state of one backend as a whole, or of one deployment (model) of it. Reads
 * (`admits`, `view`, `waitMs`) never change anything; every transition goes through `#enter`, and the
 * event it means is emitted where it happens.
 */
export class Breaker {
  readonly #host: BreakerHost;
  readonly #info: BackendInfo;
  /** `null` for the backend as a whole. */
  readonly deployment: string | null;
  #state: BreakerState = AVAILABLE;
  /** Failures in a row (a success resets it); survives the states. */
  #failures = 0;
  /** Until when (monotonic ms) this process holds the shared probe lease it won: it probes again without asking. */
  #leaseUntil = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #deadline = Number.POSITIVE_INFINITY;
  /** What `admits()` answers, set with the state: the selector asks it for every backend of every attempt. */
  #open = true;

  constructor(host: BreakerHost, info: BackendInfo, deployment: string | null) {
    this.#host = host;
    this.#info = info;
    this.deployment = deployment;
  }

  get state(): BreakerState {
    return this.#state;
  }

  /** When the cooldown ends, monotonic ms; `Infinity` unless cooling: the cheap check of `advance`. */
  get deadline(): number {
    return this.#deadline;
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** Can an attempt go here now? In rotation, or probing with no probe in flight. */
  admits(): boolean {
    return this.#open;
  }

  /**
   * How long until it admits again: 0 if it does, the deadline while cooling, a probe's usual time otherwise.
   * An ejected backend's short cooldown is not capacity coming back (it ends in one probe, of a backend
   * that kept failing): it is told as at least {@link PROBE_RETRY_MS}, so that callers are not sent back
   * in a few milliseconds to burn their retries on it while the busy backends' windows are further away.
   */
  waitMs(now: number): number {
    const state = this.#state;
    if (this.admits()) return 0;
    if (!isCooldown(state)) return PROBE_RETRY_MS;
    const left = Math.max(0, state.until - now);
    return state.kind === "ejected" && state.probe ? Math.max(left, PROBE_RETRY_MS) : left;
  }

  /** The state as the snapshot names it. */
  view(): BackendState {
    const { kind } = this.#state;
    return kind === "claiming" ? "probing" : kind;
  }

  get reason(): CooldownReason | null {
    return this.#state.kind === "available" ? null : this.#state.reason;
  }

  /**
   * The explicit step that ends a cooldown whose deadline has passed (the timer's job, done here
   * too when the clock runs ahead of the timers): the one place `recovery` is emitted.
   */
  advance(now: number): void {
    if (now < this.#deadline) return;
    const state = this.#state;
    if (!isCooldown(state)) return;
    // A 429 or a spent quota came with the time the backend would be back, so it is, and so is one
    // that failed quickly and alone (see QUICK); a backend that kept failing, or timed out, has
    // promised nothing and is tried by one request before it takes the load again.
    if (!state.probe) this.#enter(AVAILABLE, now);
    else if (this.#host.shared !== undefined) this.#claim(state.reason, now);
    else this.#enter({ kind: "probing", reason: state.reason, inFlight: false }, now);
    this.#emitRecovery(state, now);
  }

  /** An attempt starts; returns whether it is this breaker's probe. */
  startAttempt(): boolean {
    const state = this.#state;
    if (state.kind !== "probing" || state.inFlight) return false;
    this.#enter({ kind: "probing", reason: state.reason, inFlight: true }, this.#host.now());
    return true;
  }

  /** The probe ended without a verdict on this breaker (the caller aborted, or the fault was elsewhere): another may probe. */
  releaseProbe(): void {
    const state = this.#state;
    if (state.kind === "probing" && state.inFlight)
      this.#enter({ kind: "probing", reason: state.reason, inFlight: false }, this.#host.now());
  }

  /**
   * Records a failed attempt: counts it, escalates, cools down, emits `cooldown` (once per
   * transition into a cooldown) and `probe` (when it was the probe), and shares what a server said.
   * `baseMs` is the wait a server (or a rule) asked for; without one the cooldown follows the schedule of
   * {@link QUICK} failures, or is `defaultCooldownMs`. From the `failureThreshold`-th failure in a row the
   * cooldown doubles with each (as Envoy's outlier ejection does), up to `defaultCooldownMs` for
   * {@link CHEAP} failures without a wait and `maxCooldownMs` otherwise. A breaker already cooling keeps the later
   * deadline, and its reason unless the failure pushes that deadline back.
   */
  fail(
    reason: CooldownReason,
    baseMs: number | undefined,
    status: number | undefined,
    cause: Cause,
    wasProbe: boolean,
  ): void {
    const host = this.#host;
    const now = host.now();
    const state = this.#state;
    const cooling = isCooldown(state);
    const failure = isFailure(reason);
    // Attempts already in flight when it went out fail together: one outage, counted once.
    if (!cooling && failure) this.#failures++;
    const ejected = failure && this.#failures >= host.failureThreshold;
    const cooldownMs = this.#cooldownMs(reason, baseMs, ejected);
    const until = cooling ? Math.max(state.until, now + cooldownMs) : now + cooldownMs;
    const kept = cooling && until === state.until;
    // A lone quick failure is a pause, not an outage: back without a probe, and not worth telling the fleet.
    const pause = failure && !ejected && baseMs === undefined && QUICK.includes(reason);
    this.#enter(
      {
        kind: cooling ? state.kind : ejected ? "ejected" : "cooling",
        reason: kept ? state.reason : reason,
        since: cooling ? state.since : now,
        until,
        hits: cooling ? state.hits + 1 : 1,
        probe: kept ? state.probe : failure && !pause,
      },
      now,
    );
    if (wasProbe) this.#emitProbe(cause, now, false);
    if (cooling) return;
    this.#emitCooldown(reason, status, cooldownMs, until, ejected, cause.requestId, now);
    if (SHAREABLE.includes(reason) && !pause) {
      host.shared?.publish({
        type: "cooldown",
        backend: this.#info.name,
        deployment: this.deployment,
        reason,
        remainingMs: cooldownMs,
        failures: failure ? this.#failures : 0,
      });
    }
  }

  /** The cooldown of a failure (see {@link fail}), from the count of failures in a row. */
  #cooldownMs(reason: CooldownReason, baseMs: number | undefined, ejected: boolean): number {
    const { defaultCooldownMs, maxCooldownMs, failureThreshold } = this.#host;
    const quick = baseMs === undefined && QUICK.includes(reason);
    const ceiling = baseMs === undefined && CHEAP.includes(reason) ? defaultCooldownMs : maxCooldownMs;
    const base = Math.min(Math.max(0, baseMs ?? (quick ? QUICK_COOLDOWN_MS : defaultCooldownMs)), ceiling);
    if (!ejected) return base;
    const doublings = Math.min(this.#failures - failureThreshold + 1, MAX_DOUBLINGS);
    return Math.max(base, Math.min(ceiling, base * 2 ** doublings));
  }

  /**
   * An attempt got a response the caller takes: the failures in a row end, and a probe brings it back. Only the
   * probe: another attempt's success (one sent before the cooldown, answered late) says how the backend was, as
   * it does while cooling; and the holder of the shared probe lease brought back that way would never tell the
   * fleet, which waits for its verdict until the lease runs out.
   */
  succeed(cause: Cause, wasProbe: boolean): void {
    this.#failures = 0;
    const state = this.#state;
    if (!wasProbe || (state.kind !== "probing" && state.kind !== "claiming")) return;
    const now = this.#host.now();
    this.#enter(AVAILABLE, now);
    this.#emitProbe(cause, now, true);
    this.#host.shared?.publish({ type: "recovered", backend: this.#info.name, deployment: this.deployment });
  }

  /**
   * A cooldown another process shared: merged by the later deadline. Into a cooldown it emits
   * `cooldown` with `remote: true`; an extension of one under way emits nothing (as locally).
   */
  coolRemotely(update: RemoteCooldown): void {
    const host = this.#host;
    const now = host.now();
    const until = now + update.remainingMs;
    const state = this.#state;
    if (isFailure(update.reason)) this.#failures = Math.max(this.#failures, update.failures);
    if (isCooldown(state)) {
      if (until > state.until) this.#enter({ ...state, until }, now);
      return;
    }
    if (update.remainingMs <= 0) return;
    const ejected = isFailure(update.reason) && this.#failures >= host.failureThreshold;
    const probe = isFailure(update.reason);
    this.#enter(
      { kind: ejected ? "ejected" : "cooling", reason: update.reason, since: now, until, hits: 0, probe },
      now,
    );
    this.#emitCooldown(update.reason, undefined, update.remainingMs, until, ejected, undefined, now);
  }

  /** Another process's probe succeeded: a failure's cooldown or probe is over here too (a 429's deadline stands). */
  recoverRemotely(): void {
    const state = this.#state;
    if (state.kind === "available") return;
    if (isCooldown(state) && !isFailure(state.reason)) return;
    this.#failures = 0;
    const now = this.#host.now();
    this.#enter(AVAILABLE, now);
    if (isCooldown(state)) this.#emitRecovery(state, now);
  }

  /** Stops its timer (the balancer closes). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Asks the shared store for the probe lease, in the background: out of rotation until it answers.
   * Won: this process probes. Lost: out until the winner shares its verdict or the lease runs out (then
   * ask again). A store that fails or is slower than {@link CLAIM_PATIENCE_MS}: probe here, as without one.
   */
  #claim(reason: CooldownReason, now: number): void {
    const host = this.#host;
    // Still the holder (its probe failed, and the next cooldown ended within the lease): the store would say
    // "taken" (by this process), and nobody would probe until the lease ran out.
    if (now < this.#leaseUntil) {
      this.#enter({ kind: "probing", reason, inFlight: false }, now);
      return;
    }
    const claiming: BreakerState = { kind: "claiming", reason, leased: false };
    this.#enter(claiming, now);
    const probeHere = (): void => {
      if (this.#state === claiming) this.#enter({ kind: "probing", reason, inFlight: false }, host.now());
    };
    this.#timer = backgroundTimer(probeHere, CLAIM_PATIENCE_MS);
    host.shared!.claim(this.#info.name, this.deployment, host.probeLeaseMs).then(
      (won) => {
        // Won late or not, the lease is this process's: its next claim within it must not be refused by itself.
        if (won) this.#leaseUntil = now + host.probeLeaseMs;
        // Decided meanwhile (by the patience timer or a remote update), or closed: nothing more to do.
        if (this.#state !== claiming || host.closed) return;
        if (won) {
          probeHere();
          return;
        }
        const leased: BreakerState = { kind: "claiming", reason, leased: true };
        this.#enter(leased, host.now());
        this.#timer = backgroundTimer(() => {
          if (this.#state === leased && host.shared !== undefined) this.#claim(reason, host.now());
        }, host.probeLeaseMs);
      },
      (error: unknown) => {
        host.shared?.report(error);
        probeHere();
      },
    );
  }

  /** Emits an event about this breaker (its backend, its deployment), when anyone listens. */
  #emit<T extends "cooldown" | "recovery" | "probe">(
    type: T,
    now: number,
    fields: Omit<EventOfType<T>, "type" | "at" | "backend" | "deployment">,
  ): void {
    const { events } = this.#host;
    if (events.active) {
      events.emit({ type, at: now, backend: this.#info, deployment: this.deployment, ...fields } as EventOfType<T>);
    }
  }

  /** One `cooldown` event per transition into a cooldown; `requestId` is `undefined` when it was learned remotely. */
  #emitCooldown(
    reason: CooldownReason,
    status: number | undefined,
    cooldownMs: number,
    until: number,
    ejected: boolean,
    requestId: number | undefined,
    now: number,
  ): void {
    this.#emit("cooldown", now, {
      reason,
      status,
      cooldownMs,
      until,
      consecutiveFailures: isFailure(reason) ? this.#failures : 0,
      ejected,
      remote: requestId === undefined,
      requestId,
    });
  }

  #emitRecovery(state: CooldownState, now: number): void {
    this.#emit("recovery", now, { downMs: now - state.since, hits: state.hits });
  }

  #emitProbe(cause: Cause, now: number, success: boolean): void {
    this.#emit("probe", now, { requestId: cause.requestId, attempt: cause.attempt, success });
  }

  /** Every transition: the state, its deadline and its timer change together here. */
  #enter(state: BreakerState, now: number): void {
    this.#state = state;
    const was = this.#open;
    this.#open = state.kind === "available" || (state.kind === "probing" && !state.inFlight);
    if (this.#open && !was) this.#host.wake?.();
    this.stop();
    if (!isCooldown(state)) {
      this.#deadline = Number.POSITIVE_INFINITY;
      return;
    }
    this.#deadline = state.until;
    if (state.until < this.#host.nextDeadline) this.#host.nextDeadline = state.until;
    if (!this.#host.closed) this.#schedule(state.until - now);
  }

  #schedule(delayMs: number): void {
    this.#timer = backgroundTimer(() => {
      this.#timer = undefined;
      const now = this.#host.now();
      // An injected clock may lag the timers, and a long cooldown outlasts one timer: look again then.
      if (now < this.#deadline) this.#schedule(this.#deadline - now);
      else this.advance(now);
    }, delayMs);
  }
}
