import type { FetchFunction } from "./options.ts";

/** A backend's rotation state; see {@link BackendSnapshot.state}. */
export type BackendState = "available" | "cooling" | "ejected" | "probing";
import type {
  CooldownReason,
  EventOfType,
  LoadBalancerEvent,
  LoadBalancerEventType,
  PacingBasis,
  ThrottleReason,
} from "./events.ts";

/**
 * The pacing of a backend or deployment: requests are not sent to it beyond what its advertised or
 * configured quota allows, so a full deployment is not discovered by a burst of 429s.
 */
export interface PacingSnapshot {
  /** Requests that may be in flight at once now; `null`: unlimited. */
  readonly allowed: number | null;
  /** Requests in flight to it, each holding a reservation. */
  readonly reserved: number;
  /** The last `x-ratelimit-remaining-requests` it reported, `null` if none. */
  readonly remainingRequests: number | null;
  /** The last `x-ratelimit-remaining-tokens` it reported, `null` if none. */
  readonly remainingTokens: number | null;
  /** Estimated tokens of the requests in flight (see the `tpm` option). */
  readonly reservedTokens: number;
  readonly basis: PacingBasis;
}
/** Requests waiting inside the balancer; see {@link Snapshot.queue}. */
export interface QueueSnapshot {
  /** Requests waiting now. */
  readonly waiting: number;
  /** How long the longest-waiting request has waited, ms; 0 when none waits. */
  readonly oldestWaitMs: number;
  /** The longest wait of any request since the balancer was created, ms. */
  readonly maxWaitedMs: number;
}
/** A deployment (or model) of a backend with rotation state of its own; see {@link BackendSnapshot.deployments}. */
export interface DeploymentSnapshot {
  /** The deployment name (Azure) or model name (model-in-body APIs). */
  readonly name: string;
  readonly state: BackendState;
  /** When it returns to rotation, epoch ms; `null` while available. */
  readonly until: number | null;
  readonly reason: CooldownReason | null;
  readonly consecutiveFailures: number;
  /** The pacing of this deployment; `null` while nothing limits it. */
  readonly pacing: PacingSnapshot | null;
}

/** One backend in {@link Snapshot}. */
export interface BackendSnapshot {
  readonly name: string;
  readonly url: string;
  readonly priority: number;
  readonly weight: number;
  /**
   * `available`: in rotation; `cooling`: out of rotation until `until`; `ejected`: cooling after
   * `failureThreshold` failures in a row, with an escalating cooldown; `probing`: a failure's cooldown
   * is over and one request at a time tries it until one succeeds.
   */
  readonly state: BackendState;
  /** When a cooling backend returns to rotation, epoch ms; `null` while available. */
  readonly until: number | null;
  /** Why it is (or, while probing, was) out of rotation; `null` while available. */
  readonly reason: ThrottleReason | null;
  /** Failures (5xx, network errors, timeouts) in a row; a success resets it. */
  readonly consecutiveFailures: number;
  /** Its adapter's `kind`, `null` without an adapter (pass-through). */
  readonly kind: string | null;
  /** Attempts sent that have not received response headers yet. */
  readonly inFlight: number;
  /** Attempts sent to this backend. */
  readonly requests: number;
  /** Responses from this backend handed to the caller (any status but 429 and 5xx). */
  readonly successes: number;
  /** 429 responses. */
  readonly throttles: number;
  /** 5xx responses, network errors and timeouts. */
  readonly errors: number;
  /** Status of the last response, `null` before any. */
  readonly lastStatus: number | null;
  /** Requests the provider spilled over to another deployment of this backend (Azure provisioned spillover). */
  readonly spilled: number;
  /**
   * The deployments or models of this backend that have rotation state of their own (a 429 on one
   * deployment leaves the others in rotation), in the order they were first seen.
   */
  readonly deployments: readonly DeploymentSnapshot[];
  /** The pacing of the backend as a whole (requests without a deployment); `null` while nothing limits it. */
  readonly pacing: PacingSnapshot | null;
}

/** The state of every backend at one moment, in configuration order. */
export interface Snapshot {
  readonly at: number;
  readonly backends: readonly BackendSnapshot[];
  /** Requests waiting inside the balancer for a backend (see `maxWaitMs`). */
  readonly queue: QueueSnapshot;
}

/** What {@link createLoadBalancer} returns. */
export interface LoadBalancer {
  /** A drop-in `fetch`: pass it to the OpenAI SDK, the Vercel AI SDK, or call it. Works unbound. */
  readonly fetch: FetchFunction;
  /** Listen to one event type (or `"*"` for every event); returns a function that unsubscribes. */
  on<T extends LoadBalancerEventType>(type: T, listener: (event: EventOfType<T>) => void): () => void;
  on(type: "*", listener: (event: LoadBalancerEvent) => void): () => void;
  /** The state of every backend now. */
  snapshot(): Snapshot;
  /**
   * Ends the shared-state connection, every timer and subscription. Afterwards `fetch` rejects with a
   * `DOMException` named `InvalidStateError`; requests under way finish.
   */
  close(): Promise<void>;
}
