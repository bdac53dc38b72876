// The core's balancer is reached through LEASE_PORT, by symbol, not by import: the lease works with any
// balancer instance, whichever bundle created it.
import type { LEASE_PORT as CORE_LEASE_PORT, LeasePort, Settlement } from "../core/lease-port.ts";
import type { AttemptTarget } from "../types/adapter.ts";
import type { LoadBalancer } from "../types/balancer.ts";
import type { Lease, LeaseOptions, LeaseOutcome, LeaseUnavailable } from "../types/lease.ts";
import type { PreparedRequest } from "../core/request.ts";
import { statusFailure } from "../core/verdict.ts";
import { sleep } from "../utils/timers.ts";

/** The core's LEASE_PORT: `Symbol.for` gives the same symbol for the same key, in any bundle. */
const LEASE_PORT = Symbol.for("openai-priority-loadbalancer.lease-port") as typeof CORE_LEASE_PORT;

/** `pending`, or the signal's reason as soon as it aborts: a token provider that never answers cannot hold the caller. */
function raced<T>(pending: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return pending;
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    pending.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function unavailable(retryAfterMs: number | undefined): LeaseUnavailable {
  const error = new Error(
    retryAfterMs === undefined
      ? "openai-priority-loadbalancer: no backend serves this lease."
      : `openai-priority-loadbalancer: every backend for this lease is cooling down; retry in ${Math.ceil(retryAfterMs / 1000)} s.`,
  );
  return Object.assign(error, { name: "LeaseUnavailableError" as const, retryAfterMs });
}

function fail(field: string, value: unknown, expected: string): never {
  // Objects are named by type only: their contents may hold secrets.
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
function connectUrl(target: AttemptTarget, protocol: "websocket" | "http", model: string | undefined): string {
  const url = new URL(target.url);
  if (model !== undefined && !url.pathname.includes("/deployments/")) url.searchParams.set("model", model);
  if (protocol === "websocket") url.protocol = url.protocol === "http:" ? "ws:" : "wss:";
  return url.href;
}

function settlementOf(outcome: LeaseOutcome, okStatus: number): Settlement {
  if (outcome === null || typeof outcome !== "object") return fail("release(outcome)", outcome, "an object");
  if ("ok" in outcome && outcome.ok === true) return { result: "response", status: okStatus };
  if ("aborted" in outcome && outcome.aborted === true) return { result: "aborted" };
  if ("status" in outcome && Number.isInteger(outcome.status)) {
    const { status, retryAfterMs } = outcome;
    const reason = statusFailure(status);
    if (reason === undefined) return { result: "response", status };
    const cooldownMs = typeof retryAfterMs === "number" && retryAfterMs >= 0 ? retryAfterMs : undefined;
    return { result: "failure", reason, status, cooldownMs };
  }
  if ("error" in outcome) return { result: "failure", reason: "network-error" };
  return fail("release(outcome)", outcome, "{ ok: true }, { status, retryAfterMs? }, { error } or { aborted: true }");
}

/**
 * Leases one of `balancer`'s backends for traffic that does not go through `fetch` (Realtime over WebSocket
 * or WebRTC): chosen by the same tiers, states and adapters, waited for within `maxWaitMs` when every backend is cooling, and counted in flight until the
 * caller hands back the outcome. A backend whose credentials cannot be prepared cools down and the next is tried.
 *
 * @example
 * const leased = await lease(lb, { model: "gpt-realtime" });
 * const socket = new WebSocket(leased.url, { headers: Object.fromEntries(leased.headers) }); // Node's ws
 * socket.on("open", () => leased.release({ ok: true }));
 * socket.on("unexpected-response", (_, res) => leased.release({ status: res.statusCode, retryAfterMs: Number(res.headers["retry-after-ms"]) || undefined }));
 * socket.on("error", (error) => leased.release({ error }));
 * @throws {TypeError} for invalid options; rejects with a `LeaseUnavailableError` (with `retryAfterMs`) when none is available in time.
 */
export async function lease(balancer: LoadBalancer, options: LeaseOptions = {}): Promise<Lease> {
  const port = (balancer as unknown as Record<symbol, LeasePort | undefined> | null)?.[LEASE_PORT];
  if (port === undefined) fail("balancer", balancer, "a balancer made by createLoadBalancer");
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
        throw unavailable(retryAfterMs);
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
      target = pending instanceof Promise ? await raced(pending, signal) : pending;
    } catch {
      started.settle(signal?.aborted ? { result: "aborted" } : { result: "failure", reason: "credentials" });
      if (signal?.aborted) throw signal.reason;
      continue;
    }
    const url = connectUrl(target, protocol, started.deployment ?? options.model);
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
