import type { CooldownReason } from "../types/events.js";

/**
 * What a response says about its backend: a reason to take it out of rotation and send the request on
 * to the next one, or `undefined` when the response is the caller's (handed back as it is).
 * 429 and 5xx are the backend's; every other status is the caller's.
 */
export function failureReason(status: number): CooldownReason | undefined {
  if (status === 429) return "rate-limit";
  return status >= 500 ? "server-error" : undefined;
}
