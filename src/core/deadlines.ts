import { backgroundTimer } from "../utils/timers.ts";

/**
 * How often the header deadlines are checked: a header timeout fires up to this much late. Header
 * timeouts are tens of seconds, so a second is precise enough, and one timer for all attempts costs
 * nothing per attempt (a `setTimeout` and `clearTimeout` per attempt cost about 1 µs).
 */
export const SWEEP_MS = 1000;

/** What a header timeout rejects an attempt with. */
const timedOut = (): DOMException => new DOMException("No response headers within the header timeout.", "TimeoutError");

/**
 * One attempt waiting for its response headers: {@link race} settles as the awaited promise does, or
 * rejects with the caller's abort reason, or with a `TimeoutError` once the sweep finds its deadline past.
 * One listener on the caller's signal at most (an object with `handleEvent`: no closure per attempt), added
 * only once a raced promise is still pending a microtask after the race began: an answer that is already there
 * (an in-process fetch, a cached token) costs no `addEventListener` / `removeEventListener` pair. Nothing but
 * microtasks runs before it is added, and an abort among them is seen when it is (see {@link race}).
 */
export class HeaderWatch {
  readonly deadline: number;
  /** The deadline passed before the headers arrived. */
  expired = false;
  readonly #sweep: HeaderDeadlines;
  readonly #signal: AbortSignal | undefined;
  #reject: ((reason: unknown) => void) | undefined;
  /** The listener is on the caller's signal. */
  #listening = false;
  /** Neighbours in the sweep's list (cheaper than a Set: no hashing, nothing kept after {@link end}). */
  previous: HeaderWatch | undefined;
  next: HeaderWatch | undefined;

  constructor(sweep: HeaderDeadlines, deadline: number, signal: AbortSignal | undefined) {
    this.#sweep = sweep;
    this.deadline = deadline;
    this.#signal = signal;
  }

  /** The caller aborted. */
  handleEvent(): void {
    this.#reject?.(this.#signal!.reason);
  }

  /** The sweep found the deadline past. */
  expire(): void {
    this.expired = true;
    this.#reject?.(timedOut());
  }

  /**
   * `pending`, raced against the caller's abort and the deadline; `onLate` gets what `pending` resolves
   * to after one of those won (to release a response's connection).
   */
  race<T>(pending: Promise<T>, onLate?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let lost = false;
      let settled = false;
      const fail = (reason: unknown): void => {
        lost = true;
        reject(reason);
      };
      this.#reject = fail;
      if (this.#signal?.aborted) fail(this.#signal.reason);
      else if (this.expired) fail(timedOut());
      pending.then(
        (value) => {
          settled = true;
          if (lost) onLate?.(value);
          else resolve(value);
        },
        reject, // a no-op once the abort or the deadline won
      );
      // Queued after `pending`'s own reaction: a promise already resolved has by the time this runs (one that
      // rejected gets the listener for nothing, until end()).
      const signal = this.#signal;
      if (!lost && !this.#listening && signal !== undefined)
        queueMicrotask(() => {
          if (settled || this.#reject !== fail) return;
          this.#listening = true;
          signal.addEventListener("abort", this);
          // An abort that came before: no event will come for it.
          if (signal.aborted) fail(signal.reason);
        });
    });
  }

  /** The headers arrived or the attempt ended: no longer watched. */
  end(): void {
    this.#reject = undefined;
    if (this.#listening) this.#signal!.removeEventListener("abort", this);
    this.#sweep.forget(this);
  }
}

/**
 * The header deadlines of one balancer's attempts, checked by one coarse timer ({@link SWEEP_MS}) that
 * runs only while an attempt is watched and does not keep the runtime alive.
 */
export class HeaderDeadlines {
  readonly #now: () => number;
  /** The watched attempts, newest first. */
  #head: HeaderWatch | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Watches an attempt until `deadline` (monotonic ms); call `end()` on the result when its headers arrive. */
  watch(deadline: number, signal: AbortSignal | undefined): HeaderWatch {
    const watch = new HeaderWatch(this, deadline, signal);
    const head = this.#head;
    if (head !== undefined) {
      watch.next = head;
      head.previous = watch;
    }
    this.#head = watch;
    this.#timer ??= backgroundTimer(this.#sweep, SWEEP_MS);
    return watch;
  }

  /** No longer watched (a second call does nothing). */
  forget(watch: HeaderWatch): void {
    const { previous, next } = watch;
    if (previous !== undefined) previous.next = next;
    else if (this.#head === watch) this.#head = next;
    else return;
    if (next !== undefined) next.previous = previous;
    watch.previous = watch.next = undefined;
  }

  /** Stops the timer (the balancer closes). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #sweep = (): void => {
    this.#timer = undefined;
    const now = this.#now();
    for (let watch = this.#head; watch !== undefined; ) {
      const { next } = watch;
      if (now >= watch.deadline) {
        this.forget(watch);
        watch.expire();
      }
      watch = next;
    }
    if (this.#head !== undefined) this.#timer = backgroundTimer(this.#sweep, SWEEP_MS);
  };
}
