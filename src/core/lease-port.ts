import type { AttemptTarget } from "../types/adapter.js";
import type { BackendInfo, CooldownReason } from "../types/events.js";
import type { PreparedRequest } from "./request.js";

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
