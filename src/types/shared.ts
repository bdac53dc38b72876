import type { CooldownReason } from "./events.ts";

/**
 * What one balancer tells the others through a {@link SharedState}. Durations are remaining
 * milliseconds, never wall-clock times: machines' clocks differ. Names, never URLs or keys.
 */
export type SharedUpdate =
  | {
      readonly type: "cooldown";
      /** The backend's `name`. */
      readonly backend: string;
      /** The deployment or model, `null` for the backend as a whole. */
      readonly deployment: string | null;
      readonly reason: CooldownReason;
      /** How long from now the cooldown lasts, ms. */
      readonly remainingMs: number;
      /** Failures in a row (the escalation count); 0 for `rate-limit` and `quota`. */
      readonly failures: number;
    }
  | {
      /** A probe succeeded: the backend (or deployment) is back in full rotation. */
      readonly type: "recovered";
      readonly backend: string;
      readonly deployment: string | null;
    }
  | {
      /** The backend owns a stateful-API id (a response, file, batch…): follow-ups naming it go there. */
      readonly type: "owner";
      /** The id, 1 to 256 characters of `[A-Za-z0-9_.:-]`. */
      readonly id: string;
      readonly backend: string;
    };

/** What the balancer hands a {@link SharedState} when it connects. */
export interface SharedStateContext {
  /**
   * A namespace derived from the backends' names and URLs, so that two different configurations never
   * share by accident. An adapter uses it unless its own options name one.
   */
  readonly namespace: string;
  /**
   * Delivers an update from another process. The balancer validates it (known backend, known reason,
   * finite duration clamped to `maxCooldownMs`, an owner's id) and ignores what does not pass. Never throws.
   */
  receive(update: unknown): void;
  /** Reports a fault of the store (unreachable, slow, malformed data); requests go on regardless. */
  report(error: unknown): void;
}

/** A live connection to the shared store, one per balancer. */
export interface SharedStateConnection {
  /** Sends an update to the others. Fire and forget: never awaited by a request, never throws. */
  publish(update: SharedUpdate): void;
  /**
   * Claims the single probe of a failing backend (or deployment) for `ttlMs`. Resolves `true` when this
   * process won it; the balancer probes locally if the store does not answer.
   */
  claimProbe(backend: string, deployment: string | null, ttlMs: number): Promise<boolean>;
  /** Ends subscriptions and timers. */
  close(): Promise<void>;
}

/**
 * State shared between balancers in several processes, instances or tabs: cooldowns reported by
 * servers, escalation counts, a probe lease and the owners of stateful-API ids. Made by `redisState()` (`openai-priority-loadbalancer/redis`)
 * and `broadcastChannelState()` (`openai-priority-loadbalancer/shared`), or your own.
 */
export interface SharedState {
  connect(context: SharedStateContext): SharedStateConnection;
}
