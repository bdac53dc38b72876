import type { AttemptTarget } from "../types/adapter.js";
import type { BackendInfo, CooldownReason } from "../types/events.js";
import type { Lease, LeaseOptions, LeaseOutcome, LeaseUnavailable } from "../types/lease.js";
import { sleep } from "../utils/timers.js";
import type { PreparedRequest } from "./request.js";
import { failureReason } from "./verdict.js";

/** What the state machine learns from a lease: the same verdicts an attempt of a fetch comes to. */
export type Settlement =
  | { readonly result: "response"; readonly status: number }
  | {
      readonly result: "failure";
      readonly reason: CooldownReason;
      readonly status?: number;
      readonly cooldownMs?: number;
    }
  | { readonly result: "aborted" };

/** One leased attempt, started by the port: the backend counts it in flight until `settle`. */
export interface PortAttempt {
  readonly backend: BackendInfo;
  /** Where and how to reach this backend for the request (credentials applied); may be async (a token provider). */
  target(): AttemptTarget | Promise<AttemptTarget>;
  /** The attempt is being made to `url` (the `attempt` event). */
  sent(url: string): void;
  /** Its end, exactly once: `outcome`, `probe`, `cooldown` and the backend's counters follow from it. */
  settle(settlement: Settlement): void;
}

/**
 * What the lease needs of the balancer: its clock, its wait budget, and a choice by the same tiers,
 * states, probes and adapters as a fetch. The attempt loop implements it; the lease holds no state of its own.
 */
export interface LeasePort {
  now(): number;
  readonly maxWaitMs: number;
  /** Chooses a backend and starts an attempt on it, or says how long until one is back (`undefined`: none serves it). */
  start(request: PreparedRequest): PortAttempt | { readonly retryAfterMs: number | undefined };
}

class LeaseUnavailableError extends Error implements LeaseUnavailable {
  override readonly name = "LeaseUnavailableError" as const;
  readonly retryAfterMs: number | undefined;
  constructor(retryAfterMs: number | undefined) {
    super(
      retryAfterMs === undefined
        ? "openai-priority-loadbalancer: no backend serves this lease (model or path)."
        : `openai-priority-loadbalancer: every backend for this lease is cooling down; retry in ${Math.ceil(retryAfterMs / 1000)} s.`,
    );
    this.retryAfterMs = retryAfterMs;
  }
}

function fail(field: string, value: unknown, expected: string): never {
  const shown = typeof value === "string" ? JSON.stringify(value) : typeof value === "object" ? typeof value : value;
  throw new TypeError(`openai-priority-loadbalancer: lease() ${field} must be ${expected}, got ${String(shown)}.`);
}

/** The request a lease stands for: the model in a JSON body, where adapters look for it (and map it). */
function leaseRequest(options: LeaseOptions): PreparedRequest {
  const { model, path = "/v1/realtime", signal } = options;
  if (model !== undefined && (typeof model !== "string" || model === "")) fail("model", model, "a non-empty string");
  if (typeof path !== "string" || !path.startsWith("/")) fail("path", path, "a path starting with /");
  const init: RequestInit =
    model === undefined ? { method: "GET" } : { method: "GET", body: JSON.stringify({ model }) };
  return { pathAndQuery: path, method: "GET", signal, init };
}

/** The target's URL with the (mapped) model as `?model=`, in the scheme the protocol needs. */
function connectUrl(target: AttemptTarget, protocol: "websocket" | "http"): string {
  const url = new URL(target.url);
  const body = target.init.body;
  if (typeof body === "string") {
    const { model } = JSON.parse(body) as { model?: unknown };
    if (typeof model === "string" && !url.pathname.includes("/deployments/")) url.searchParams.set("model", model);
  }
  if (protocol === "websocket") url.protocol = url.protocol === "http:" ? "ws:" : "wss:";
  return url.href;
}

function settlementOf(outcome: LeaseOutcome, okStatus: number): Settlement {
  if (outcome === null || typeof outcome !== "object") return fail("release(outcome)", outcome, "an object");
  if ("ok" in outcome && outcome.ok === true) return { result: "response", status: okStatus };
  if ("aborted" in outcome && outcome.aborted === true) return { result: "aborted" };
  if ("status" in outcome && Number.isInteger(outcome.status)) {
    const { status, retryAfterMs } = outcome;
    const reason = failureReason(status);
    if (reason === undefined) return { result: "response", status };
    const cooldownMs = typeof retryAfterMs === "number" && retryAfterMs >= 0 ? retryAfterMs : undefined;
    return { result: "failure", reason, status, cooldownMs };
  }
  if ("error" in outcome) return { result: "failure", reason: "network-error" };
  return fail("release(outcome)", outcome, "{ ok: true }, { status, retryAfterMs? }, { error } or { aborted: true }");
}

/**
 * Leases a backend for traffic that does not go through `fetch`: chosen by the same tiers, states and
 * adapters, waited for within `maxWaitMs` when every backend is cooling, and counted in flight until the
 * caller hands back the outcome. A backend whose credentials cannot be prepared cools down and the next is tried.
 * @throws {TypeError} for invalid options; rejects with a `LeaseUnavailableError` (with `retryAfterMs`) when none is available in time.
 */
export async function lease(port: LeasePort, options: LeaseOptions = {}): Promise<Lease> {
  if (options === null || typeof options !== "object") fail("options", options, "an object");
  const { protocol = "websocket", signal } = options;
  if (protocol !== "websocket" && protocol !== "http") fail("protocol", protocol, '"websocket" or "http"');
  const request = leaseRequest(options);
  let waitedMs = 0;
  for (;;) {
    if (signal?.aborted) throw signal.reason;
    const started = port.start(request);
    if (!("settle" in started)) {
      const { retryAfterMs } = started;
      if (retryAfterMs === undefined || retryAfterMs > port.maxWaitMs - waitedMs) {
        throw new LeaseUnavailableError(retryAfterMs);
      }
      // Zero would spin: a probe in flight or a clock that lags says "now" until the state moves.
      const waitMs = Math.max(1, retryAfterMs);
      await sleep(waitMs, signal);
      waitedMs += waitMs;
      continue;
    }
    let target: AttemptTarget;
    try {
      const pending = started.target();
      target = pending instanceof Promise ? await pending : pending;
    } catch {
      started.settle(signal?.aborted ? { result: "aborted" } : { result: "failure", reason: "credentials" });
      if (signal?.aborted) throw signal.reason;
      continue;
    }
    const url = connectUrl(target, protocol);
    started.sent(url);
    let released = false;
    return {
      backend: started.backend,
      url,
      headers: new Headers(target.init.headers),
      release(outcome) {
        if (released) return;
        // 101 Switching Protocols is what a WebSocket handshake succeeds with.
        const settlement = settlementOf(outcome, protocol === "websocket" ? 101 : 200);
        released = true;
        started.settle(settlement);
      },
    };
  }
}
