/** What a listener sees of a backend: read-only. */
export interface BackendInfo {
  readonly name: string;
  readonly url: string;
  readonly priority: number;
  readonly weight: number;
}

/**
 * Why a backend was taken out of rotation: a 429 (`rate-limit`), a 5xx (`server-error`), a rejected fetch
 * (`network-error`), no response headers within `attemptTimeoutMs` (`timeout`), a success that reported no
 * requests or tokens left (`quota`), or an adapter that could not prepare the
 * request, such as a token provider that threw (`credentials`).
 */
export type ThrottleReason = "rate-limit" | "server-error" | "network-error" | "timeout" | "quota" | "credentials";

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

/** A backend was chosen for a request. */
export interface AttemptEvent extends RequestEvent {
  readonly type: "attempt";
  readonly backend: BackendInfo;
  readonly method: string;
  /** The URL sent to the backend. */
  readonly url: string;
}

/** A response was handed back to the caller. */
export interface ResponseEvent extends RequestEvent {
  readonly type: "response";
  readonly backend: BackendInfo;
  readonly status: number;
  /** From the call of `lb.fetch` to the response headers, including failed attempts and waits. */
  readonly latencyMs: number;
}

/** A backend was taken out of rotation. */
export interface ThrottleEvent extends RequestEvent {
  readonly type: "throttle";
  readonly backend: BackendInfo;
  readonly reason: ThrottleReason;
  /** The status that caused it, for `rate-limit` and `server-error`. */
  readonly status?: number;
  readonly cooldownMs: number;
  /** When the backend is back in rotation, epoch ms (the later deadline if it was already cooling). */
  readonly until: number;
  /** Failures (not 429s) in a row, this one included; 0 for `rate-limit` and `quota`. */
  readonly consecutiveFailures: number;
  /** `true` when `consecutiveFailures` reached `failureThreshold`: the cooldown escalates. */
  readonly ejected: boolean;
}

/**
 * A backend's cooldown has ended. After a 429 or a spent quota it is back in rotation; after a failure
 * it takes one probe request at a time, and is back in full rotation when one succeeds.
 */
export interface RecoveryEvent extends BaseEvent {
  readonly type: "recovery";
  readonly backend: BackendInfo;
  /** How long it was out of rotation, ms. */
  readonly downMs: number;
}

/** The single probe request sent to a recovered backend has come back. */
export interface ProbeEvent extends RequestEvent {
  readonly type: "probe";
  readonly backend: BackendInfo;
  /** `true`: the backend is back in full rotation; `false`: it cools down again (see the `throttle` event). */
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

/** Every event, discriminated on `type`. */
export type LoadBalancerEvent =
  | AttemptEvent
  | ResponseEvent
  | ThrottleEvent
  | RecoveryEvent
  | ProbeEvent
  | ExhaustedEvent;

/** The event types. */
export type LoadBalancerEventType = LoadBalancerEvent["type"];

/** The event of one type. */
export type EventOfType<T extends LoadBalancerEventType> = Extract<LoadBalancerEvent, { type: T }>;
