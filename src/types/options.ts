import type { BackendAdapter } from "./adapter.js";

/**
 * How a backend is chosen among the available backends of one priority tier:
 * - `"random"`: weighted random (by {@link BackendConfig.weight});
 * - `"round-robin"`: smooth weighted round-robin;
 * - `"failover"`: always the first available in configuration order, the others only when it fails;
 * - `"least-inflight"`: the fewer in-flight requests (per unit of weight) of two random picks (power of two choices).
 */
export type SelectionStrategy = "random" | "round-robin" | "failover" | "least-inflight";

/** One backend (an Azure OpenAI resource, an API Management gateway, any OpenAI-compatible server). */
export interface BackendConfig {
  /**
   * Origin plus an optional path prefix, e.g. `https://oai-eastus.openai.azure.com` or
   * `https://apim.example.com/ai`. The request's origin is replaced by this origin and this
   * path is prepended to the request's path. Only `http:` and `https:`; no credentials in the URL
   * (send them with {@link BackendConfig.headers}).
   */
  url: string;
  /** Tier: lower numbers are tried first. An integer; default `1`. */
  priority?: number;
  /** Unique name used in events, logs and snapshots. Default: derived from the URL's host and path. */
  name?: string;
  /** Share of the requests within its tier relative to the other backends of the tier. Positive; default `1`. */
  weight?: number;
  /**
   * Headers set on every request to this backend, replacing the caller's header of the same name
   * (e.g. a per-backend `api-key`). They are sent to this backend only.
   */
  headers?: Record<string, string> | Headers;
  /**
   * Shapes each request for this backend (URL, model, credentials). Without one, the backend gets the
   * caller's request as it is, behind its own origin and path prefix. Made by the factories of
   * `openai-priority-loadbalancer/providers` (`azure()`, `azureV1()`, `openai()`), or your own.
   */
  adapter?: BackendAdapter;
}

/**
 * The structured part of a log line: plain data about a backend or a request, never a key, a
 * header, a body or a URL's query. Fields that do not apply are absent.
 */
export interface LogFields {
  /** The backend's name. */
  readonly backend?: string;
  /** The deployment or model concerned; `null` for the backend as a whole. */
  readonly deployment?: string | null;
  /** The request (the call of `lb.fetch`) and its attempt number. */
  readonly requestId?: number;
  readonly attempt?: number;
  /** The response status, when there was one. */
  readonly status?: number;
  /** Why the backend cools down (a `CooldownReason`) or why an attempt failed. */
  readonly reason?: string;
  /** How long the cooldown lasts, ms. */
  readonly cooldownMs?: number;
  /** When the backend is back, as an ISO 8601 date-time. */
  readonly until?: string;
  /** Any further field of the event (`ejected`, `remote`, `hits`, `downMs`, `retryAfterMs`…). */
  readonly [field: string]: unknown;
}

/**
 * A sink for log lines; every method is optional, and `console` is one. Each line is a readable
 * message and a {@link LogFields} object for structured loggers (for pino, whose arguments come
 * the other way round: `warn: (message, fields) => pino.warn(fields, message)`). Attempts go to
 * `debug`; a cooldown goes to `warn` once, when it starts; `error` gets a listener's error as its second argument.
 */
export interface Logger {
  debug?(message: string, fields?: LogFields): void;
  info?(message: string, fields?: LogFields): void;
  warn?(message: string, fields?: LogFields): void;
  error?(message: string, details?: unknown): void;
}

/** A WHATWG `fetch`. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Options of {@link createLoadBalancer}. */
export interface LoadBalancerOptions {
  /** The backends, in any order; at least one. */
  backends: readonly BackendConfig[];
  /** Cooldown when a failure carries no usable retry header (and for network errors and timeouts). Default `10_000`. */
  defaultCooldownMs?: number;
  /** Upper bound for cooldowns derived from response headers. Default `300_000` (or `defaultCooldownMs` if larger). */
  maxCooldownMs?: number;
  /** How a backend is chosen within a tier. Default `"random"` (weighted by {@link BackendConfig.weight}). */
  selection?: SelectionStrategy;
  /**
   * Consecutive failures (5xx, network errors, timeouts; not 429) after which a backend is ejected: each further
   * failure doubles its cooldown, up to `maxCooldownMs`, until a success resets the count. Default `3`.
   */
  failureThreshold?: number;
  /** An attempt that has not received response headers within this many ms is aborted and its backend cools down. Default: no limit. */
  attemptTimeoutMs?: number;
  /**
   * When every backend is cooling down and the soonest recovers within this budget, wait for it
   * (abortably) instead of answering the synthetic 429. The budget covers all waits of one request. Default `0`.
   */
  maxWaitMs?: number;
  /** The underlying fetch. Default: the global `fetch`, looked up at call time (so interceptors such as msw work). */
  fetch?: FetchFunction;
  /** Clock in epoch ms, for tests. Default `Date.now`. */
  now?: () => number;
  /** Random number in [0, 1), for tests. Default `Math.random`. */
  random?: () => number;
  /** Where to write log lines (attempts at debug, a cooldown once when it starts, recovery, exhausted); see {@link Logger}. Silent by default. */
  logger?: Logger;
}
