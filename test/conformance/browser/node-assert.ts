// `node:assert/strict` in the browser run: the functions the conformance cases use, on vitest's expect.
import { expect } from "vitest";

function fail(message = "Failed"): never {
  throw new Error(message);
}

const assert = {
  equal: (actual: unknown, expected: unknown, message?: string): void => expect(actual, message).toBe(expected),
  deepEqual: (actual: unknown, expected: unknown, message?: string): void =>
    expect(actual, message).toStrictEqual(expected),
  ok: (value: unknown, message?: string): void => expect(value, message).toBeTruthy(),
  match: (actual: string, pattern: RegExp, message?: string): void => expect(actual, message).toMatch(pattern),
  fail,
};

export default assert;
