/** Milliseconds on a monotonic clock: wall-clock jumps must not stretch or cut a cooldown short. */
export function monotonicNow(): number {
  return performance.now();
}

/** An id for one connection, so that a process ignores its own messages when the channel echoes them. */
export function randomId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?(): string } }).crypto;
  return crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** Timers longer than 2^31-1 ms fire at once in every runtime. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Resolves or rejects as `promise` does, or rejects after `ms` with a message naming `what`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), Math.min(ms, MAX_TIMER_MS));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
