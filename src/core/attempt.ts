import type { AttemptTarget } from "../types/adapter.js";
import type { CooldownReason as ThrottleReason } from "../types/events.js";
import { sleep } from "../utils/timers.js";
import type { Backend } from "./backend.js";
import { parseCooldownMs, parseDuration } from "./cooldown.js";
import type { Emitter } from "./events.js";
import { exhaustedResponse, unservableResponse } from "./exhausted.js";
import type { ResolvedOptions } from "./options.js";
import { type Judgement, judge } from "./judge.js";
import { isBalanced, prepareRequest, type PreparedRequest } from "./request.js";
import { soonestRecoveryMs, type Selector } from "./select.js";
import { targetFor } from "./target.js";
import type { GuardHooks } from "./stream-guard.js";
import { failureReason } from "./verdict.js";

/** What the attempt loop works with; one per balancer. */
export interface BalancerContext {
  readonly options: ResolvedOptions;
  readonly backends: readonly Backend[];
  readonly select: Selector;
  readonly events: Emitter;
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
): void {
  const { events, options } = call.context;
  if (events.active) {
    const at = options.now();
    events.emit({ type: "outcome", ...about(call, backend, at), result, status, reason, durationMs: at - sentAt });
  }
}

function probed(call: Call, backend: Backend, success: boolean): void {
  const { events, options } = call.context;
  if (events.active) {
    events.emit({ type: "probe", ...about(call, backend, options.now()), success });
  }
}

/** What the stream guard needs from the loop for one attempt: its events, and a cooldown on an idle stream. */
function guardHooks(call: Call, backend: Backend): GuardHooks {
  const { events, options } = call.context;
  return {
    report: (fields) => {
      if (events.active) events.emit({ type: "stream", ...about(call, backend, options.now()), ...fields });
    },
    onIdle: () => coolDown(call, backend, "timeout", options.defaultCooldownMs),
    now: () => performance.now(),
  };
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
  const { signal } = request;
  let waitedMs = 0;
  let tried: Set<Backend> | undefined;
  // The answer of a backend that a rule passed over without cooling it (a 400 context_length_exceeded):
  // the caller's when no backend is left to try, rather than a 429 of the balancer's.
  let fallback: Response | undefined;

  for (;;) {
    if (signal?.aborted) throw signal.reason;
    const now = options.now();
    const backend = context.select(now, tried, request);

    if (backend === undefined) {
      if (fallback !== undefined) return fallback;
      const retryAfterMs = soonestRecoveryMs(context.backends, now, request);
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
      if (!waiting) return exhaustedResponse(retryAfterMs, context.backends.length);
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
    if (response === undefined || reason !== undefined) {
      // Release the connection: nobody will read this body.
      response?.body?.cancel().catch(() => {});
      backend.fail(reason!, response?.status);
      ended(call, backend, now, "failure", response?.status, reason);
      if (isProbe) probed(call, backend, false);
      const fromHeaders = response && parseCooldownMs(response.headers, options.now());
      coolDown(call, backend, reason!, fromHeaders ?? options.defaultCooldownMs, response?.status);
      tried ??= new Set();
      tried.add(backend);
      continue;
    }

    let verdict: Judgement;
    try {
      const judged = judge(response, options.judge, backend.info.name, guardHooks(call, backend), signal);
      verdict = judged instanceof Promise ? await judged : judged;
    } catch (error) {
      backend.abandonAttempt();
      ended(call, backend, now, "aborted");
      throw error;
    }
    if ("failover" in verdict) {
      const { reason, cool, cooldownMs, status } = verdict.failover;
      ended(call, backend, now, "failure", status, reason);
      if (cool) {
        backend.fail(reason!, status);
        if (isProbe) probed(call, backend, false);
        coolDown(call, backend, reason!, cooldownMs ?? options.defaultCooldownMs, status);
      } else if (backend.succeed(status)) probed(call, backend, true);
      if (verdict.failover.fallback !== undefined) {
        fallback?.body?.cancel().catch(() => {});
        fallback = verdict.failover.fallback;
      }
      tried ??= new Set();
      tried.add(backend);
      continue;
    }
    fallback?.body?.cancel().catch(() => {});
    const delivered = verdict.deliver;

    ended(call, backend, now, "response", response.status);
    if (backend.succeed(response.status)) probed(call, backend, true);
    const quotaMs = quotaCooldownMs(response.headers, options.defaultCooldownMs);
    if (quotaMs !== undefined) coolDown(call, backend, "quota", quotaMs, response.status);
    if (events.active) {
      const at = options.now();
      events.emit({ type: "response", ...about(call, backend, at), status: response.status, latencyMs: at - started });
    }
    return delivered;
  }
}
