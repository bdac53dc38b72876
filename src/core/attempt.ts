import type { ThrottleReason } from "../types/events.js";
import { sleep } from "../utils/timers.js";
import type { Backend } from "./backend.js";
import { parseCooldownMs } from "./cooldown.js";
import type { Emitter } from "./events.js";
import { exhaustedResponse } from "./exhausted.js";
import type { ResolvedOptions } from "./options.js";
import { prepareRequest, type PreparedRequest } from "./request.js";
import { soonestRecoveryMs, type Selector } from "./select.js";

/** What the attempt loop works with; one per balancer. */
export interface BalancerContext {
  readonly options: ResolvedOptions;
  readonly backends: readonly Backend[];
  readonly select: Selector;
  readonly events: Emitter;
  lastRequestId: number;
}

/** 429 and 5xx take the backend out of rotation and the request on to the next one; every other status is the caller's. */
const isFailure = (status: number): boolean => status === 429 || status >= 500;

function headersFor(backend: Backend, init: RequestInit): HeadersInit | undefined {
  const own = backend.config.headers;
  if (own === undefined) return init.headers;
  const merged = new Headers(init.headers);
  own.forEach((value, name) => merged.set(name, value));
  return merged;
}

type Outcome = { response: Response } | { failed: "network-error" | "timeout" };

/** One attempt. Rejects only when the caller aborted; a failure of the backend is an outcome. */
async function send(context: BalancerContext, backend: Backend, url: string, request: PreparedRequest): Promise<Outcome> {
  const { fetch, attemptTimeoutMs } = context.options;
  const ownHeaders = backend.config.headers !== undefined;
  if (attemptTimeoutMs === undefined && !ownHeaders) {
    try {
      return { response: await fetch(url, request.init) };
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      return { failed: "network-error" };
    }
  }
  const init: RequestInit = { ...request.init, headers: headersFor(backend, request.init) };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let deadline: AbortController | undefined;
  if (attemptTimeoutMs !== undefined) {
    deadline = new AbortController();
    const abort = deadline;
    timer = setTimeout(() => abort.abort(new DOMException("The attempt timed out.", "TimeoutError")), attemptTimeoutMs);
    init.signal = request.signal === undefined ? deadline.signal : AbortSignal.any([request.signal, deadline.signal]);
  }
  try {
    return { response: await fetch(url, init) };
  } catch (error) {
    if (request.signal?.aborted) throw request.signal.reason;
    return { failed: deadline?.signal.aborted ? "timeout" : "network-error" };
  } finally {
    clearTimeout(timer);
  }
}

function coolDown(
  context: BalancerContext,
  backend: Backend,
  requestId: number,
  attempt: number,
  reason: ThrottleReason,
  cooldownMs: number,
  status?: number,
): void {
  const now = context.options.now();
  const until = backend.coolDown(reason, cooldownMs, now);
  if (context.events.active) {
    context.events.emit({ type: "throttle", at: now, requestId, attempt, backend: backend.info, reason, status, cooldownMs, until });
  }
}

/**
 * The balanced fetch: picks a backend, sends, and on 429, 5xx, a network error or a timeout
 * takes that backend out of rotation and sends the same request on to the next choice, until a
 * response can be handed back or no backend is left (then the synthetic 429, or a wait within `maxWaitMs`).
 */
export async function balancedFetch(context: BalancerContext, input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const { options, events } = context;
  const started = options.now();
  const requestId = ++context.lastRequestId;
  const prepared = prepareRequest(input, init);
  const request = prepared instanceof Promise ? await prepared : prepared;
  const signal = request.signal;
  let attempt = 0;
  let waitedMs = 0;
  let tried: Set<Backend> | undefined;

  for (;;) {
    if (signal?.aborted) throw signal.reason;
    const now = options.now();
    const backend = context.select(now, tried);

    if (backend === undefined) {
      const retryAfterMs = soonestRecoveryMs(context.backends, now);
      const waiting = retryAfterMs > 0 && retryAfterMs <= options.maxWaitMs - waitedMs;
      if (events.active) events.emit({ type: "exhausted", at: now, requestId, attempt, retryAfterMs, waiting });
      if (!waiting) return exhaustedResponse(retryAfterMs, context.backends.length);
      await sleep(retryAfterMs, signal);
      waitedMs += retryAfterMs;
      tried = undefined; // after the wait every backend deserves another chance
      continue;
    }

    attempt++;
    const url = backend.config.base + request.pathAndQuery;
    if (events.active) {
      events.emit({ type: "attempt", at: now, requestId, attempt, backend: backend.info, method: request.method, url });
    }
    backend.requests++;
    backend.inFlight++;
    let outcome: Outcome;
    try {
      outcome = await send(context, backend, url, request);
    } finally {
      backend.inFlight--;
    }

    if ("failed" in outcome) {
      backend.errors++;
      coolDown(context, backend, requestId, attempt, outcome.failed, options.defaultCooldownMs);
      (tried ??= new Set()).add(backend);
      continue;
    }

    const { response } = outcome;
    backend.lastStatus = response.status;
    if (isFailure(response.status)) {
      // Release the connection: nobody will read this body.
      response.body?.cancel().catch(() => {});
      const rateLimited = response.status === 429;
      if (rateLimited) backend.throttles++;
      else backend.errors++;
      const fromHeaders = parseCooldownMs(response.headers, options.now());
      const cooldownMs = fromHeaders === undefined ? options.defaultCooldownMs : Math.min(fromHeaders, options.maxCooldownMs);
      coolDown(context, backend, requestId, attempt, rateLimited ? "rate-limit" : "server-error", cooldownMs, response.status);
      (tried ??= new Set()).add(backend);
      continue;
    }

    backend.successes++;
    if (events.active) {
      const at = options.now();
      events.emit({ type: "response", at, requestId, attempt, backend: backend.info, status: response.status, latencyMs: at - started });
    }
    return response;
  }
}
