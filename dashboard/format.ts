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

const BASES: Readonly<Record<string, string>> = {
  headers: "from headers",
  configured: "from rpm/tpm",
  learned: "learned from 429s",
};

/** Where a pacing limit comes from, for people; bases this version does not know are shown as they come. */
export const basisLabel = (basis: string): string => BASES[basis] ?? basis;

// Narrow units read best in a countdown, but some locales glue them to the number (`30s`): a space keeps `30 s`.
function unitLabel(value: number, unit: "minute" | "second", locale: string): string {
  return new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "narrow" })
    .format(value)
    .replace(/(\d)(?=\p{L})/u, "$1 ");
}

/**
 * Whole seconds left until `until`, rounded up, never negative, in `locale`'s units with `Intl.NumberFormat`:
 * `12 s`, or `1 m 5 s` from a minute on (English).
 */
export function countdownLabel(until: number, now: number, locale = "en"): string {
  const seconds = Math.max(0, Math.ceil((until - now) / 1000));
  if (seconds < 60) return unitLabel(seconds, "second", locale);
  return `${unitLabel(Math.floor(seconds / 60), "minute", locale)} ${unitLabel(seconds % 60, "second", locale)}`;
}

/**
 * Local wall-clock time on a 24-hour clock with milliseconds, with `Intl.DateTimeFormat`: `14:03:07.250`
 * (English; its first 8 characters are the time to the second).
 */
export function timeLabel(at: number, locale = "en"): string {
  return new Intl.DateTimeFormat(locale, {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
    fractionalSecondDigits: 3,
  }).format(at);
}

const pluralRules = new Intl.PluralRules("en");

/** `1 request`, `2 requests` (English words, so English plural rules). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${pluralRules.select(count) === "one" ? one : many}`;
}
