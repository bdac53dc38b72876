/**
 * How long a backend that failed stays out of rotation, from its response headers.
 * Every parser returns `undefined` for a value it cannot use, never throws: a malformed header
 * must not fail the request it came with.
 */

const DELTA_SECONDS = /^\d+(?:\.\d+)?$/;

// OpenAI's x-ratelimit-reset-* values: "20ms", "1s", "1.5s", "6m0s", "1h2m3s". The `m(?!s)`
// keeps "20ms" from reading as 20 minutes followed by a stray "s".
const DURATION = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/;

// Only the shape of the IMF-fixdate form that RFC 9110 requires senders to use ("Sun, 06 Nov 1994
// 08:49:37 GMT"); Date.parse then rejects bad names. Date.parse alone is implementation-defined and
// far too lenient: V8 reads "4" as the year 2001, so a delta-seconds value could silently become a
// date 25 years in the past.
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/;

/** A non-negative decimal number of `unit` ms (fractions allowed), or `undefined`. */
function decimal(value: string | null, unit: number): number | undefined {
  const trimmed = value?.trim();
  if (trimmed === undefined || !DELTA_SECONDS.test(trimmed)) return undefined;
  const ms = Number(trimmed) * unit;
  return Number.isFinite(ms) ? ms : undefined;
}

/** `retry-after`: delta-seconds (fractions accepted) or an IMF-fixdate; a past date means 0. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  const seconds = decimal(value, 1000);
  if (seconds !== undefined || value === null || !IMF_FIXDATE.test(value.trim())) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * OpenAI's duration strings (`20ms`, `1.5s`, `6m0s`, `1h2m3s`) or a bare number of seconds, in ms.
 * @returns the duration in ms, or `undefined` when the value is not one of those forms.
 */
export function parseDuration(value: string | null): number | undefined {
  const seconds = decimal(value, 1000);
  const match = seconds === undefined && value?.trim() ? DURATION.exec(value.trim()) : null;
  if (match === null) return seconds;
  const [, h = "0", m = "0", s = "0", ms = "0"] = match;
  const total = Number(h) * 3_600_000 + Number(m) * 60_000 + Number(s) * 1000 + Number(ms);
  return Number.isFinite(total) ? total : undefined;
}

/**
 * The cooldown a failed response asks for, from the first usable of `retry-after-ms`,
 * `x-ms-retry-after-ms`, `retry-after`, then `x-ratelimit-reset-requests` / `x-ratelimit-reset-tokens`
 * (the longer of the two when both are usable: the 429 may be due to either limit).
 * @returns milliseconds, or `undefined` when no header is usable (the caller applies its default).
 */
export function parseCooldownMs(headers: Headers, now: number): number | undefined {
  const direct =
    decimal(headers.get("retry-after-ms"), 1) ??
    decimal(headers.get("x-ms-retry-after-ms"), 1) ??
    parseRetryAfter(headers.get("retry-after"), now);
  if (direct !== undefined) return direct;
  const requests = parseDuration(headers.get("x-ratelimit-reset-requests"));
  const tokens = parseDuration(headers.get("x-ratelimit-reset-tokens"));
  if (requests === undefined) return tokens;
  if (tokens === undefined) return requests;
  return Math.max(requests, tokens);
}
