import type { BackendInfo, ThrottleReason } from "../types/events.js";
import { unrefTimer } from "../utils/timers.js";
import type { ResolvedBackend } from "./options.js";

/** A backend's live state: whether it is in rotation, and its counters. */
export class Backend {
  readonly config: ResolvedBackend;
  /** Shared by every event about this backend; frozen so a listener cannot change it. */
  readonly info: BackendInfo;
  /** Cooling until this time (epoch ms); meaningful only while `reason` is set. */
  until = 0;
  /** Why it is cooling; `null` while in rotation. */
  reason: ThrottleReason | null = null;
  inFlight = 0;
  requests = 0;
  successes = 0;
  throttles = 0;
  errors = 0;
  lastStatus: number | null = null;
  /** Smooth weighted round-robin's running weight (see select.ts). */
  current = 0;

  #since = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #now: () => number;
  readonly #onRecover: (backend: Backend, downMs: number, at: number) => void;

  constructor(
    config: ResolvedBackend,
    now: () => number,
    onRecover: (backend: Backend, downMs: number, at: number) => void,
  ) {
    this.config = config;
    this.info = Object.freeze({ name: config.name, url: config.url, priority: config.priority, weight: config.weight });
    this.#now = now;
    this.#onRecover = onRecover;
  }

  /** In rotation at `now`? A cooldown that has ended is closed here (and `recovery` fires) if its timer has not done it yet. */
  isAvailable(now: number): boolean {
    if (this.reason === null) return true;
    if (this.until > now) return false;
    this.#recover(now);
    return true;
  }

  /** Takes the backend out of rotation; a backend already cooling keeps the later deadline. Returns that deadline. */
  coolDown(reason: ThrottleReason, cooldownMs: number, now: number): number {
    if (this.reason === null) {
      this.#since = now;
      this.until = now + cooldownMs;
    } else {
      this.until = Math.max(this.until, now + cooldownMs);
    }
    this.reason = reason;
    this.#schedule(now);
    return this.until;
  }

  #schedule(now: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const at = this.#now();
      // An injected clock may lag the timers; then look again when it should have caught up.
      if (!this.isAvailable(at)) this.#schedule(at);
    }, Math.max(0, this.until - now));
    unrefTimer(this.#timer);
  }

  #recover(now: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.reason = null;
    this.#onRecover(this, now - this.#since, now);
  }
}
