/** Assertions without node:assert, which the browser lacks. */

export class AssertionError extends Error {
  override name = "AssertionError";
}

const show = (value: unknown): string => {
  try {
    return typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
};

/** Fails unless `value` is truthy. */
export function ok(value: unknown, message = "expected a truthy value"): asserts value {
  if (!value) throw new AssertionError(`${message} (got ${show(value)})`);
}

/** Fails unless `actual` and `expected` are the same value (`Object.is`). */
export function equal<T>(actual: T, expected: T, message = "values differ"): void {
  if (!Object.is(actual, expected))
    throw new AssertionError(`${message}: expected ${show(expected)}, got ${show(actual)}`);
}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every(
    (key) => Object.hasOwn(b, key) && same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

/** Fails unless `actual` and `expected` have the same structure (own enumerable keys, recursively). */
export function deepEqual(actual: unknown, expected: unknown, message = "values differ"): void {
  if (!same(actual, expected))
    throw new AssertionError(`${message}:\n  expected ${show(expected)}\n  got      ${show(actual)}`);
}

/** Awaits `promise` and fails unless it rejects; returns the rejection reason. */
export async function rejects(promise: Promise<unknown>, message = "expected a rejection"): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new AssertionError(message);
}
