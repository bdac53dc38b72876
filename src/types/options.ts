import type { BackendAdapter } from "./adapter.ts";
import type { SharedState } from "./shared.ts";

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
  /**
   * Requests per minute each deployment of this backend (or the backend as a whole, for requests without one)
   * may be sent: the balancer paces before the first 429, for deployments that send no remaining-quota
   * headers (PTU) or where the browser cannot read them (CORS). A token bucket holding one second's share (Azure
   * evaluates per-minute limits over periods of 1 or 10 seconds), refilled evenly. Default: no limit.
   */
  rpm?: number;
  /**
   * Tokens per minute, as {@link BackendConfig.rpm}. Tokens are an ESTIMATE made without parsing the body: its
   * size / 4, plus `max_tokens` / `max_completion_tokens` / `max_output_tokens` when the body is a string.
   * Default: no limit.
   */
  tpm?: number;
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
  /** Why the backend cools down (a `CooldownReason`), why an attempt failed, or why a request waits (`cooling`, `paced`). */
  readonly reason?: string;
  /** How long the cooldown lasts, ms. */
  readonly cooldownMs?: number;
  /** When the backend is back, as an ISO 8601 date-time. */
  readonly until?: string;
  /** Requests in the balancer's queue after a request joined or left it (`waiting` is the `exhausted` event's boolean). */
  readonly queueLength?: number;
  /** How long a request that left the queue waited in it, ms. */
  readonly waitedMs?: number;
  /** Requests that pacing lets be in flight at once to the backend or deployment; `null`: no limit any more. */
  readonly allowed?: number | null;
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

/** What a failover rule of {@link FailoverOptions.when} sees of a response the built-in rules would hand back. */
export interface FailoverCandidate {
  readonly status: number;
  readonly headers: Headers;
  /**
   * The `error` object of a small JSON error body (`{"error": {...}}`), read within 64 KiB; `undefined`
   * when the body is not JSON, larger, or has no `error` object.
   */
  readonly error: { readonly code?: unknown; readonly type?: unknown; readonly message?: unknown } | undefined;
  /** The name of the backend that answered. */
  readonly backend: string;
}

/**
 * A failover rule's verdict: `true` sends the request on to the next backend and cools this one down
 * (`rule`); `{ cool: false }` sends it on without cooling; `false` hands the response back;
 * `undefined` leaves it to the built-in rules.
 */
export type FailoverDecision = boolean | { readonly cool: boolean; readonly cooldownMs?: number } | undefined;

/**
 * Which responses besides 429, 5xx, network errors and timeouts (always) send a request on to the next
 * backend. Only error responses (4xx) are considered, and only their small JSON bodies are read.
 */
export interface FailoverOptions {
  /** 400 `context_length_exceeded`: the next backend that accepts the request tries it; this one does not cool down. Default `true`. */
  contextLength?: boolean;
  /** 401 and 403: the backend cools down (`credentials`), the request goes on, the error is logged once per backend. Default `true`. */
  credentials?: boolean;
  /**
   * Content-filter rejections (`content_filter`, `content_policy_violation`, Azure's
   * `ResponsibleAIPolicyViolation`): by default the caller's answer, never retried. `true` tries the
   * next backend, without cooling this one. Default `false`.
   */
  contentFilter?: boolean;
  /** Further 4xx statuses that cool the backend (`rule`) and send the request on, e.g. `[404]` for a missing deployment. */
  statuses?: readonly number[];
  /** Your own rule, asked first for every 4xx but 429; see {@link FailoverDecision}. */
  when?: (candidate: FailoverCandidate) => FailoverDecision;
}

/** What the stream guard does with an event whose `data:` is not JSON: remove it (and emit `stream` `dropped`), or pass it on to the caller. */
export type MalformedEventPolicy = "drop" | "pass";

/** Header timeouts by kind of request; see {@link LoadBalancerOptions.headerTimeoutMs}. */
export interface HeaderTimeouts {
  /** Requests with `"stream": true` in their JSON body. Default `30_000`. */
  streamed?: number | false;
  /** Every other request. Default `"learned"`: 4 × the deployment's p99 time to headers, within [60 s, 300 s]. */
  buffered?: number | false | "learned";
}

/** A WHATWG `fetch`. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Stickiness for conversations: requests with the same key go to the same backend of a tier while it is
 * available (the provider's prompt cache stays warm), and move on when it cools.
 */
export interface StickyOptions {
  /** A request header whose value is the key, e.g. `"x-session-id"`. Checked first. */
  header?: string;
  /**
   * Top-level JSON body fields whose first non-empty string is the key. Reading them costs a parse of every
   * request body. Default with `sticky: true`: `["prompt_cache_key", "user"]`.
   */
  fields?: readonly string[];
}

/** Options of {@link createLoadBalancer}. */
export interface LoadBalancerOptions {
  /** The backends, in any order; at least one. */
  backends: readonly BackendConfig[];
  /**
   * Cooldown when a failure carries no usable retry header, and for network errors and timeouts. It is also
   * the ceiling of the escalation of 5xx and network errors without a header: a backend that keeps failing
   * is tried once per `defaultCooldownMs`, and one that recovers is back within it. A 5xx or a broken stream
   * without a header pauses its backend for 10 ms only (see `failureThreshold`). Default `10_000`.
   */
  defaultCooldownMs?: number;
  /** Upper bound for cooldowns derived from response headers. Default `300_000` (or `defaultCooldownMs` if larger). */
  maxCooldownMs?: number;
  /** How a backend is chosen within a tier. Default `"random"` (weighted by {@link BackendConfig.weight}). */
  selection?: SelectionStrategy;
  /**
   * Consecutive failures (5xx, network errors, timeouts; not 429) after which a backend is ejected: its
   * cooldown doubles with each further failure (5xx and network errors without a retry header up to
   * `defaultCooldownMs`, others up to `maxCooldownMs`), its cooldown ends in a single probe, and a success
   * resets the count. Below it, a 5xx or a broken stream alone, without a retry header, pauses its backend
   * for 10 ms and it comes back into full rotation without a probe. Default `3`.
   */
  failureThreshold?: number;
  /**
   * An attempt that has not received response headers within this many ms is aborted and its backend cools
   * down; a shorter {@link LoadBalancerOptions.headerTimeoutMs} still applies. Default: no limit (the header
   * timeout alone).
   */
  attemptTimeoutMs?: number;
  /**
   * How long an attempt waits for response headers before the request fails over and the backend cools
   * down (`timeout`), with default options too: a backend that accepts connections and never answers must
   * not hold requests another backend could serve. Streamed requests (`"stream": true` in a JSON body)
   * get their headers at once from Azure OpenAI and OpenAI, so theirs is tight; other completions get
   * theirs only when the whole answer is ready, so theirs is learned per deployment (the Azure deployment
   * or the adapter's model, else the backend as a whole): 4 × the p99 of its observed time to headers, within
   * [60 s, 300 s] (300 s until that deployment gave 20 answers; always 300 s for an
   * upload: a multipart, binary or stream body, or a text body of 1 MiB or more, whose wait the completions' latency says nothing about). A number sets both,
   * `false` turns it off; `{ streamed, buffered }` sets each (a number or `false`; one left out keeps its
   * default). Checked once a second, so it fires up to a second late; the attempt is abandoned, not aborted
   * (its connection is left to the caller's signal and the runtime's own timeout: undici's is 300 s). A
   * caller that aborts after waiting long for headers (90% of its declared `x-stainless-timeout`, as openai 6
   * sends it; without one, 2 s until the deployment gave 20 answers, then 4 × its learned p99 and at least 2 s; at most
   * the header timeout) counts as a `timeout` of that backend too. Default `{ streamed: 30_000, buffered: "learned" }`.
   */
  headerTimeoutMs?: number | false | HeaderTimeouts;
  /**
   * When no backend can take a request now (every one cooling, or at its pacing limit), it waits inside the
   * balancer (abortably, in a queue served in arrival order) for up to this long in all, instead of the
   * synthetic 429. A wait the balancer knows to be longer than what is left of it is answered by the 429 at
   * once. `0`: the synthetic 429 with the soonest `retry-after` at once, as before (a recovery within 50 ms is
   * still waited for). Default `60_000`: a minute is the window Azure OpenAI and OpenAI meter per-minute quotas
   * over and well inside the OpenAI SDK's 10-minute timeout, so a request over capacity is served by the next
   * window instead of racing the other callers' SDK retries (see docs/overload.md).
   */
  maxWaitMs?: number;
  /** The underlying fetch. Default: the global `fetch`, looked up at call time (so interceptors such as msw work). */
  fetch?: FetchFunction;
  /**
   * At most this many attempts for one request, waits included: a bound on fan-out however short the
   * cooldowns servers ask for. Default: twice the number of backends, at least 10 (every backend once,
   * and once more after a wait).
   */
  maxAttempts?: number;
  /**
   * State shared with the balancers of other processes, instances or tabs: cooldowns servers reported
   * and a probe lease. See `redisState()` and `broadcastChannelState()`. Default: none (this process only).
   */
  shared?: SharedState;
  /**
   * A monotonic clock in epoch-scale ms, for tests: durations, deadlines, event times and snapshots read it
   * (and HTTP-dates are compared with it). Default: `performance.now()` moved onto the epoch scale at
   * creation, so a wall-clock step does not stretch or cut a cooldown.
   */
  now?: () => number;
  /** Random number in [0, 1), for tests. Default `Math.random`. */
  random?: () => number;
  /**
   * Guard `text/event-stream` responses: the caller gets the response once its first content event has
   * arrived, and a stream that breaks before that fails over (see `docs/streams.md`). Default `true`.
   */
  streamGuard?: boolean;
  /** A guarded stream whose first content event has not arrived this many ms after its headers fails over (`timeout`). `0`: no limit. Default `60_000`. */
  firstEventTimeoutMs?: number;
  /** A stream that sends no byte for this many ms after its first content is ended with an error, and its backend cools down (`timeout`). `0`: no limit. Default `60_000`. */
  streamIdleTimeoutMs?: number;
  /** Events whose `data:` is not JSON, in a guarded stream. Default `"drop"`. */
  malformedEvents?: MalformedEventPolicy;
  /** Extends the failover rules; see {@link FailoverOptions}. */
  failoverOn?: FailoverOptions;
  /** Where to write log lines (attempts at debug, a cooldown once when it starts, recovery, exhausted); see {@link Logger}. Silent by default. */
  logger?: Logger;
  /**
   * Affinity by id: ids a backend creates (responses, files, batches, vector stores, uploads) are remembered,
   * and a request naming one goes to that backend only; while it cools, the caller waits (`maxWaitMs`) or gets
   * its 429/503 with a retry-after, never a 404 from a backend that cannot know the id. `maxIds` bounds the
   * map (least recently used out). Default `true` with `maxIds: 10_000`; `false` turns it off.
   */
  affinity?: boolean | { maxIds?: number };
  /**
   * The backend (by `name`) that serves `/files`, `/batches`, `/uploads`, `/vector_stores` and fine-tuning: their
   * objects name one resource's files and deployments, so they are not balanced. Default: the first backend of
   * the lowest priority number. `false` balances them like any request (affinity still applies).
   */
  home?: string | false;
  /** Stickiness by a request key (see {@link StickyOptions}); `true` for `prompt_cache_key`, then `user`. Default off. */
  sticky?: boolean | StickyOptions;
}
