const REASONS: Readonly<Record<string, string>> = {
  "rate-limit": "rate limit",
  "server-error": "server error",
  "network-error": "network error",
  timeout: "timeout",
  // The 429 that ended a window: a rate limit to a newcomer, whatever header told the balancer.
  quota: "rate limit (no requests left in the window)",
  credentials: "credentials failed",
  redirect: "redirected",
  stream: "stream failed",
  rule: "matched a cooldown rule",
};

/** A throttle reason for people; reasons this version does not know are shown as they come. */
export function reasonLabel(reason: string | null | undefined): string {
  if (reason === null || reason === undefined) return "";
  return REASONS[reason] ?? reason.replace(/-/g, " ");
}

/** Whole seconds left until `until`, rounded up, never negative: `12 s`, or `1 min 05 s` from a minute on. */
export function countdownLabel(until: number, now: number): string {
  const seconds = Math.max(0, Math.ceil((until - now) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
}

/** Local wall-clock time with milliseconds, `14:03:07.250`. */
export function timeLabel(at: number): string {
  const date = new Date(at);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, "0")}`;
}

const pluralRules = new Intl.PluralRules("en");

/** `1 request`, `2 requests` (English words, so English plural rules). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${pluralRules.select(count) === "one" ? one : many}`;
}
