// `node:test` in the browser run: the same names, on vitest.
export { afterAll as after, beforeAll as before, describe, it, test } from "vitest";
