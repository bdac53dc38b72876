/** Cancels what {@link scheduleFrame} scheduled. */
export type CancelFrame = () => void;

/**
 * Runs `callback` before the next paint (`requestAnimationFrame`), or after ~16 ms where there is
 * no animation frame (a worker, a test environment without it). Looked up at call time.
 */
export function scheduleFrame(callback: () => void): CancelFrame {
  const raf = globalThis.requestAnimationFrame;
  if (typeof raf === "function") {
    const id = raf.call(globalThis, () => callback());
    return () => globalThis.cancelAnimationFrame(id);
  }
  const id = setTimeout(callback, 16);
  return () => clearTimeout(id);
}
