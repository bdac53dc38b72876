import type { BackendSnapshot, BackendState } from "../types/balancer.js";
import type { BackendInfo, CooldownReason as ThrottleReason } from "../types/events.js";
import { unrefTimer } from "../utils/timers.js";
import type { ResolvedBackend } from "./options.js";

/** Reasons that count towards ejection: the backend is broken, not merely busy (429, quota). */
const FAILURES: ReadonlySet<ThrottleReason> = new Set(["server-error", "network-error", "timeout", "credentials"]);

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

/** What a cooldown came to, for the cooldown event. */
export interface Cooldown {
  /** `true` when the backend went into this cooldown now; `false` when it was already cooling (no new event). */
  readonly started: boolean;
  readonly cooldownMs: number;
  readonly until: number;
  readonly consecutiveFailures: number;
  readonly ejected: boolean;
}

/**
 * A backend's live state. In rotation → (429, 5xx, error) cooling or ejected → (deadline passes)
 * back in rotation after a 429; after a failure, probing: one request at a time tries it →
 * (success) in rotation, or (failure) cooling again.
 */
export class Backend {
  readonly config: ResolvedBackend;
  /** Shared by every event about this backend; frozen so a listener cannot change it. */
  readonly info: BackendInfo;
  /** Out of rotation until `until` (epoch ms). */
  cooling = false;
  until = 0;
  /** Why it is, or while probing was, out of rotation; `null` in rotation. */
  reason: ThrottleReason | null = null;
  /** The cooldown ended and no request has succeeded on it since. */
  probing = false;
  probeInFlight = false;
  ejected = false;
  consecutiveFailures = 0;
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

  #since = 0;
  /** Failed attempts that ran into the current cooldown. */
  #hits = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #now: () => number;
  readonly #onRecover: (backend: Backend, downMs: number, at: number, hits: number) => void;

  constructor(
    config: ResolvedBackend,
    now: () => number,
    onRecover: (backend: Backend, downMs: number, at: number, hits: number) => void,
  ) {
    this.config = config;
    this.info = Object.freeze({ name: config.name, url: config.url, priority: config.priority, weight: config.weight });
    this.#now = now;
    this.#onRecover = onRecover;
  }

  /**
   * Can an attempt go here at `now`? A cooldown that has ended is closed here (and `recovery` fires)
   * if its timer has not done it yet; a probing backend takes one attempt at a time.
   */
  isAvailable(now: number): boolean {
    if (this.cooling) {
      if (this.until > now) return false;
      this.#endCooldown(now);
    }
    return !this.probeInFlight;
  }

  state(now: number): BackendState {
    this.isAvailable(now);
    if (this.cooling) return this.ejected ? "ejected" : "cooling";
    return this.probing ? "probing" : "available";
  }

  /** An attempt starts here; returns whether it is the probe of a backend that just came back. */
  startAttempt(): boolean {
    if (this.probing) this.probeInFlight = true;
    this.stats.requests++;
    this.stats.inFlight++;
    return this.probing;
  }

  /** The attempt ended without a verdict on the backend (the caller aborted). */
  abandonAttempt(): void {
    this.stats.inFlight--;
    this.probeInFlight = false;
  }

  /** The attempt failed: a 429, a 5xx, or no response at all. */
  fail(reason: ThrottleReason, status: number | undefined): void {
    const { stats } = this;
    stats.inFlight--;
    if (status !== undefined) stats.lastStatus = status;
    if (reason === "rate-limit") stats.throttles++;
    else stats.errors++;
  }

  /** The backend answered with something the caller gets; returns whether that ended a probe. */
  succeed(status: number): boolean {
    const { stats } = this;
    stats.inFlight--;
    stats.successes++;
    stats.lastStatus = status;
    this.consecutiveFailures = 0;
    const probed = this.probing;
    this.probing = false;
    this.probeInFlight = false;
    this.reason = null;
    return probed;
  }

  /**
   * Takes the backend out of rotation for `baseMs`, escalated for repeated failures: from the
   * `threshold`-th failure in a row (each after a probe) the cooldown doubles with each (as Envoy's
   * outlier ejection does), up to `maxMs`. A backend already cooling keeps the later deadline.
   */
  coolDown(reason: ThrottleReason, baseMs: number, now: number, threshold: number, maxMs: number): Cooldown {
    const failure = FAILURES.has(reason);
    // Attempts already in flight when the backend went out fail together: one outage, counted once.
    if (!this.cooling) {
      if (failure) this.consecutiveFailures++;
      this.ejected = failure && this.consecutiveFailures >= threshold;
    }
    const cooldownMs = this.ejected
      ? Math.max(baseMs, Math.min(maxMs, baseMs * 2 ** (this.consecutiveFailures - threshold + 1)))
      : baseMs;
    const started = !this.cooling;
    if (started) {
      this.cooling = true;
      this.#since = now;
      this.#hits = 0;
      this.until = now + cooldownMs;
    } else {
      this.until = Math.max(this.until, now + cooldownMs);
    }
    this.reason = reason;
    this.#hits++;
    this.probing = false;
    this.probeInFlight = false;
    this.#schedule(now);
    return {
      started,
      cooldownMs,
      until: this.until,
      consecutiveFailures: failure ? this.consecutiveFailures : 0,
      ejected: this.ejected,
    };
  }

  #schedule(now: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        const at = this.#now();
        // An injected clock may lag the timers; then look again when it should have caught up.
        if (!this.isAvailable(at) && this.cooling) this.#schedule(at);
      },
      Math.max(0, this.until - now),
    );
    unrefTimer(this.#timer);
  }

  #endCooldown(now: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.cooling = false;
    // A 429 or a spent quota came with the time the backend would be back, so it is; a backend that
    // was failing has promised nothing and is tried by one request before it takes the load again.
    if (FAILURES.has(this.reason!)) this.probing = true;
    else this.reason = null;
    this.#onRecover(this, now - this.#since, now, this.#hits);
  }
}
