type TimerHandle = ReturnType<typeof setTimeout>;

/**
 * The longest delay `setTimeout` holds: a longer one overflows and fires at once (Node warns and
 * uses 1 ms), so a long cooldown would become a busy loop. As ky's `maxSafeTimeout`.
 */
export const maxTimerDelay = 2_147_483_647;

/** A delay `setTimeout` takes as meant: `NaN` and negatives become 0, the rest at most {@link maxTimerDelay}. */
export function clampDelay(ms: number): number {
  return ms > 0 ? Math.min(ms, maxTimerDelay) : 0;
}

/**
 * Lets the runtime exit while the timer is pending: Node and Bun return objects with `unref`,
 * Deno returns a number and offers `Deno.unrefTimer`, browsers have neither and need neither.
 */
export function unrefTimer(handle: TimerHandle): void {
  if (typeof handle === "number")
    (globalThis as { Deno?: { unrefTimer?(id: number): void } }).Deno?.unrefTimer?.(handle);
  else (handle as { unref?(): void }).unref?.();
}

/** A `setTimeout` with the delay clamped, that does not keep the runtime alive. */
export function backgroundTimer(callback: () => void, ms: number): TimerHandle {
  const handle = setTimeout(callback, clampDelay(ms));
  unrefTimer(handle);
  return handle;
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, clampDelay(ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Settles as `promise` does, or rejects with the signal's reason as soon as it aborts, whichever
 * comes first: for awaits on code that may ignore the signal (a token provider, a custom fetch).
 * `onLate` gets what `promise` resolves to after the abort won (to release a response's connection).
 * One listener, removed when either side settles; no `AbortSignal.any` (it leaks in Node 20 when
 * the signal lives long, nodejs/node#55351).
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, onLate?: (value: T) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      settled = true;
      reject(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        if (settled) onLate?.(value);
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error); // a no-op once the abort won
      },
    );
  });
}
