import type { BackendAdapter } from "../types/adapter.js";
import type { JudgeSettings } from "./judge.js";
import { resolveFailoverRules } from "./rules.js";
import { resolveGuardOptions } from "./stream-guard.js";
import type { BackendConfig, FetchFunction, LoadBalancerOptions, Logger, SelectionStrategy } from "../types/options.js";

/** A backend's configuration after validation, with every default applied. */
export interface ResolvedBackend {
  readonly name: string;
  /** As configured, for events and snapshots. */
  readonly url: string;
  /** Origin plus path prefix without a trailing slash: the request's path and query are appended. */
  readonly base: string;
  readonly priority: number;
  readonly weight: number;
  /** `undefined` when the backend sets no headers, so the caller's headers pass through untouched. */
  readonly headers: Headers | undefined;
  readonly adapter: BackendAdapter | undefined;
}

/** Options after validation, with every default applied. */
export interface ResolvedOptions {
  readonly backends: readonly ResolvedBackend[];
  readonly defaultCooldownMs: number;
  readonly maxCooldownMs: number;
  readonly selection: SelectionStrategy;
  readonly failureThreshold: number;
  readonly attemptTimeoutMs: number | undefined;
  readonly maxWaitMs: number;
  readonly fetch: FetchFunction;
  readonly now: () => number;
  readonly random: () => number;
  readonly logger: Logger | undefined;
  /** The failover rules and the stream guard. */
  readonly judge: JudgeSettings;
}

const STRATEGIES: readonly SelectionStrategy[] = ["random", "round-robin", "failover", "least-inflight"];

function fail(field: string, value: unknown, expected: string): never {
  // Objects are named by type only: String() of one may throw, and its contents may hold secrets.
  const shown =
    typeof value === "string"
      ? JSON.stringify(value)
      : value !== null && typeof value === "object"
        ? typeof value
        : String(value);
  throw new TypeError(`openai-priority-loadbalancer: ${field} must be ${expected}, got ${shown}.`);
}

function duration(field: string, value: unknown, fallback: number): number;
function duration(field: string, value: unknown, fallback: undefined): number | undefined;
function duration(field: string, value: unknown, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0) || value === Infinity) {
    fail(field, value, "a number of milliseconds >= 0");
  }
  return value;
}

function resolveBackend(config: BackendConfig, index: number): ResolvedBackend {
  const at = `backends[${index}]`;
  if (config === null || typeof config !== "object") fail(at, config, "an object");
  let url: URL | undefined;
  try {
    url = new URL(config.url);
  } catch {
    // Not a URL at all: reported below with the other URL faults.
  }
  // Credentials belong in headers, and a query or fragment would be lost when the request's path is appended.
  if (!/^https?:$/.test(url?.protocol ?? "") || url!.username || url!.password || url!.search || url!.hash) {
    fail(`${at}.url`, config.url, "an absolute http(s) URL without credentials, query or fragment");
  }
  const path = url!.pathname.replace(/\/+$/, "");
  const priority = config.priority ?? 1;
  if (!Number.isSafeInteger(priority)) fail(`${at}.priority`, priority, "an integer");
  const weight = config.weight ?? 1;
  if (typeof weight !== "number" || !(weight > 0) || weight === Infinity)
    fail(`${at}.weight`, weight, "a finite number > 0");
  const name = config.name ?? url!.host + path;
  if (typeof name !== "string" || name === "") fail(`${at}.name`, name, "a non-empty string");
  let headers: Headers | undefined;
  if (config.headers !== undefined) {
    try {
      headers = new Headers(config.headers);
    } catch (error) {
      fail(`${at}.headers`, config.headers, `valid headers (${(error as Error).message})`);
    }
  }
  const { adapter } = config;
  if (adapter !== undefined && (typeof adapter?.target !== "function" || typeof adapter.accepts !== "function")) {
    fail(`${at}.adapter`, adapter, "a BackendAdapter");
  }
  return { name, url: config.url, base: url!.origin + path, priority, weight, headers, adapter };
}

/** Validates the options and applies the defaults; throws a TypeError naming the field at fault. */
export function resolveOptions(options: LoadBalancerOptions): ResolvedOptions {
  if (options === null || typeof options !== "object") fail("options", options, "an object");
  const { backends } = options;
  if (!Array.isArray(backends) || backends.length === 0) fail("backends", backends, "a non-empty array");
  const resolved = backends.map(resolveBackend);
  const names = new Set<string>();
  for (const [index, backend] of resolved.entries()) {
    if (names.has(backend.name)) fail(`backends[${index}].name`, backend.name, "unique");
    names.add(backend.name);
  }
  const defaultCooldownMs = duration("defaultCooldownMs", options.defaultCooldownMs, 10_000);
  const maxCooldownMs = duration("maxCooldownMs", options.maxCooldownMs, Math.max(300_000, defaultCooldownMs));
  const selection = options.selection ?? "random";
  if (!STRATEGIES.includes(selection)) fail("selection", selection, `one of ${STRATEGIES.join(", ")}`);
  const failureThreshold = options.failureThreshold ?? 3;
  if (!Number.isSafeInteger(failureThreshold) || failureThreshold < 1)
    fail("failureThreshold", failureThreshold, "an integer >= 1");
  const attemptTimeoutMs = duration("attemptTimeoutMs", options.attemptTimeoutMs, undefined);
  if (attemptTimeoutMs === 0) fail("attemptTimeoutMs", 0, "> 0");
  for (const field of ["fetch", "now", "random"] as const) {
    if (options[field] !== undefined && typeof options[field] !== "function") fail(field, options[field], "a function");
  }
  return {
    backends: resolved,
    defaultCooldownMs,
    maxCooldownMs,
    selection,
    failureThreshold,
    attemptTimeoutMs,
    maxWaitMs: duration("maxWaitMs", options.maxWaitMs, 0),
    // Looked up at call time, not captured: interceptors (msw, nock) replace globalThis.fetch later.
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    logger: options.logger,
    judge: { rules: resolveFailoverRules(options.failoverOn, fail), guard: resolveGuardOptions(options, fail) },
  };
}
