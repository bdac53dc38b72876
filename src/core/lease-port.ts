import type { AttemptTarget } from "../types/adapter.ts";
import type { BackendInfo, CooldownReason } from "../types/events.ts";
import { about, type BalancerContext, type Call, closedError, ended } from "./attempt.ts";
import { advanceDue } from "./backend.ts";
import type { PreparedRequest } from "./request.ts";
import { BALANCED } from "./routing.ts";
import { deploymentInPath, scopeOf } from "./scope.ts";
import { soonestRecoveryMs } from "./select.ts";
import { targetFor } from "./target.ts";

/**
 * Where a balancer keeps its {@link LeasePort}: a registered symbol, so that `openai-priority-loadbalancer/lease`
 * finds it across bundles without the core paying for the lease itself.
 */
export const LEASE_PORT: unique symbol = Symbol.for("openai-priority-loadbalancer.lease-port");

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
  /** The deployment or model (as the backend's adapter maps it) the lease draws on there, if the backend says. */
  readonly deployment: string | undefined;
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

/**
 * The balancer's side of the port: one attempt of a fetch, with the same transition step before the
 * choice, the same ticket, and the same recordSuccess / recordFailure (and so the same events) at its end.
 */
export function leasePort(context: BalancerContext): LeasePort {
  const { options, backends, events } = context;
  return {
    now: options.now,
    maxWaitMs: options.maxWaitMs,
    start(request) {
      if (context.host.closed) throw closedError();
      const now = options.now();
      advanceDue(backends, now, context.host);
      const pathScope = deploymentInPath(request.pathAndQuery);
      const backend = context.select(now, undefined, request, pathScope);
      if (backend === undefined) return { retryAfterMs: soonestRecoveryMs(backends, now, request, pathScope) };
      const call: Call = {
        context,
        request,
        requestId: ++context.lastRequestId,
        pathScope,
        route: BALANCED,
        attempt: 1,
      };
      const deployment = scopeOf(backend.config, request, pathScope);
      const ticket = backend.startAttempt(deployment);
      return {
        backend: backend.info,
        deployment,
        target: () => targetFor(backend.config, request),
        sent(url) {
          if (events.active)
            events.emit({ type: "attempt", ...about(call, backend, deployment, now), method: request.method, url });
        },
        settle(settlement) {
          if (settlement.result === "aborted") {
            backend.abandonAttempt(ticket);
            ended(call, backend, deployment, now, "aborted");
          } else if (settlement.result === "response") {
            ended(call, backend, deployment, now, "response", settlement.status);
            backend.recordSuccess(ticket, settlement.status, call);
          } else {
            const { reason, status, cooldownMs } = settlement;
            ended(call, backend, deployment, now, "failure", status, reason);
            backend.recordFailure(ticket, deployment, reason, cooldownMs ?? options.defaultCooldownMs, status, call);
          }
        },
      };
    },
  };
}
