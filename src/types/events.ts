import type { Spillover } from "./adapter.ts";

/** What a listener sees of a backend: read-only. */
export interface BackendInfo {
  readonly name: string;
  /** The configured URL (never carries credentials: those are rejected at creation). */
  readonly url: string;
  readonly priority: number;
  readonly weight: number;
}

/**
 * Why a backend (or one of its deployments) was taken out of rotation: a 429 (`rate-limit`), a 5xx
 * (`server-error`), a rejected fetch (`network-error`), no response headers within `attemptTimeoutMs`
 * (`timeout`), a success that reported no requests or tokens left (`quota`), credentials that were
 * refused or could not be prepared, such as a token provider that threw (`credentials`), a redirect,
 * which the balancer never follows (`redirect`), a stream that broke before its first content: an
 * in-band error or an end with nothing produced (`stream`), or a response that a failover rule of
 * the `failoverOn` option named the backend's (`rule`).
 */
export type CooldownReason =
  | "rate-limit"
  | "server-error"
  | "network-error"
  | "timeout"
  | "quota"
  | "credentials"
  | "redirect"
  | "stream"
  | "rule";

/** @deprecated Renamed {@link CooldownReason}; this alias goes before 1.0. */
export type ThrottleReason = CooldownReason;

interface BaseEvent {
  /** When it happened, epoch ms. */
  readonly at: number;
}

interface RequestEvent extends BaseEvent {
  /** Identifies one call of `lb.fetch`, unique within the balancer. */
  readonly requestId: number;
  /** 1 for the first backend tried for this request, 2 for the second… */
  readonly attempt: number;
}

interface BackendEvent {
  readonly backend: BackendInfo;
  /**
   * The deployment or model the event concerns, where the provider's quota is attached (an Azure
   * deployment, or the model of a model-in-body API); `null` for the backend as a whole.
   */
  readonly deployment: string | null;
}

/** A backend was chosen for a request and the attempt is being sent. */
export interface AttemptEvent extends RequestEvent, BackendEvent {
  readonly type: "attempt";
  readonly method: string;
  /** The URL sent to the backend. */
  readonly url: string;
}

/**
 * An attempt ended: `response` (headers arrived and the response went to the caller), `failure` (the
 * backend failed it: 429, 5xx, network error, timeout, credentials) or `aborted` (the caller gave up).
 * Exactly one per `attempt` event.
 */
export interface OutcomeEvent extends RequestEvent, BackendEvent {
  readonly type: "outcome";
  readonly result: "response" | "failure" | "aborted";
  /** The response's status, when there was a response. */
  readonly status?: number;
  /** Why the attempt failed, for `failure`. */
  readonly reason?: CooldownReason;
  /** From sending the attempt to its end, ms. */
  readonly durationMs: number;
  /**
   * Set when the provider spilled the request over to another deployment of this backend (Azure provisioned
   * spillover, read by the adapter from the response headers): the request is not sent to this backend's
   * origin again. With `failed`, the spillover deployment failed too.
   */
  readonly spillover?: Spillover;
}

/** A response was handed back to the caller. */
export interface ResponseEvent extends RequestEvent, BackendEvent {
  readonly type: "response";
  readonly status: number;
  /** From the call of `lb.fetch` to the response headers, including failed attempts and waits. */
  readonly latencyMs: number;
}

/**
 * A backend, or one of its deployments, was taken out of rotation: one event per transition into a
 * cooldown. Attempts that fail on it while it already cools do not fire another one; they are counted
 * in the `recovery` event's `hits`.
 */
export interface CooldownEvent extends BaseEvent, BackendEvent {
  readonly type: "cooldown";
  readonly reason: CooldownReason;
  /** The status that caused it, for `rate-limit`, `server-error` and `quota`. */
  readonly status?: number;
  readonly cooldownMs: number;
  /** When the backend is back in rotation, epoch ms. */
  readonly until: number;
  /** Failures (not 429s) in a row, this one included; 0 for `rate-limit` and `quota`. */
  readonly consecutiveFailures: number;
  /** `true` when `consecutiveFailures` reached `failureThreshold`: the cooldown escalates. */
  readonly ejected: boolean;
  /** `true` when another process or instance learned it and shared it (see the `shared` option). */
  readonly remote: boolean;
  /** The request whose attempt caused it; `undefined` when it was learned from another process. */
  readonly requestId: number | undefined;
}

/**
 * A cooldown has ended. After a 429 or a spent quota the backend is back in rotation; after a failure
 * it takes one probe request at a time, and is back in full rotation when one succeeds.
 */
export interface RecoveryEvent extends BaseEvent, BackendEvent {
  readonly type: "recovery";
  /** How long it was out of rotation, ms. */
  readonly downMs: number;
  /** Failed attempts that ran into this cooldown, the one that started it included. */
  readonly hits: number;
}

/** The single probe request sent to a recovered backend has come back. */
export interface ProbeEvent extends RequestEvent, BackendEvent {
  readonly type: "probe";
  /** `true`: the backend is back in full rotation; `false`: it cools down again (see the `cooldown` event). */
  readonly success: boolean;
}

/** No backend was available for a request. */
export interface ExhaustedEvent extends RequestEvent {
  readonly type: "exhausted";
  /** Time until the soonest backend recovers, ms. */
  readonly retryAfterMs: number;
  /** `true`: the balancer waits and tries again (see `maxWaitMs`); `false`: the caller gets the synthetic 429. */
  readonly waiting: boolean;
}

/**
 * What the stream guard did about one streamed response (see the `streamGuard` option):
 * - `failover`: the stream broke before its first content (see `cause`); it was cancelled, the backend
 *   cools down (`stream`, or `timeout` for `first-event-timeout`) and the request goes to the next backend;
 * - `idle-timeout`: after its first content the stream sent no byte for `streamIdleTimeoutMs`; the
 *   caller's stream errors and the backend cools down (`timeout`);
 * - `truncated`: the stream closed before its terminal marker (`[DONE]`, a `finish_reason`,
 *   `response.completed`); the caller's stream errors instead of ending as if complete;
 * - `dropped`: an event whose `data:` is not JSON was removed from the stream (`malformedEvents: "drop"`).
 */
export interface StreamEvent extends RequestEvent, BackendEvent {
  readonly type: "stream";
  readonly kind: "failover" | "idle-timeout" | "truncated" | "dropped";
  /**
   * For `failover`: `in-band-error` (an `error` event, a `data:` with `error`, `response.failed`,
   * `response.incomplete`), `no-content` (the stream ended before any content) or
   * `first-event-timeout` (no content within `firstEventTimeoutMs`).
   */
  readonly cause?: "in-band-error" | "no-content" | "first-event-timeout";
  /** The in-band error's code or type, when it had one (never its message, which may quote the prompt). */
  readonly code?: string;
  /** From the response headers to this event, ms. */
  readonly afterMs: number;
}

/**
 * Why a request waits inside the balancer: every backend that could serve it is cooling (`cooling`), or
 * every one that is not cooling already has as many requests in flight as its pacing allows (`paced`).
 */
export type WaitReason = "cooling" | "paced";
/**
 * A request joined the balancer's queue: no backend can take it now, and it waits (abortably, within
 * `maxWaitMs`) for its turn. Requests leave the queue in arrival order.
 */
export interface QueuedEvent extends RequestEvent {
  readonly type: "queued";
  readonly reason: WaitReason;
  /** Requests waiting now, this one included. */
  readonly waiting: number;
  /** The expected wait, ms: until the soonest recovery, or for a paced request until a reservation is released or the window resets. */
  readonly retryAfterMs: number;
}
/**
 * A request left the queue: `resumed` (its turn came, it is sent), `timed-out` (`maxWaitMs` ran out: the
 * caller gets the synthetic 429) or `aborted` (the caller gave up).
 */
export interface DequeuedEvent extends RequestEvent {
  readonly type: "dequeued";
  readonly result: "resumed" | "timed-out" | "aborted";
  /** How long it waited in the queue, ms. */
  readonly waitedMs: number;
  /** Requests still waiting. */
  readonly waiting: number;
}
/**
 * What pacing allows for a backend or deployment changed: how many requests may be in flight to it at
 * once, learned from `x-ratelimit-remaining-*` headers (`headers`), from the backend's `rpm`/`tpm`
 * (`configured`), or after a 429 (`learned`); `null` when nothing limits it any more.
 */
export interface PacedEvent extends BaseEvent, BackendEvent {
  readonly type: "paced";
  /** Requests that may be in flight at once; `null`: unlimited. */
  readonly allowed: number | null;
  readonly basis: PacingBasis;
}
/** Where a pacing limit comes from; see {@link PacedEvent}. */
export type PacingBasis = "headers" | "configured" | "learned";
/** Every event, discriminated on `type`. */
export type LoadBalancerEvent =
  | AttemptEvent
  | OutcomeEvent
  | ResponseEvent
  | CooldownEvent
  | RecoveryEvent
  | ProbeEvent
  | ExhaustedEvent
  | StreamEvent
  | QueuedEvent
  | DequeuedEvent
  | PacedEvent;

/** The event types. */
export type LoadBalancerEventType = LoadBalancerEvent["type"];

/** The event of one type. */
export type EventOfType<T extends LoadBalancerEventType> = Extract<LoadBalancerEvent, { type: T }>;
