import type { BackendInfo } from "./events.ts";

/** What `lease()` (`openai-priority-loadbalancer/lease`) is asked for. */
export interface LeaseOptions {
  /**
   * The model, by the caller's name: backends whose `models` map does not serve it are skipped, and the
   * URL carries this backend's name for it as `?model=`.
   */
  model?: string;
  /** The OpenAI-style path of the API to connect to. Default `"/v1/realtime"`. */
  path?: string;
  /**
   * `"websocket"` (default): the URL is `ws:`/`wss:`; `"http"`: as it is, for WebRTC's SDP exchange or for
   * minting a client secret on the leased backend.
   */
  protocol?: "websocket" | "http";
  /** Gives up waiting for a backend (see `maxWaitMs`); the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * How the connection went, for the balancer to learn from as it learns from a fetch:
 * - `{ ok: true }`: it opened (or served its session) — a success;
 * - `{ status, retryAfterMs? }`: the server answered the handshake with this status (a 429 or 5xx cools the
 *   backend down for `retryAfterMs`, or the default cooldown; any other status is the caller's, a success for the backend);
 * - `{ error }`: it could not connect at all (a network error);
 * - `{ aborted: true }`: the caller gave up before it knew; no verdict on the backend.
 */
export type LeaseOutcome =
  | { readonly ok: true }
  | { readonly status: number; readonly retryAfterMs?: number }
  | { readonly error: unknown }
  | { readonly aborted: true };

/** A backend chosen for traffic that does not go through `fetch` (Realtime over WebSocket or WebRTC). */
export interface Lease {
  readonly backend: BackendInfo;
  /** Where to connect, with the backend's path, deployment or `?model=` and query. */
  readonly url: string;
  /** The headers to connect with: this backend's credentials (`api-key` or `Authorization`) and its own headers. */
  readonly headers: Headers;
  /**
   * Hands the outcome back; the backend counts as in flight until then. Only the first call counts.
   * Call it once the connection opened or failed, not when a long session ends.
   */
  release(outcome: LeaseOutcome): void;
}

/** Rejected with by `lease()` when no backend can be leased within `maxWaitMs`. */
export interface LeaseUnavailable extends Error {
  readonly name: "LeaseUnavailableError";
  /** Time until the soonest backend that could serve it is back, ms; `undefined` when none serves it at all. */
  readonly retryAfterMs: number | undefined;
}
