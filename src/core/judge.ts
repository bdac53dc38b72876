import type { CooldownReason } from "../types/events.ts";
import { applyRules, type FailoverRules } from "./rules.ts";
import { type GuardHooks, type GuardOptions, guardStream, isEventStream } from "./stream-guard.ts";

/** The settings {@link judge} works with, resolved once per balancer. */
export interface JudgeSettings {
  readonly rules: FailoverRules;
  readonly guard: GuardOptions;
}

/** Sends the request on to the next backend; `cool: false` leaves this one in rotation. */
export interface Failover {
  readonly reason?: CooldownReason;
  readonly cool: boolean;
  /** The cooldown to apply; otherwise the loop's default. */
  readonly cooldownMs?: number;
  /** The response's status; none for a stream that broke after its 200 headers (the status said nothing wrong). */
  readonly status?: number;
  /** For `cool: false`: the caller's answer when no other backend can take the request. */
  readonly fallback?: Response;
}

/** What to do with a response that the status rules (429, 5xx) did not fail: hand it back, or fail over. */
export type Judgement = { readonly deliver: Response } | { readonly failover: Failover };

/**
 * Judges a response the attempt loop would hand back: the failover rules for a 4xx, the stream guard
 * for a successful `text/event-stream`; anything else is delivered as it is, synchronously.
 * Rejects with the signal's reason when the caller aborts while a body is read.
 */
export function judge(
  response: Response,
  settings: JudgeSettings,
  backend: string,
  // Built only for a guarded stream: most answers are not, and this runs for every attempt.
  hooks: () => GuardHooks,
  signal: AbortSignal | undefined,
): Judgement | Promise<Judgement> {
  if (settings.guard.enabled && isEventStream(response)) {
    return guardStream(response, settings.guard, hooks(), signal).then((verdict) =>
      "deliver" in verdict ? verdict : { failover: { reason: verdict.failover.reason, cool: true } },
    );
  }
  return applyRules(response, settings.rules, backend, signal);
}
