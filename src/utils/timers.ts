type TimerHandle = ReturnType<typeof setTimeout>;

/**
 * Lets the runtime exit while the timer is pending: Node and Bun return objects with `unref`,
 * Deno returns a number and offers `Deno.unrefTimer`, browsers have neither and need neither.
 */
export function unrefTimer(handle: TimerHandle): void {
  if (typeof handle === "number")
    (globalThis as { Deno?: { unrefTimer?(id: number): void } }).Deno?.unrefTimer?.(handle);
  else (handle as { unref?(): void }).unref?.();
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
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
