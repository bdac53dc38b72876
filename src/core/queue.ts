import type { QueueSnapshot } from "../types/balancer.ts";
import type { WaitReason } from "../types/events.ts";
import { clampDelay } from "../utils/timers.ts";
import type { AttemptTicket, Backend } from "./backend.ts";
import type { Emitter } from "./events.ts";

/** A backend chosen for a waiter, its attempt already started (so the next waiter sees its reservation). */
export interface Held {
  readonly backend: Backend;
  readonly ticket: AttemptTicket;
}

/**
 * A waiter's turn: selects a backend and starts the attempt on it, or says how long until one may be back, ms.
 * Called only in {@link WaitQueue.serve}, in arrival order.
 */
export type Take = (now: number) => Held | number;

/** What the queue needs to know of a waiting request. */
export interface WaitRequest {
  readonly requestId: number;
  readonly attempt: number;
  readonly reason: WaitReason;
  readonly retryAfterMs: number;
  /** What is left of its `maxWaitMs`, ms. */
  readonly budgetMs: number;
  readonly signal: AbortSignal | undefined;
  readonly take: Take;
}

interface Waiter {
  readonly request: WaitRequest;
  readonly since: number;
  readonly deadline: number;
  retryAt: number;
  /** Time the queue's timer has waited while it waited: its budget runs out even on a clock that stands still. */
  timed: number;
  readonly done: (result: Held | undefined, error?: unknown) => void;
}

/**
 * The requests waiting inside the balancer for a backend, served in arrival order (the order of their `lb.fetch`
 * calls: one that waits again keeps its place). One pass ({@link serve}) gives
 * each waiter, oldest first, its turn at selection: whatever a waiter passed over could not use is free for the
 * next, and a new arrival runs a pass before it selects, so it never overtakes a waiter that could use the same
 * capacity; it only takes what no waiter can use (another model, another pinned backend). A pass runs when
 * capacity may have returned (a breaker back in rotation, a pacing reservation released: {@link wake}), on an
 * arrival while anyone waits, and on the queue's one timer: the soonest of the waiters' expected recoveries and
 * deadlines.
 */
export class WaitQueue {
  readonly #waiters: Waiter[] = [];
  readonly #now: () => number;
  readonly #events: Emitter;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #woken = false;
  #maxWaitedMs = 0;
  #closed = false;

  constructor(now: () => number, events: Emitter) {
    this.#now = now;
    this.#events = events;
  }

  /** Requests waiting now. */
  get size(): number {
    return this.#waiters.length;
  }

  /**
   * Waits for the request's turn: the backend held for it, or `undefined` when its budget ran out. Rejects with
   * the signal's reason when the caller aborts, and with `closed()` when the balancer closes.
   */
  wait(request: WaitRequest, closed: () => unknown): Promise<Held | undefined> {
    return new Promise((resolve, reject) => {
      const now = this.#now();
      const { signal } = request;
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index === -1) return;
        this.#waiters.splice(index, 1);
        this.#left(waiter, "aborted", this.#now());
        this.#arm();
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        request,
        since: now,
        deadline: now + request.budgetMs,
        retryAt: now + Math.max(1, request.retryAfterMs),
        timed: 0,
        done: (result, error) => {
          signal?.removeEventListener("abort", onAbort);
          if (error === undefined) resolve(result);
          else reject(closed());
        },
      };
      // In arrival order: a request that waits again (its turn came, and the backend answered 429) keeps its place.
      const waiters = this.#waiters;
      let place = waiters.length;
      while (place > 0 && waiters[place - 1]!.request.requestId > request.requestId) place--;
      waiters.splice(place, 0, waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (this.#events.active) {
        this.#events.emit({
          type: "queued",
          at: now,
          requestId: request.requestId,
          attempt: request.attempt,
          reason: request.reason,
          waiting: this.#waiters.length,
          retryAfterMs: request.retryAfterMs,
        });
      }
      this.#arm();
    });
  }

  /** One pass: each waiter, oldest first, takes a backend if one is free for it; those past their deadline leave. */
  serve(now: number): void {
    const waiters = this.#waiters;
    for (let index = 0; index < waiters.length; ) {
      const waiter = waiters[index]!;
      const taken = waiter.request.take(now);
      if (typeof taken !== "number") {
        waiters.splice(index, 1);
        this.#left(waiter, "resumed", now);
        waiter.done(taken);
      } else if (now >= waiter.deadline || waiter.timed >= waiter.request.budgetMs) {
        waiters.splice(index, 1);
        this.#left(waiter, "timed-out", now);
        waiter.done(undefined);
      } else {
        waiter.retryAt = now + Math.max(1, taken);
        index++;
      }
    }
    this.#arm();
  }

  /** Capacity may have returned: a pass, once, after the current task's synchronous work (not inside it). */
  wake(): void {
    if (this.#woken || this.#waiters.length === 0) return;
    this.#woken = true;
    queueMicrotask(() => {
      this.#woken = false;
      if (!this.#closed && this.#waiters.length > 0) this.serve(this.#now());
    });
  }

  /** The balancer closes: every waiter is rejected (with the closed error), the timer stops. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    const now = this.#now();
    for (const waiter of this.#waiters.splice(0)) {
      this.#left(waiter, "aborted", now);
      waiter.done(undefined, true);
    }
  }

  /** What the snapshot shows. */
  view(now: number): QueueSnapshot {
    const oldest = this.#waiters[0];
    return {
      waiting: this.#waiters.length,
      oldestWaitMs: oldest === undefined ? 0 : Math.max(0, now - oldest.since),
      maxWaitedMs: this.#maxWaitedMs,
    };
  }

  #left(waiter: Waiter, result: "resumed" | "timed-out" | "aborted", now: number): void {
    const waitedMs = Math.max(0, now - waiter.since);
    if (waitedMs > this.#maxWaitedMs) this.#maxWaitedMs = waitedMs;
    if (this.#events.active) {
      this.#events.emit({
        type: "dequeued",
        at: now,
        requestId: waiter.request.requestId,
        attempt: waiter.request.attempt,
        result,
        waitedMs,
        waiting: this.#waiters.length,
      });
    }
  }

  /** The one timer: at the soonest expected recovery or deadline of any waiter; none while nobody waits. */
  #arm(): void {
    let at = Number.POSITIVE_INFINITY;
    for (const waiter of this.#waiters) at = Math.min(at, waiter.retryAt, waiter.deadline);
    if (at === this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (at === Number.POSITIVE_INFINITY || this.#closed) return;
    const delay = clampDelay(Math.max(1, at - this.#now()));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      for (const waiter of this.#waiters) waiter.timed += delay;
      this.serve(this.#now());
    }, delay);
  }
}
