import { abortCases } from "./cases/abort.js";
import { eventCases } from "./cases/events.js";
import { exhaustedCases } from "./cases/exhausted.js";
import { failoverCases } from "./cases/failover.js";
import { headerCases } from "./cases/headers.js";
import { priorityCases } from "./cases/priority.js";
import { replayCases } from "./cases/replay.js";
import { socketCases } from "./cases/socket.js";
import { streamingCases } from "./cases/streaming.js";
import type { Lib, Platform } from "./context.js";
import { Registry, runTests, type Summary } from "./harness.js";

export type { Lib, Platform } from "./context.js";
export type { Summary } from "./harness.js";
export { handleBackendRequest } from "./server.js";

/**
 * Runs the whole conformance suite against `lib` and writes one line per test, then
 * `N passed, N failed`. The same suite in every runtime; only `platform` differs.
 */
export function runConformance(lib: Lib, platform: Platform, log: (line: string) => void): Promise<Summary> {
  const t = new Registry();
  const context = { t, lib, platform };
  t.group("priority", () => priorityCases(context));
  t.group("failover", () => failoverCases(context));
  t.group("headers", () => headerCases(context));
  t.group("exhausted", () => exhaustedCases(context));
  t.group("streaming", () => streamingCases(context));
  t.group("replay", () => replayCases(context));
  t.group("abort", () => abortCases(context));
  t.group("events", () => eventCases(context));
  t.group("socket", () => socketCases(context));
  log(`conformance suite on ${platform.runtime}: ${t.tests.length} tests`);
  return runTests(t.tests, log);
}
