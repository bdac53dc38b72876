import type { CooldownReason } from "../types/events.ts";

/** Statuses that fetch would follow: the balancer never does (see the README's Security section). */
const REDIRECTS: readonly number[] = [301, 302, 303, 307, 308];

/**
 * What a response says about its backend: a reason to take it out of rotation and send the request on
 * to the next one, or `undefined` when the response is the caller's (handed back as it is).
 * 429 and 5xx are the backend's; so is a redirect: every attempt is sent with `redirect: "manual"`,
 * because following one would re-send this backend's key and the prompt to wherever it points.
 * Browsers answer a manual redirect with an opaque response (`type` `"opaqueredirect"`, status 0).
 */
export function failureReason(response: Pick<Response, "status" | "type">): CooldownReason | undefined {
  const { status } = response;
  // `type` only for status 0, where browsers put an opaque redirect: reading it costs a getter per response.
  if (status === 0 ? response.type === "opaqueredirect" : REDIRECTS.includes(status)) return "redirect";
  return statusFailure(status);
}

/** 429 and 5xx are the backend's failures; every other status is the caller's (redirects aside, see {@link failureReason}). */
export function statusFailure(status: number): CooldownReason | undefined {
  if (status === 429) return "rate-limit";
  return status >= 500 ? "server-error" : undefined;
}
