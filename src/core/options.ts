import type {
  BackendConfig,
  BackendKind,
  FetchFunction,
  LoadBalancerOptions,
  Logger,
  SelectionStrategy,
  TokenProvider,
} from "../types/options.js";

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
  readonly kind: BackendKind | undefined;
  readonly apiKey: string | undefined;
  readonly tokenProvider: TokenProvider | undefined;
  /** Caller's model → this backend's name; `undefined`: every model, under the caller's name. */
  readonly models: ReadonlyMap<string, string> | undefined;
  readonly apiVersion: string;
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
}

const STRATEGIES: readonly SelectionStrategy[] = ["random", "round-robin", "failover", "least-inflight"];
const KINDS: readonly BackendKind[] = ["azure", "azure-v1", "openai"];

function fail(field: string, value: unknown, expected: string): never {
  let shown: string;
  try {
    shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    shown = typeof value;
  }
  throw new TypeError(`openai-priority-loadbalancer: ${field} must be ${expected}, got ${shown}.`);
}

function duration(field: string, value: unknown, fallback: number): number;
function duration(field: string, value: unknown, fallback: undefined): number | undefined;
function duration(field: string, value: unknown, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0) || value === Infinity) {
    fail(field, value, "a finite number of milliseconds >= 0");
  }
  return value;
}

function resolveBackend(config: BackendConfig, index: number): ResolvedBackend {
  const at = `backends[${index}]`;
  if (config === null || typeof config !== "object") fail(at, config, "an object with a url");
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    fail(`${at}.url`, config.url, "an absolute http(s) URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") fail(`${at}.url`, config.url, "an http: or https: URL");
  if (url.username !== "" || url.password !== "") {
    fail(`${at}.url`, url.origin + url.pathname, "a URL without credentials (put them in headers)");
  }
  if (url.search !== "" || url.hash !== "") fail(`${at}.url`, config.url, "an origin and path without query or fragment");
  const path = url.pathname.replace(/\/+$/, "");
  const priority = config.priority ?? 1;
  if (!Number.isSafeInteger(priority)) fail(`${at}.priority`, priority, "an integer");
  const weight = config.weight ?? 1;
  if (typeof weight !== "number" || !(weight > 0) || weight === Infinity) fail(`${at}.weight`, weight, "a finite number > 0");
  const name = config.name ?? url.host + path;
  if (typeof name !== "string" || name === "") fail(`${at}.name`, name, "a non-empty string");
  let headers: Headers | undefined;
  if (config.headers !== undefined) {
    try {
      headers = new Headers(config.headers);
    } catch (error) {
      fail(`${at}.headers`, config.headers, `valid headers (${(error as Error).message})`);
    }
  }
  const { kind, apiKey, tokenProvider, apiVersion = "2024-10-21" } = config;
  if (kind !== undefined && !KINDS.includes(kind)) fail(`${at}.kind`, kind, `one of ${KINDS.join(", ")}`);
  if (apiKey !== undefined && (typeof apiKey !== "string" || apiKey === "")) fail(`${at}.apiKey`, typeof apiKey, "a non-empty string");
  if (tokenProvider !== undefined && typeof tokenProvider !== "function") fail(`${at}.tokenProvider`, tokenProvider, "a function");
  if (apiKey !== undefined && tokenProvider !== undefined) fail(`${at}.apiKey`, "(set)", "left out when tokenProvider is set (one credential per backend)");
  if (typeof apiVersion !== "string" || apiVersion === "") fail(`${at}.apiVersion`, apiVersion, "a non-empty string");
  let models: Map<string, string> | undefined;
  if (config.models !== undefined) {
    if (config.models === null || typeof config.models !== "object") fail(`${at}.models`, config.models, "an object mapping model names to deployment or model names");
    models = new Map(Object.entries(config.models));
    for (const [model, target] of models) {
      if (typeof target !== "string" || target === "") fail(`${at}.models[${JSON.stringify(model)}]`, target, "a non-empty string");
    }
  }
  for (const [field, set] of [["apiKey", apiKey], ["tokenProvider", tokenProvider], ["models", models]] as const) {
    if (set !== undefined && kind === undefined) fail(`${at}.kind`, undefined, `set when ${field} is (one of ${KINDS.join(", ")}), so the request can be shaped for it`);
  }
  return { name, url: config.url, base: url.origin + path, priority, weight, headers, kind, apiKey, tokenProvider, models, apiVersion };
}

/** Validates the options and applies the defaults; throws a TypeError naming the field at fault. */
export function resolveOptions(options: LoadBalancerOptions): ResolvedOptions {
  if (options === null || typeof options !== "object") fail("options", options, "an object");
  const { backends } = options;
  if (!Array.isArray(backends) || backends.length === 0) fail("backends", backends, "a non-empty array");
  const resolved = backends.map(resolveBackend);
  const names = new Set<string>();
  for (const [index, backend] of resolved.entries()) {
    if (names.has(backend.name)) fail(`backends[${index}].name`, backend.name, "unique (set distinct names)");
    names.add(backend.name);
  }
  const defaultCooldownMs = duration("defaultCooldownMs", options.defaultCooldownMs, 10_000);
  const maxCooldownMs = duration("maxCooldownMs", options.maxCooldownMs, Math.max(300_000, defaultCooldownMs));
  const selection = options.selection ?? "random";
  if (!STRATEGIES.includes(selection)) fail("selection", selection, `one of ${STRATEGIES.join(", ")}`);
  const failureThreshold = options.failureThreshold ?? 3;
  if (!Number.isSafeInteger(failureThreshold) || failureThreshold < 1) fail("failureThreshold", failureThreshold, "an integer >= 1");
  const attemptTimeoutMs = duration("attemptTimeoutMs", options.attemptTimeoutMs, undefined);
  if (attemptTimeoutMs === 0) fail("attemptTimeoutMs", 0, "greater than 0 (or left out for no limit)");
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
  };
}
