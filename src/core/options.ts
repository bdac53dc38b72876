import type { BackendAdapter } from "../types/adapter.ts";
import type { SharedState } from "../types/shared.ts";
import type {
  FailoverOptions,
  FetchFunction,
  HeaderTimeouts,
  LoadBalancerOptions,
  Logger,
  SelectionStrategy,
} from "../types/options.ts";
import { isCredentialHeader } from "../utils/credentials.ts";
import { describe, describeSecret, describeUrl, quote } from "../utils/describe.ts";
import { closest } from "../utils/suggest.ts";
import { maxTimerDelay } from "../utils/timers.ts";
import { OwnerMap } from "./affinity.ts";
import type { RoutingOptions } from "./routing.ts";
import type { JudgeSettings } from "./judge.ts";
import { resolveFailoverRules } from "./rules.ts";

/** A backend's configuration after validation, with every default applied. */
export interface ResolvedBackend {
  readonly name: string;
  /** As configured, for events and snapshots (credentials, query and fragment are rejected, so it holds no secret). */
  readonly url: string;
  /** Origin plus path prefix without a trailing slash: the request's path and query are appended. */
  readonly base: string;
  readonly priority: number;
  readonly weight: number;
  /** `undefined` when the backend sets no headers, so the caller's headers pass through untouched. */
  readonly headers: Headers | undefined;
  /** `headers` hold an `api-key` or `authorization`: the caller's credentials are removed before they are set. */
  readonly ownCredential: boolean;
  readonly adapter: BackendAdapter | undefined;
  /** Requests and (estimated) tokens per minute this backend's deployments may be sent; see `BackendConfig.rpm`. */
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
}

/** {@link HeaderTimeouts} after validation: ms, `Infinity` for none, or learned per backend. */
export interface ResolvedHeaderTimeouts {
  readonly streamed: number;
  readonly buffered: number | "learned";
}

/** The default header timeout of streamed requests: Azure OpenAI and OpenAI send their headers at once. */
export const STREAMED_HEADER_TIMEOUT_MS = 30_000;

/** Options after validation, with every default applied. */
export interface ResolvedOptions {
  readonly backends: readonly ResolvedBackend[];
  readonly defaultCooldownMs: number;
  readonly maxCooldownMs: number;
  readonly selection: SelectionStrategy;
  readonly failureThreshold: number;
  readonly attemptTimeoutMs: number | undefined;
  /** Header timeouts by kind, ms; `Infinity`: none. */
  readonly headerTimeout: ResolvedHeaderTimeouts;
  readonly maxWaitMs: number;
  readonly fetch: FetchFunction;
  /** Monotonic ms on the epoch scale: durations, deadlines and event times. */
  readonly now: () => number;
  /** The wall clock, only to turn an HTTP-date into a duration. */
  readonly wallNow: () => number;
  readonly maxAttempts: number;
  readonly shared: SharedState | undefined;
  readonly random: () => number;
  readonly logger: Logger | undefined;
  /** Affinity, home backend and stickiness (see routing.ts). */
  readonly routing: RoutingOptions;
  /** The failover rules and the stream guard. */
  readonly judge: JudgeSettings;
}

/**
 * Every option {@link LoadBalancerOptions} knows. Add a new option here (and read it in
 * `resolveOptions`): any other key is rejected, with the closest of these as a suggestion.
 */
export const OPTION_KEYS: readonly string[] = [
  "backends",
  "defaultCooldownMs",
  "maxCooldownMs",
  "selection",
  "failureThreshold",
  "attemptTimeoutMs",
  "headerTimeoutMs",
  "maxWaitMs",
  "fetch",
  "now",
  "random",
  "logger",
  "maxAttempts",
  "shared",
  "affinity",
  "home",
  "sticky",
  "streamGuard",
  "firstEventTimeoutMs",
  "streamIdleTimeoutMs",
  "malformedEvents",
  "failoverOn",
];

/** Every key a `BackendConfig` knows; the same rule as {@link OPTION_KEYS}. */
export const BACKEND_KEYS: readonly string[] = [
  "url",
  "priority",
  "name",
  "weight",
  "headers",
  "adapter",
  "rpm",
  "tpm",
];

/** Options of the providers' factories: on a backend, they mean a factory was not used (or a key was misspelt). */
const FACTORY_KEYS: readonly string[] = ["apiKey", "tokenProvider", "models", "apiVersion"];

const PREFIX = "openai-priority-loadbalancer: ";
const STRATEGIES: readonly SelectionStrategy[] = ["random", "round-robin", "failover", "least-inflight"];
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FORBIDDEN_IN_VALUE = /[\r\n\0]/;

/** Throws the TypeError every invalid input gets: the field, what it must be, and the value as it may be shown. */
function fail(field: string, shown: string, expected: string): never {
  throw new TypeError(`${PREFIX}${field} must be ${expected}, got ${shown}.`);
}

type Bag = Record<string, unknown>;

/** A property, read once: a getter or Proxy trap that throws is reported as the field's fault. */
function read(source: object, key: string, field: string = key): unknown {
  try {
    return (source as Bag)[key];
  } catch {
    throw new TypeError(`${PREFIX}${field} could not be read (a getter or Proxy threw).`);
  }
}

/** An object's own keys: a Proxy's `ownKeys` trap that throws is reported as the field's fault. */
function keysOf(source: object, field: string): string[] {
  try {
    return Object.keys(source);
  } catch {
    throw new TypeError(`${PREFIX}${field} could not be read (a Proxy threw).`);
  }
}

/** Rejects keys not in `known`, with the closest known one as a suggestion. */
function rejectUnknownKeys(
  source: object,
  known: readonly string[],
  at: string,
  hint?: (key: string) => string | undefined,
): void {
  for (const key of keysOf(source, at)) {
    if (known.includes(key)) continue;
    const meant = closest(key, known);
    const suggestion = hint?.(key) ?? (meant && `did you mean ${meant}?`);
    throw new TypeError(
      `${PREFIX}${at} has an unknown option ${quote(key)}${suggestion ? `: ${suggestion}` : ""} (known: ${known.join(", ")}).`,
    );
  }
}

/** One kind's header timeout: a number of ms > 0, or `false` (none); `learned` allows "learned". */
function headerTimeout(
  field: string,
  value: unknown,
  fallback: number | "learned",
  learned: boolean,
): number | "learned" {
  if (value === undefined) return fallback;
  if (value === false) return Number.POSITIVE_INFINITY;
  if (learned && value === "learned") return value;
  if (value === 0) fail(field, "0", `> 0 (false for no limit${learned ? ', "learned" to learn it' : ""})`);
  return duration(field, value, 0);
}

/** `headerTimeoutMs`: a number for both kinds, `false`, or `{ streamed, buffered }`. */
function resolveHeaderTimeouts(value: unknown): ResolvedHeaderTimeouts {
  if (value === undefined || value === false || typeof value === "number") {
    const streamed = headerTimeout("headerTimeoutMs", value, STREAMED_HEADER_TIMEOUT_MS, false) as number;
    return { streamed, buffered: value === undefined ? "learned" : streamed };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    fail("headerTimeoutMs", describe(value), "a number of milliseconds > 0, false, or { streamed, buffered }");
  rejectUnknownKeys(value, ["streamed", "buffered"], "headerTimeoutMs");
  const kinds = value as HeaderTimeouts;
  return {
    streamed: headerTimeout(
      "headerTimeoutMs.streamed",
      read(kinds, "streamed", "headerTimeoutMs.streamed"),
      STREAMED_HEADER_TIMEOUT_MS,
      false,
    ) as number,
    buffered: headerTimeout(
      "headerTimeoutMs.buffered",
      read(kinds, "buffered", "headerTimeoutMs.buffered"),
      "learned",
      true,
    ),
  };
}

/** A count of tries or failures: an integer >= 1. */
function count(field: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) fail(field, describe(value), "an integer >= 1");
  return value as number;
}

function duration(field: string, value: unknown, fallback: number): number;
function duration(field: string, value: unknown, fallback: undefined): number | undefined;
function duration(field: string, value: unknown, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0) || value === Infinity) {
    fail(field, describe(value), "a number of milliseconds >= 0");
  }
  if (value > maxTimerDelay) {
    fail(field, describe(value), `at most ${maxTimerDelay} ms (about 24.8 days, the longest a timer can wait)`);
  }
  return value;
}

// Credentials belong in headers, and a query or fragment would be lost when the request's path is appended.
const URL_RULE = "an absolute http(s) URL without credentials, query or fragment (send keys with headers)";

function parseUrl(field: string, value: unknown): URL {
  // Not `new URL(value)` on anything but a string: it would call the value's toString, which may throw.
  let url: URL | undefined;
  if (typeof value === "string") {
    try {
      url = new URL(value);
    } catch {
      // Reported below with the other URL faults.
    }
  }
  if (url === undefined || !/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash) {
    fail(field, describeUrl(value), URL_RULE);
  }
  return url;
}

function header(field: string, name: unknown, value: unknown, into: Headers): void {
  if (typeof name !== "string" || !TOKEN.test(name))
    fail(field, typeof name === "string" ? quote(name) : describe(name), "a valid header name");
  const at = `${field}[${JSON.stringify(name)}]`;
  if (typeof value !== "string" || FORBIDDEN_IN_VALUE.test(value)) {
    fail(at, describeSecret(value), "a string without CR, LF or NUL");
  }
  // `api-key: process.env.MISSING` would otherwise send "undefined" or nothing, and the caller's key with it.
  if (isCredentialHeader(name) && value.trim() === "") fail(at, describeSecret(value), "a non-empty credential");
  into.append(name, value);
}

/** A backend's headers: a Headers, a plain object or a list of pairs; values are never shown in errors. */
function resolveHeaders(field: string, value: unknown): Headers | undefined {
  if (value === undefined) return undefined;
  const headers = new Headers();
  if (value instanceof Headers) {
    for (const [name, text] of value) header(field, name, text, headers);
  } else if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const pair = read(value, String(index), `${field}[${index}]`);
      if (!Array.isArray(pair) || pair.length !== 2) fail(`${field}[${index}]`, describe(pair), "a [name, value] pair");
      header(field, pair[0], pair[1], headers);
    }
  } else if (value !== null && typeof value === "object") {
    for (const name of keysOf(value, field))
      header(field, name, read(value, name, `${field}[${JSON.stringify(name)}]`), headers);
  } else {
    fail(field, describe(value), "a Headers or an object of header names to string values");
  }
  return headers;
}

function resolveBackend(config: unknown, index: number): ResolvedBackend {
  let at = `backends[${index}]`;
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    fail(at, describe(config), "an object with a url (a hole in the array counts as undefined)");
  }
  // `at` gains the backend's name once it is known: every later message says which backend.
  const field = (key: string): string => `${at}.${key}`;
  const get = (key: string): unknown => read(config, key, field(key));
  const rawName = get("name");
  if (typeof rawName === "string" && rawName !== "") at += ` (${quote(rawName)})`;
  rejectUnknownKeys(config, BACKEND_KEYS, at, (key) => {
    const meant = closest(key, FACTORY_KEYS);
    if (meant === undefined) return undefined;
    return `${key === meant ? "" : `did you mean ${meant}? `}${meant} belongs to the providers' factories (azure(), azureV1(), openai() from "openai-priority-loadbalancer/providers"), which take it out of the backend's fields; for a plain backend, set headers`;
  });
  const rawUrl = get("url");
  const url = parseUrl(field("url"), rawUrl);
  const path = url.pathname.replace(/\/+$/, "");
  const priority = get("priority") ?? 1;
  if (!Number.isSafeInteger(priority)) fail(field("priority"), describe(priority), "an integer (lower is tried first)");
  const weight = get("weight") ?? 1;
  if (typeof weight !== "number" || !(weight > 0) || weight === Infinity) {
    fail(field("weight"), describe(weight), "a finite number > 0");
  }
  const name = rawName ?? url.host + path;
  if (typeof name !== "string" || name === "") fail(field("name"), describe(name), "a non-empty string");
  const headers = resolveHeaders(field("headers"), get("headers"));
  let ownCredential = false;
  if (headers !== undefined) for (const [key] of headers) ownCredential ||= isCredentialHeader(key);
  const adapter = get("adapter");
  if (adapter !== undefined) {
    const valid =
      adapter !== null &&
      typeof adapter === "object" &&
      typeof read(adapter, "target", field("adapter.target")) === "function" &&
      typeof read(adapter, "accepts", field("adapter.accepts")) === "function";
    if (!valid) fail(field("adapter"), describe(adapter), "a BackendAdapter (with accepts() and target())");
  }
  const perMinute = (key: "rpm" | "tpm"): number | undefined => {
    const value = get(key);
    if (value !== undefined && (typeof value !== "number" || !(value > 0) || value === Infinity))
      fail(field(key), describe(value), `a finite number > 0 (${key === "rpm" ? "requests" : "tokens"} per minute)`);
    return value as number | undefined;
  };
  const rpm = perMinute("rpm");
  const tpm = perMinute("tpm");
  return {
    name,
    url: rawUrl as string,
    base: url.origin + path,
    priority: priority as number,
    weight,
    headers,
    ownCredential,
    adapter: adapter as BackendAdapter | undefined,
    rpm,
    tpm,
  };
}

function resolveBackends(value: unknown): ResolvedBackend[] {
  if (!Array.isArray(value) || value.length === 0) {
    fail("backends", describe(value), "a non-empty array of backends ({ url, priority?, weight?, headers? })");
  }
  const length = read(value, "length", "backends.length") as number;
  const resolved: ResolvedBackend[] = [];
  const names = new Set<string>();
  const tierWeights = new Map<number, number>();
  // A for loop, not map(): map skips the holes of a sparse array.
  for (let index = 0; index < length; index++) {
    const backend = resolveBackend(read(value, String(index), `backends[${index}]`), index);
    if (names.has(backend.name)) fail(`backends[${index}].name`, quote(backend.name), "unique (set name)");
    names.add(backend.name);
    const sum = (tierWeights.get(backend.priority) ?? 0) + backend.weight;
    if (sum === Infinity) {
      fail(
        `backends[${index}].weight`,
        describe(backend.weight),
        `small enough that priority ${backend.priority}'s weights add up to a finite number`,
      );
    }
    tierWeights.set(backend.priority, sum);
    resolved.push(backend);
  }
  return resolved;
}

function optionalFunction<T>(options: object, field: string): T | undefined {
  const value = read(options, field);
  if (value !== undefined && typeof value !== "function") fail(field, describe(value), "a function");
  return value as T | undefined;
}

function resolveLogger(value: unknown): Logger | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== "object") fail("logger", describe(value), "an object like console");
  for (const level of ["debug", "info", "warn", "error"]) {
    const method = read(value, level, `logger.${level}`);
    if (method !== undefined && typeof method !== "function") fail(`logger.${level}`, describe(method), "a function");
  }
  return value as Logger;
}

const DEFAULT_MAX_IDS = 10_000;
/**
 * A minute: inside the OpenAI SDK's default 10-minute timeout, and as long as the longest window Azure OpenAI
 * and OpenAI meter requests per minute over, so a request over capacity waits for the window that serves it
 * instead of losing itself in SDK retries (see docs/overload.md).
 */
const DEFAULT_MAX_WAIT_MS = 60_000;
const DEFAULT_STICKY_FIELDS: readonly string[] = ["prompt_cache_key", "user"];
const HEADER_NAME = /^[\w-]+$/;

/** `affinity`, `home` and `sticky` against the (validated) backends, with their defaults. */
function resolveRouting(options: object, backends: readonly ResolvedBackend[]): RoutingOptions {
  const affinity = read(options, "affinity") ?? true;
  let owners: OwnerMap | undefined;
  if (affinity !== false) {
    let maxIds: unknown = DEFAULT_MAX_IDS;
    if (affinity !== true) {
      if (affinity === null || typeof affinity !== "object")
        fail("affinity", describe(affinity), "a boolean or { maxIds }");
      rejectUnknownKeys(affinity, ["maxIds"], "affinity");
      maxIds = read(affinity, "maxIds", "affinity.maxIds") ?? DEFAULT_MAX_IDS;
    }
    owners = new OwnerMap(count("affinity.maxIds", maxIds));
  }
  const home = read(options, "home");
  let homeName: string | undefined;
  if (home === undefined) {
    // The first backend of the best tier: where requests go when nothing is cooling.
    const best = Math.min(...backends.map((backend) => backend.priority));
    homeName = backends.find((backend) => backend.priority === best)!.name;
  } else if (home !== false) {
    if (typeof home !== "string" || !backends.some((backend) => backend.name === home))
      fail(
        "home",
        typeof home === "string" ? quote(home) : describe(home),
        "false or the name of a configured backend",
      );
    homeName = home;
  }
  const sticky = read(options, "sticky") ?? false;
  let resolvedSticky: RoutingOptions["sticky"];
  if (sticky === true) resolvedSticky = { header: undefined, fields: DEFAULT_STICKY_FIELDS };
  else if (sticky !== false) {
    if (sticky === null || typeof sticky !== "object")
      fail("sticky", describe(sticky), "a boolean or { header, fields }");
    rejectUnknownKeys(sticky, ["header", "fields"], "sticky");
    const header = read(sticky, "header", "sticky.header");
    const fields = read(sticky, "fields", "sticky.fields") ?? [];
    if (header !== undefined && (typeof header !== "string" || !HEADER_NAME.test(header)))
      fail("sticky.header", typeof header === "string" ? quote(header) : describe(header), "a header name");
    if (!Array.isArray(fields) || fields.some((field) => typeof field !== "string" || field === ""))
      fail("sticky.fields", describe(fields), "an array of non-empty field names");
    if (header === undefined && fields.length === 0) fail("sticky", describe(sticky), "a header or at least one field");
    resolvedSticky = { header: (header as string | undefined)?.toLowerCase(), fields: [...(fields as string[])] };
  }
  return { owners, home: homeName, sticky: resolvedSticky };
}

/**
 * `performance.now()` moved onto the epoch scale once: it reads like `Date.now()` (events and snapshots
 * show epoch ms) but never steps back or jumps when the wall clock is set.
 */
function monotonicEpochClock(): () => number {
  const origin = Date.now() - performance.now();
  return () => origin + performance.now();
}

function resolve(options: LoadBalancerOptions): ResolvedOptions {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    fail("options", describe(options), "an object with backends");
  }
  rejectUnknownKeys(options, OPTION_KEYS, "options");
  const backends = resolveBackends(read(options, "backends"));
  const rawDefault = read(options, "defaultCooldownMs");
  const rawMax = read(options, "maxCooldownMs");
  const maxCooldownMs = duration(
    "maxCooldownMs",
    rawMax,
    Math.max(300_000, duration("defaultCooldownMs", rawDefault, 0)),
  );
  const defaultCooldownMs = duration("defaultCooldownMs", rawDefault, Math.min(10_000, maxCooldownMs));
  if (maxCooldownMs < defaultCooldownMs) {
    fail("maxCooldownMs", describe(maxCooldownMs), `at least defaultCooldownMs (${defaultCooldownMs})`);
  }
  const selection = read(options, "selection") ?? "random";
  if (!STRATEGIES.includes(selection as SelectionStrategy)) {
    fail("selection", describe(selection), `one of ${STRATEGIES.join(", ")}`);
  }
  const failureThreshold = count("failureThreshold", read(options, "failureThreshold") ?? 3);
  const attemptTimeoutMs = duration("attemptTimeoutMs", read(options, "attemptTimeoutMs"), undefined);
  if (attemptTimeoutMs === 0) fail("attemptTimeoutMs", "0", "> 0 (leave it out for no limit)");
  const fetch = optionalFunction<FetchFunction>(options, "fetch");
  // Every backend once, and once more after a wait: bounds the fan-out of one request.
  const maxAttempts = count("maxAttempts", read(options, "maxAttempts") ?? Math.max(10, 2 * backends.length));
  const shared = read(options, "shared") as SharedState | undefined;
  if (shared !== undefined && typeof (shared as { connect?: unknown } | null)?.connect !== "function") {
    fail("shared", describe(shared), "a SharedState (redisState() or broadcastChannelState())");
  }
  const now = optionalFunction<() => number>(options, "now");
  const streamGuard = read(options, "streamGuard") ?? true;
  if (typeof streamGuard !== "boolean") fail("streamGuard", describe(streamGuard), "a boolean");
  const malformed = read(options, "malformedEvents") ?? "drop";
  if (malformed !== "drop" && malformed !== "pass") fail("malformedEvents", describe(malformed), '"drop" or "pass"');
  return {
    backends,
    defaultCooldownMs,
    maxCooldownMs,
    selection: selection as SelectionStrategy,
    failureThreshold,
    attemptTimeoutMs,
    headerTimeout: resolveHeaderTimeouts(read(options, "headerTimeoutMs")),
    maxWaitMs: duration("maxWaitMs", read(options, "maxWaitMs"), DEFAULT_MAX_WAIT_MS),
    // Looked up at call time, not captured: interceptors (msw, nock) replace globalThis.fetch later.
    fetch: fetch ?? ((input, init) => globalThis.fetch(input, init)),
    now: now ?? monotonicEpochClock(),
    wallNow: now ?? Date.now,
    maxAttempts,
    shared,
    random: optionalFunction<() => number>(options, "random") ?? Math.random,
    logger: resolveLogger(read(options, "logger")),
    routing: resolveRouting(options, backends),
    judge: {
      rules: resolveFailoverRules(
        read(options, "failoverOn") as FailoverOptions | undefined,
        (field, value, expected) => fail(field, describe(value), expected),
      ),
      guard: {
        enabled: streamGuard,
        firstEventTimeoutMs: duration("firstEventTimeoutMs", read(options, "firstEventTimeoutMs"), 60_000),
        idleTimeoutMs: duration("streamIdleTimeoutMs", read(options, "streamIdleTimeoutMs"), 60_000),
        malformed,
      },
    },
  };
}

/**
 * Validates the options and applies the defaults.
 * @throws {TypeError} for every invalid input, naming the field, the backend and the value (never a secret).
 */
export function resolveOptions(options: LoadBalancerOptions): ResolvedOptions {
  try {
    return resolve(options);
  } catch (error) {
    if (error instanceof TypeError && error.message.startsWith(PREFIX)) throw error;
    // Anything else came from the caller's own objects (a Symbol.toPrimitive, an iterator): still a TypeError,
    // without the foreign message, which may print what it holds.
    throw new TypeError(`${PREFIX}options could not be read (one of their values threw).`, { cause: error });
  }
}
