/**
 * How a backend is chosen among the available backends of one priority tier:
 * - `"random"`: weighted random (by {@link BackendConfig.weight});
 * - `"round-robin"`: smooth weighted round-robin;
 * - `"failover"`: always the first available in configuration order, the others only when it fails;
 * - `"least-inflight"`: the fewer in-flight requests (per unit of weight) of two random picks (power of two choices).
 */
export type SelectionStrategy = "random" | "round-robin" | "failover" | "least-inflight";

/**
 * The API shape a backend speaks; requests are translated into it:
 * - `"azure"`: Azure OpenAI deployment URLs, `{url}/openai/deployments/{deployment}/chat/completions?api-version=…`
 *   (`url` is the resource endpoint; APIs that are not deployment-scoped, such as Responses, go to `{url}/openai/v1/…`);
 * - `"azure-v1"`: Azure OpenAI's OpenAI-compatible API, `{url}/openai/v1/chat/completions` with the deployment as `model`;
 * - `"openai"`: api.openai.com and OpenAI-compatible servers, `{url}/chat/completions` where `url` is the base URL
 *   you would give the OpenAI client (`https://api.openai.com/v1`).
 *
 * Without a kind, a backend gets the caller's path as it is (behind its own path prefix).
 */
export type BackendKind = "azure" | "azure-v1" | "openai";

/** Returns a bearer token, e.g. from `@azure/identity`'s `getBearerTokenProvider`. Called for every attempt; cache inside. */
export type TokenProvider = () => string | Promise<string>;

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
  /** The API shape this backend speaks; see {@link BackendKind}. Needed for `apiKey`, `tokenProvider` and `models`. */
  kind?: BackendKind;
  /**
   * This backend's API key, sent the way its kind expects (`api-key` for Azure, `Authorization: Bearer` for OpenAI).
   * The caller's `api-key` and `Authorization` headers are removed first, so no key reaches a backend it does not belong to.
   */
  apiKey?: string;
  /** A bearer token for every attempt (Entra ID); like `apiKey`, replaces the caller's credentials. */
  tokenProvider?: TokenProvider;
  /**
   * The caller's model name → this backend's deployment or model name (the Python seed's `MODEL_ENGINE_MAPPING`).
   * With a map, the backend serves only the models in it and is skipped for others; without one it serves every
   * model under the caller's name.
   */
  models?: Record<string, string>;
  /** `api-version` for requests translated into an `"azure"` backend's deployment URLs. Default `"2024-10-21"`. */
  apiVersion?: string;
}

/** A console-like sink for log lines; every method is optional. */
export interface Logger {
  debug?(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
  error?(message: string): void;
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
  /** Where to write log lines (request sent, throttling, recovery, exhausted). Silent by default. */
  logger?: Logger;
}
