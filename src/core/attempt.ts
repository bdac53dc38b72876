import type { AttemptTarget, Spillover } from "../types/adapter.js";
import type { CooldownReason as ThrottleReason } from "../types/events.js";
import { sleep } from "../utils/timers.js";
import type { Backend } from "./backend.js";
import { watchCreated } from "./created.js";
import { parseCooldownMs, parseDuration } from "./cooldown.js";
import type { Emitter } from "./events.js";
import { exhaustedResponse, unservableResponse } from "./exhausted.js";
import type { ResolvedOptions } from "./options.js";
import type { LeasePort } from "./lease-port.js";
import { isBalanced, prepareRequest, type PreparedRequest } from "./request.js";
import { BALANCED, pinnedResponse, type Route, routeFor, type RoutingOptions } from "./routing.js";
import { soonestRecoveryMs, type Selector } from "./select.js";
import { targetFor } from "./target.js";
import { failureReason } from "./verdict.js";

/** What the attempt loop works with; one per balancer. */
export interface BalancerContext {
  readonly options: ResolvedOptions;
  readonly backends: readonly Backend[];
  readonly select: Selector;
  readonly events: Emitter;
  /** Affinity, home backend and stickiness (see routing.ts). */
  readonly routing: RoutingOptions;
  lastRequestId: number;
}

/**
 * A recovery this close is waited for whatever `maxWaitMs` says: a synthetic 429 asking for a few
 * milliseconds would make the OpenAI SDK spend one of its retries on nothing (429s of one window
 * arriving a little late push a deadline back by just that much).
 */
const SHORT_WAIT_MS = 50;

/** A request's bookkeeping, shared by the loop's steps. */
interface Call {
  readonly context: BalancerContext;
  readonly request: PreparedRequest;
  readonly requestId: number;
  attempt: number;
}

/** The fields every event about one attempt of this request carries. */
function about(call: Call, backend: Backend, at: number) {
  return { at, requestId: call.requestId, attempt: call.attempt, backend: backend.info, deployment: null };
}

type Outcome = { response: Response } | { failed: "network-error" | "timeout" | "credentials" };

/** Sends one attempt. Rejects only when the caller aborted; a failure of the backend is an outcome. */
async function send(call: Call, backend: Backend, now: number): Promise<Outcome> {
  const { context, request } = call;
  const { signal } = request;
  const { fetch, attemptTimeoutMs } = context.options;
  let target: AttemptTarget;
  try {
    const routed = targetFor(backend.config, request);
    target = routed instanceof Promise ? await routed : routed;
  } catch {
    if (signal?.aborted) throw signal.reason;
    return { failed: "credentials" };
  }
  if (context.events.active) {
    context.events.emit({ type: "attempt", ...about(call, backend, now), method: request.method, url: target.url });
  }
  let deadline: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let init = target.init;
  if (attemptTimeoutMs !== undefined) {
    const controller = new AbortController();
    deadline = controller;
    timer = setTimeout(() => controller.abort(), attemptTimeoutMs);
    init = { ...init, signal: signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal]) };
  }
  try {
    return { response: await fetch(target.url, init) };
  } catch {
    if (signal?.aborted) throw signal.reason;
    return { failed: deadline?.signal.aborted ? "timeout" : "network-error" };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A success that reports no requests or tokens left (`x-ratelimit-remaining-* : 0`) will be
 * followed by 429s: cool down until the matching reset instead of paying for that round trip.
 * Where the headers are unreadable (browsers, CORS) this simply never triggers.
 */
function quotaCooldownMs(headers: Headers, defaultMs: number): number | undefined {
  let spent = false;
  let reset = -1; // the later reset of the spent limits; -1 while none was said
  for (const limit of ["requests", "tokens"]) {
    if (headers.get(`x-ratelimit-remaining-${limit}`)?.trim() !== "0") continue;
    spent = true;
    reset = Math.max(reset, parseDuration(headers.get(`x-ratelimit-reset-${limit}`)) ?? -1);
  }
  if (!spent) return undefined;
  return reset < 0 ? defaultMs : reset;
}

function coolDown(call: Call, backend: Backend, reason: ThrottleReason, baseMs: number, status?: number): void {
  const { options, events } = call.context;
  const now = options.now();
  const cooldown = backend.coolDown(
    reason,
    Math.min(baseMs, options.maxCooldownMs),
    now,
    options.failureThreshold,
    options.maxCooldownMs,
  );
  if (cooldown.started && events.active) {
    const { started: _, ...fields } = cooldown;
    events.emit({
      type: "cooldown",
      at: now,
      backend: backend.info,
      deployment: null,
      reason,
      status,
      ...fields,
      remote: false,
      requestId: call.requestId,
    });
  }
}

/** The end of one attempt, for the `outcome` event. */
function ended(
  call: Call,
  backend: Backend,
  sentAt: number,
  result: "response" | "failure" | "aborted",
  status?: number,
  reason?: ThrottleReason,
  spillover?: Spillover,
): void {
  const { events, options } = call.context;
  if (events.active) {
    const at = options.now();
    const event = {
      type: "outcome",
      ...about(call, backend, at),
      result,
      status,
      reason,
      durationMs: at - sentAt,
    } as const;
    events.emit(spillover === undefined ? event : { ...event, spillover });
  }
}

function probed(call: Call, backend: Backend, success: boolean): void {
  const { events, options } = call.context;
  if (events.active) {
    events.emit({ type: "probe", ...about(call, backend, options.now()), success });
  }
}

/** The backends on `backend`'s origin (other deployments of the same resource), itself included. */
function sameOrigin(context: BalancerContext, backend: Backend): Backend[] {
  const origin = new URL(backend.config.base).origin;
  return context.backends.filter((other) => new URL(other.config.base).origin === origin);
}

/** The answer when no backend is left for a request: the pinned backend's own state, or the synthetic 429. */
function refused(context: BalancerContext, route: Route, retryAfterMs: number): Response {
  const owner = route.pinned === undefined ? undefined : context.backends.find((b) => b.config.name === route.pinned);
  if (owner === undefined) return exhaustedResponse(retryAfterMs, context.backends.length);
  const failing = owner.reason !== null && owner.reason !== "rate-limit" && owner.reason !== "quota";
  return pinnedResponse(route, retryAfterMs, failing);
}

/**
 * The balanced fetch: picks a backend, sends, and on 429, 5xx, a network error or a timeout
 * takes that backend out of rotation and sends the same request on to the next choice, until a
 * response can be handed back or no backend is left (then the synthetic 429, or a wait within `maxWaitMs`).
 */
export async function balancedFetch(
  context: BalancerContext,
  input: string | URL | Request,
  init?: RequestInit,
): Promise<Response> {
  const { options, events } = context;
  if (!isBalanced(input)) return options.fetch(input, init);
  const started = options.now();
  const prepared = prepareRequest(input, init);
  const request = prepared instanceof Promise ? await prepared : prepared;
  const call: Call = { context, request, requestId: ++context.lastRequestId, attempt: 0 };
  const route = routeFor(context.routing, request.pathAndQuery, request.init);
  const { signal } = request;
  let waitedMs = 0;
  let tried: Set<Backend> | undefined;

  for (;;) {
    if (signal?.aborted) throw signal.reason;
    const now = options.now();
    const backend = context.select(now, tried, request, route);

    if (backend === undefined) {
      const retryAfterMs = soonestRecoveryMs(context.backends, now, request, route.pinned);
      if (retryAfterMs === undefined) return unservableResponse();
      const waiting = retryAfterMs > 0 && retryAfterMs <= Math.max(options.maxWaitMs, SHORT_WAIT_MS) - waitedMs;
      if (events.active)
        events.emit({
          type: "exhausted",
          at: now,
          requestId: call.requestId,
          attempt: call.attempt,
          retryAfterMs,
          waiting,
        });
      if (!waiting) return refused(context, route, retryAfterMs);
      await sleep(retryAfterMs, signal);
      waitedMs += retryAfterMs;
      tried = undefined; // after the wait every backend deserves another chance
      continue;
    }

    call.attempt++;
    const isProbe = backend.startAttempt();
    let outcome: Outcome;
    try {
      outcome = await send(call, backend, now);
    } catch (error) {
      backend.abandonAttempt();
      ended(call, backend, now, "aborted");
      throw error;
    }

    const response = "response" in outcome ? outcome.response : undefined;
    const reason =
      response === undefined ? (outcome as { failed: ThrottleReason }).failed : failureReason(response.status);
    const spillover = response && backend.config.adapter?.spillover?.(response.headers);
    if (spillover !== undefined) backend.stats.spilled++;
    if (response === undefined || reason !== undefined) {
      // Release the connection: nobody will read this body.
      response?.body?.cancel().catch(() => {});
      backend.fail(reason!, response?.status);
      ended(call, backend, now, "failure", response?.status, reason, spillover);
      if (isProbe) probed(call, backend, false);
      const fromHeaders = response && parseCooldownMs(response.headers, options.now());
      coolDown(call, backend, reason!, fromHeaders ?? options.defaultCooldownMs, response?.status);
      tried ??= new Set();
      tried.add(backend);
      // The provider already sent it to its spillover deployment on this resource: not there a second time.
      if (spillover !== undefined) for (const other of sameOrigin(context, backend)) tried.add(other);
      continue;
    }

    ended(call, backend, now, "response", response.status, undefined, spillover);
    if (backend.succeed(response.status)) probed(call, backend, true);
    const quotaMs = quotaCooldownMs(response.headers, options.defaultCooldownMs);
    if (quotaMs !== undefined) coolDown(call, backend, "quota", quotaMs, response.status);
    if (events.active) {
      const at = options.now();
      events.emit({ type: "response", ...about(call, backend, at), status: response.status, latencyMs: at - started });
    }
    const { owners } = context.routing;
    if (!route.watch || owners === undefined) return response;
    return watchCreated(response, (ids) => {
      for (const id of ids) owners.remember(id, backend.config.name);
    });
  }
}

/** The lease's way into the state machine: the same choice, bookkeeping and events as an attempt of a fetch. */
export function leasePort(context: BalancerContext): LeasePort {
  const { options, events } = context;
  return {
    now: options.now,
    maxWaitMs: options.maxWaitMs,
    start(request) {
      const now = options.now();
      const backend = context.select(now, undefined, request, BALANCED);
      if (backend === undefined) return { retryAfterMs: soonestRecoveryMs(context.backends, now, request) };
      const call: Call = { context, request, requestId: ++context.lastRequestId, attempt: 1 };
      const isProbe = backend.startAttempt();
      return {
        backend: backend.info,
        target: () => targetFor(backend.config, request),
        sent(url) {
          if (events.active)
            events.emit({ type: "attempt", ...about(call, backend, now), method: request.method, url });
        },
        settle(settlement) {
          if (settlement.result === "aborted") {
            backend.abandonAttempt();
            ended(call, backend, now, "aborted");
          } else if (settlement.result === "response") {
            ended(call, backend, now, "response", settlement.status);
            if (backend.succeed(settlement.status)) probed(call, backend, true);
          } else {
            const { reason, status, cooldownMs } = settlement;
            backend.fail(reason, status);
            ended(call, backend, now, "failure", status, reason);
            if (isProbe) probed(call, backend, false);
            coolDown(call, backend, reason, cooldownMs ?? options.defaultCooldownMs, status);
          }
        },
      };
    },
  };
}
