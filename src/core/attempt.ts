import type { AttemptTarget, Spillover } from "../types/adapter.ts";
import type { CooldownReason } from "../types/events.ts";
import { clampDelay, raceAbort } from "../utils/timers.ts";
import { advanceDue, type AttemptTicket, type Backend, type ScopeState } from "./backend.ts";
import { type BreakerHost, isFailure } from "./breaker.ts";
import { parseCooldownMs, retryInBody } from "./cooldown.ts";
import { watchCreated } from "./created.ts";
import type { HeaderDeadlines, HeaderWatch } from "./deadlines.ts";
import type { Emitter } from "./events.ts";
import { exhaustedResponse, unservableResponse } from "./exhausted.ts";
import { readQuota, spentQuotaMs } from "./pacer.ts";
import type { Held, Take, WaitQueue } from "./queue.ts";
import type { ResolvedOptions } from "./options.ts";
import { judge } from "./judge.ts";
import { isBalanced, prepareRequest, type PreparedRequest } from "./request.ts";
import { pinnedResponse, type Route, routeFor } from "./routing.ts";
import { deploymentInPath, scopeOf } from "./scope.ts";
import { soonestRecoveryMs, type Selector, waitReason } from "./select.ts";
import type { GuardHooks } from "./stream-guard.ts";
import { accepts, LARGE_BODY, targetFor } from "./target.ts";
import { failureReason } from "./verdict.ts";

/** What the attempt loop works with; one per balancer. */
export interface BalancerContext {
  readonly options: ResolvedOptions;
  readonly backends: readonly Backend[];
  readonly select: Selector;
  readonly events: Emitter;
  /** `closed` is set by `lb.close()`. */
  readonly host: BreakerHost;
  /** Requests waiting for a backend, served in arrival order (see queue.ts). */
  readonly queue: WaitQueue;
  /** The attempts waiting for headers under a header timeout, swept by one timer. */
  readonly deadlines: HeaderDeadlines;
  lastRequestId: number;
}

/**
 * A recovery this close is waited for whatever `maxWaitMs` says: a synthetic 429 asking for a few
 * milliseconds would make the OpenAI SDK spend one of its retries on nothing (429s of one window
 * arriving a little late push a deadline back by just that much).
 */
const SHORT_WAIT_MS = 50;

/** A request's bookkeeping, shared by the loop's steps. */
export interface Call {
  readonly context: BalancerContext;
  readonly request: PreparedRequest;
  readonly requestId: number;
  /** The Azure deployment of the request's path, read once (see scope.ts). */
  readonly pathScope: string | undefined;
  /** Pinned to an owner or the home backend, sticky, or balanced (see routing.ts). */
  readonly route: Route;
  attempt: number;
  /** What its headers' wait is like, read on its first attempt (see {@link kindOf}). */
  kind?: RequestKind;
}

/**
 * `streamed`: `"stream": true` in a JSON text body, headers come at once. `buffered`: another JSON text
 * body, or none: headers come with the whole answer, and their time is learned. `upload`: any other body
 * (multipart audio or files, bytes, a stream), or a text body of a MiB or more (a prompt with images in
 * it): its headers wait for the upload and the work on it, which the completions' latency says nothing
 * about (and a 50 MB body is not scanned for `"stream"` on every request).
 */
type RequestKind = "streamed" | "buffered" | "upload";

// How a JSON body asks for a stream, as JSON.stringify writes it (the OpenAI SDK, the Vercel AI SDK), or
// with spaces. A `"stream":` inside a string value is escaped (`\"stream\":`), so it does not match.
const STREAM_FIELD = /"stream"\s*:\s*true\b/;

function kindOf(call: Call): RequestKind {
  if (call.kind === undefined) {
    const { body } = call.request.init;
    call.kind =
      body == null
        ? "buffered"
        : typeof body !== "string"
          ? "upload"
          : body.length >= LARGE_BODY
            ? "upload"
            : // `includes` first: most bodies have no `"stream"` at all, and it is much cheaper than the expression.
              body.includes('"stream"') && STREAM_FIELD.test(body)
              ? "streamed"
              : "buffered";
  }
  return call.kind;
}

/**
 * Answers of a scope (the deployment or model, else the backend as a whole) seen before its learned header
 * timeout replaces the upper bound. Until then the bound, not another scope's sketch: a backend's fast
 * deployment says nothing about its slow one.
 */
const LEARN_AFTER = 20;
/** The learned header timeout of non-streamed requests: 4 × p99, within these bounds. */
const LEARNED_MIN_MS = 60_000;
const LEARNED_MAX_MS = 300_000;

/** How long this attempt waits for headers, ms (`Infinity`: no limit); see `headerTimeoutMs`. `scope`: the attempt's. */
function headerTimeoutMs(call: Call, scope: ScopeState): number {
  const { headerTimeout } = call.context.options;
  const kind = kindOf(call);
  if (kind === "streamed") return headerTimeout.streamed;
  if (headerTimeout.buffered !== "learned") return headerTimeout.buffered;
  const sketch = scope.latency.buffered;
  if (kind === "upload" || sketch.size < LEARN_AFTER) return LEARNED_MAX_MS;
  return Math.min(LEARNED_MAX_MS, Math.max(LEARNED_MIN_MS, 4 * sketch.p99()!));
}

/**
 * A caller's abort after this long without headers, from a backend whose time to headers is not learned
 * yet, is the backend's timeout too (see {@link waitedTooLong}): a caller with a short timeout of its own
 * (the OpenAI SDK aborts on its timeout, then retries) would otherwise keep retrying a silent backend that
 * never answered, so never got learned, and whose header timeout its own timeout always beats.
 */
const LONG_WAIT_MS = 2_000;

/**
 * Whether a caller that aborted after `waitedMs` without headers gave up on the backend: the OpenAI SDK
 * aborts its own signal on its timeout and then retries, and without this the retry goes to the same
 * silent backend. Long is the timeout the caller declared (`x-stainless-timeout`, whole seconds, which the
 * OpenAI SDK sends with a per-request timeout), less 10%; else 4 × the learned p99 of the attempt's scope
 * (`scope`: its deployment, or the backend as a whole) for this kind of request, at least {@link LONG_WAIT_MS}
 * (just that until the scope gave 20 answers); never more than the header timeout. Once learned, a user who
 * stops a completion the backend is still within its usual time for costs it nothing. An upload's wait is
 * never long but by its declared timeout. (openai 6 sends `x-stainless-timeout` on every request; openai
 * 7.55 sends none unless asked.)
 */
function waitedTooLong(call: Call, scope: ScopeState, waitedMs: number): boolean {
  const declared = Number(new Headers(call.request.init.headers).get("x-stainless-timeout") ?? Number.NaN) * 1000;
  if (declared > 0) return waitedMs >= 0.9 * declared;
  const kind = kindOf(call);
  if (kind === "upload") return false;
  const sketch = scope.latency[kind];
  const learned = sketch.size < LEARN_AFTER ? 0 : 4 * sketch.p99()!;
  return waitedMs >= Math.min(headerTimeoutMs(call, scope), Math.max(LONG_WAIT_MS, learned));
}

/** The fields every event about one attempt of this request carries. */
export function about(call: Call, backend: Backend, deployment: string | undefined, at: number) {
  return {
    at,
    requestId: call.requestId,
    attempt: call.attempt,
    backend: backend.info,
    deployment: deployment ?? null,
  };
}

type Outcome = { response: Response } | { failed: "network-error" | "timeout" | "credentials" };

/** Nobody will read this body: release the connection. */
const discard = (response: Response): void => void response.body?.cancel().catch(() => {});

/**
 * `pending`, raced against the attempt's header watch, else against its signal (the caller's, or the
 * attempt timeout's controller), else as it is; `onLate` gets what it resolves to after the race was lost.
 */
function settle<T>(
  pending: Promise<T>,
  watch: HeaderWatch | undefined,
  watched: AbortSignal | undefined,
  onLate?: (value: T) => void,
): Promise<T> {
  if (watch !== undefined) return watch.race(pending, onLate);
  return watched === undefined ? pending : raceAbort(pending, watched, onLate);
}

/** Whether the attempt failed by its own deadline (the attempt timeout or the header timeout). */
const timedOut = (controller: AbortController | undefined, watch: HeaderWatch | undefined): boolean =>
  controller?.signal.aborted === true || watch?.expired === true;

/**
 * Sends one attempt. Rejects only when the caller aborted; a failure of the backend is an outcome.
 * Every await races the caller's signal and the attempt's deadline, so a token provider that never
 * resolves or a fetch that ignores its signal cannot hold the request. With `attemptTimeoutMs`, one
 * controller per attempt, following the caller's signal through a listener removed at the end, and one
 * timer. The header timeout alone needs neither: the attempt is watched by the balancer's one sweep
 * (see deadlines.ts) and abandoned when it expires, and fetch keeps the caller's own signal, so the
 * caller's abort still reaches the body of the response it gets.
 */
async function send(
  call: Call,
  backend: Backend,
  deployment: string | undefined,
  scope: ScopeState,
  now: number,
): Promise<Outcome> {
  const { context, request } = call;
  const { signal } = request;
  const { fetch, attemptTimeoutMs } = context.options;
  const headerMs = headerTimeoutMs(call, scope);
  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let follow: (() => void) | undefined;
  let watch: HeaderWatch | undefined;
  let watched = signal;
  if (attemptTimeoutMs !== undefined) {
    const deadline = new AbortController();
    controller = deadline;
    watched = deadline.signal;
    timer = setTimeout(
      () => deadline.abort(new DOMException("The attempt timed out.", "TimeoutError")),
      clampDelay(Math.min(attemptTimeoutMs, headerMs)),
    );
    if (signal?.aborted) deadline.abort(signal.reason);
    else if (signal !== undefined) {
      follow = () => deadline.abort(signal.reason);
      signal.addEventListener("abort", follow, { once: true });
    }
  } else if (headerMs !== Number.POSITIVE_INFINITY) watch = context.deadlines.watch(now + headerMs, signal);
  try {
    let target: AttemptTarget;
    try {
      const routed = targetFor(backend.config, request);
      target = routed instanceof Promise ? await settle(routed, watch, watched) : routed;
    } catch {
      if (signal?.aborted) throw signal.reason;
      return { failed: timedOut(controller, watch) ? "timeout" : "credentials" };
    }
    if (context.events.active) {
      context.events.emit({
        type: "attempt",
        ...about(call, backend, deployment, now),
        method: request.method,
        url: target.url,
      });
    }
    let response: Response;
    try {
      const init = controller === undefined ? target.init : { ...target.init, signal: controller.signal };
      response = await settle(fetch(target.url, init), watch, watched, discard);
    } catch {
      if (signal?.aborted) throw signal.reason;
      return { failed: timedOut(controller, watch) ? "timeout" : "network-error" };
    }
    const kind = kindOf(call);
    if (response.status < 400 && kind !== "upload") {
      const sketch = scope.latency[kind];
      if (sketch.wants()) sketch.record(context.options.now() - now);
    }
    return { response };
  } finally {
    clearTimeout(timer);
    if (follow !== undefined) signal!.removeEventListener("abort", follow);
    watch?.end();
  }
}

/**
 * The waiter's turn for the queue: the same transition step and selection as the loop (every backend gets
 * another chance after a wait), the attempt started at once so the next waiter sees its reservation.
 */
function takeFor(call: Call): Take {
  const { context, request } = call;
  return (now) => {
    advanceDue(context.backends, now, context.host);
    const backend = context.select(now, undefined, request, call.pathScope, call.route);
    if (backend === undefined)
      return soonestRecoveryMs(context.backends, now, request, call.pathScope, call.route.pinned) ?? 0;
    return { backend, ticket: backend.startAttempt(scopeOf(backend.config, request, call.pathScope), request) };
  };
}

/** The end of one attempt, for the `outcome` event (and the snapshot's count of requests the provider spilled over). */
export function ended(
  call: Call,
  backend: Backend,
  deployment: string | undefined,
  sentAt: number,
  result: "response" | "failure" | "aborted",
  status?: number,
  reason?: CooldownReason,
  spillover?: Spillover,
): void {
  const { events, options } = call.context;
  if (spillover !== undefined) backend.stats.spilled++;
  if (events.active) {
    const at = options.now();
    events.emit({
      type: "outcome",
      ...about(call, backend, deployment, at),
      result,
      status,
      reason,
      durationMs: at - sentAt,
      ...(spillover && { spillover }),
    });
  }
}

/** `tried` with `backend` in it; for a request the provider spilled over, every backend on its origin as well. */
function triedOn(tried: Set<Backend> | undefined, call: Call, backend: Backend, spillover?: Spillover): Set<Backend> {
  const set = tried ?? new Set();
  set.add(backend);
  if (spillover === undefined) return set;
  // The provider already sent it to its spillover deployment on this resource: not there a second time.
  const origin = new URL(backend.config.base).origin;
  for (const other of call.context.backends) if (new URL(other.config.base).origin === origin) set.add(other);
  return set;
}

/** The answer when no backend is left: for a pinned request its backend's own state, else the synthetic 429. */
function refused(call: Call, retryAfterMs: number): Response {
  const { context, route } = call;
  const owner = route.pinned === undefined ? undefined : context.backends.find((b) => b.config.name === route.pinned);
  if (owner === undefined) return exhaustedResponse(retryAfterMs, context.backends.length);
  const reason = owner.whole.reason ?? owner.scope(scopeOf(owner.config, call.request, call.pathScope))?.reason;
  return pinnedResponse(route, retryAfterMs, reason != null && isFailure(reason));
}

/** The response handed back; for a stateful path, watched for the ids its backend created (see created.ts). */
function handedBack(call: Call, backend: Backend, response: Response): Response {
  const { owners } = call.context.options.routing;
  if (!call.route.watch || owners === undefined) return response;
  return watchCreated(response, (ids) => {
    for (const id of ids) owners.remember(id, backend.config.name);
  });
}

/** What the stream guard needs from the loop for one attempt: its events, and a cooldown when a released stream goes idle. */
function guardHooks(call: Call, backend: Backend, deployment: string | undefined): GuardHooks {
  const { events, options } = call.context;
  return {
    report: (fields) => {
      if (events.active) events.emit({ type: "stream", ...about(call, backend, deployment, options.now()), ...fields });
    },
    onIdle: () => backend.recordLateFailure(deployment, "timeout", undefined, call),
    now: options.now,
  };
}

/** The answer of a backend a rule passed over without cooling it (a 400 `context_length_exceeded`). */
interface Fallback {
  readonly response: Response;
  readonly backend: Backend;
  readonly deployment: string | undefined;
}

/** The `response` event: a response is handed back to the caller. */
function delivered(
  call: Call,
  backend: Backend,
  deployment: string | undefined,
  status: number,
  started: number,
): void {
  const { events, options } = call.context;
  if (events.active) {
    const at = options.now();
    events.emit({ type: "response", ...about(call, backend, deployment, at), status, latencyMs: at - started });
  }
}

/** Why `lb.fetch` refuses after `lb.close()`: the WHATWG name for an object used in a state that forbids it. */
export function closedError(): DOMException {
  return new DOMException(
    "openai-priority-loadbalancer: this balancer was closed (lb.close()); create a new one to send requests.",
    "InvalidStateError",
  );
}

/**
 * The balanced fetch: picks a backend, sends, and on 429, 5xx, a network error or a timeout
 * takes that backend (or its deployment) out of rotation and sends the same request on to the next
 * choice, until a response can be handed back or no backend is left (then the synthetic 429, or a
 * wait within `maxWaitMs`), at most `maxAttempts` attempts.
 */
export async function balancedFetch(
  context: BalancerContext,
  input: string | URL | Request,
  init?: RequestInit,
): Promise<Response> {
  const { options, events } = context;
  if (context.host.closed) throw closedError();
  if (!isBalanced(input)) return options.fetch(input, init);
  const started = options.now();
  const prepared = prepareRequest(input, init);
  let request: PreparedRequest;
  if (prepared instanceof Promise) {
    const early = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    request = early ? await raceAbort(prepared, early) : await prepared;
  } else request = prepared;
  const call: Call = {
    context,
    request,
    requestId: ++context.lastRequestId,
    pathScope: deploymentInPath(request.pathAndQuery),
    route: routeFor(options.routing, request.pathAndQuery, request.init, (name) =>
      context.backends.some((backend) => backend.config.name === name && accepts(backend.config, request)),
    ),
    attempt: 0,
  };
  const { signal } = request;
  let waitedMs = 0;
  let tried: Set<Backend> | undefined;
  // A backend the queue chose for this request, its attempt already started.
  let held: Held | undefined;
  // The caller's answer when no backend is left to try, rather than a 429 of the balancer's.
  let fallback: Fallback | undefined;
  try {
    // Every round reads the clock once; the first round's time is the request's start.
    for (let now = started; ; now = options.now()) {
      if (signal?.aborted) {
        if (held !== undefined) held.backend.abandonAttempt(held.ticket);
        throw signal.reason;
      }
      advanceDue(context.backends, now, context.host);
      const capped = call.attempt >= options.maxAttempts;
      let backend = held?.backend;
      if (backend === undefined && !capped) {
        // Waiters go first: what is left after their turn is what none of them can use.
        if (context.queue.size > 0) context.queue.serve(now);
        backend = context.select(now, tried, request, call.pathScope, call.route);
      }

      if (backend === undefined) {
        if (fallback !== undefined) {
          delivered(call, fallback.backend, fallback.deployment, fallback.response.status, started);
          return fallback.response;
        }
        const retryAfterMs = soonestRecoveryMs(context.backends, now, request, call.pathScope, call.route.pinned);
        if (retryAfterMs === undefined) return unservableResponse();
        const budgetMs = Math.max(options.maxWaitMs, SHORT_WAIT_MS) - waitedMs;
        const waiting = !capped && retryAfterMs > 0 && retryAfterMs <= budgetMs;
        if (events.active)
          events.emit({
            type: "exhausted",
            at: now,
            requestId: call.requestId,
            attempt: call.attempt,
            retryAfterMs,
            waiting,
          });
        if (!waiting) return refused(call, retryAfterMs);
        held = await context.queue.wait(
          {
            requestId: call.requestId,
            attempt: call.attempt,
            reason: waitReason(context.backends, now, request, call.pathScope, call.route.pinned),
            retryAfterMs,
            budgetMs,
            signal,
            take: takeFor(call),
          },
          closedError,
        );
        // Real elapsed time, but never less than a millisecond: a clock that stands still must not make endless rounds.
        waitedMs += Math.max(options.now() - now, 1);
        tried = undefined; // after the wait every backend deserves another chance
        if (held === undefined) {
          const soonest = soonestRecoveryMs(context.backends, options.now(), request, call.pathScope);
          return refused(call, Math.max(soonest ?? retryAfterMs, 1));
        }
        continue;
      }

      const deployment = scopeOf(backend.config, request, call.pathScope);
      call.attempt++;
      const ticket: AttemptTicket = held?.ticket ?? backend.startAttempt(deployment, request);
      held = undefined;
      // The scope's latency (the deployment's, or the backend's as a whole): read from the ticket, no lookup.
      const scope = ticket.state ?? backend.scopeState(deployment);
      let outcome: Outcome;
      try {
        outcome = await send(call, backend, deployment, scope, now);
      } catch (error) {
        // The caller gave up; after a long wait for headers that is the backend's timeout too.
        if (waitedTooLong(call, scope, options.now() - now)) {
          ended(call, backend, deployment, now, "failure", undefined, "timeout");
          backend.recordFailure(ticket, deployment, "timeout", undefined, undefined, call);
        } else {
          backend.abandonAttempt(ticket);
          ended(call, backend, deployment, now, "aborted");
        }
        throw error;
      }

      const response = "response" in outcome ? outcome.response : undefined;
      if (response !== undefined && signal?.aborted) {
        // The caller gave up while the headers arrived: it must not get a response after its abort.
        discard(response);
        backend.abandonAttempt(ticket);
        ended(call, backend, deployment, now, "aborted");
        throw signal.reason;
      }
      const reason = response === undefined ? (outcome as { failed: CooldownReason }).failed : failureReason(response);
      const spillover = response && backend.config.adapter?.spillover?.(response.headers);
      if (response === undefined || reason !== undefined) {
        // An HTTP-date is turned into a duration once, here, against the wall clock it was written in.
        let askedMs = response && parseCooldownMs(response.headers, options.wallNow());
        // Azure's capacity 429s carry their wait only in the message: read a small JSON body for it.
        if (response?.status === 429 && askedMs === undefined) askedMs = await retryInBody(response, signal);
        else if (response !== undefined) discard(response);
        ended(call, backend, deployment, now, "failure", response?.status, reason, spillover);
        backend.recordFailure(ticket, deployment, reason!, askedMs, response?.status, call);
        // The 429 stands even when the caller gave up while its body was read.
        if (signal?.aborted) throw signal.reason;
        tried = triedOn(tried, call, backend, spillover);
        continue;
      }

      let verdict: Awaited<ReturnType<typeof judge>>;
      try {
        const judged = judge(
          response,
          options.judge,
          backend.info.name,
          () => guardHooks(call, backend, deployment),
          signal,
        );
        verdict = judged instanceof Promise ? await judged : judged;
      } catch (error) {
        backend.abandonAttempt(ticket);
        ended(call, backend, deployment, now, "aborted");
        throw error;
      }
      if ("failover" in verdict) {
        const { reason, cool, cooldownMs, status } = verdict.failover;
        ended(call, backend, deployment, now, "failure", status, reason, spillover);
        if (cool) backend.recordFailure(ticket, deployment, reason!, cooldownMs, status, call);
        else {
          // The backend answered for itself: it stays in rotation, and its answer is kept for the end.
          backend.recordSuccess(ticket, response.status, call);
          if (fallback !== undefined) discard(fallback.response);
          fallback = { response: verdict.failover.fallback!, backend, deployment };
        }
        tried = triedOn(tried, call, backend, spillover);
        continue;
      }
      if (fallback !== undefined) discard(fallback.response);
      fallback = undefined;

      ended(call, backend, deployment, now, "response", response.status, undefined, spillover);
      backend.recordSuccess(ticket, response.status, call);
      const quota = readQuota(response.headers);
      if (quota !== undefined) {
        backend.observe(deployment, quota);
        const quotaMs = spentQuotaMs(quota, options.defaultCooldownMs);
        if (quotaMs !== undefined) backend.spentQuota(deployment, quotaMs, response.status, call);
      }
      delivered(call, backend, deployment, response.status, started);
      return handedBack(call, backend, verdict.deliver);
    }
  } catch (error) {
    // The caller aborted: nobody will read the answer kept for the end.
    if (fallback !== undefined) discard(fallback.response);
    throw error;
  }
}
