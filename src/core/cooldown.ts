/**
 * How long a backend that failed stays out of rotation, from its response headers.
 * Every parser returns `undefined` for a value it cannot use, never throws: a malformed header
 * must not fail the request it came with.
 */

const DELTA_SECONDS = /^\d+(?:\.\d+)?$/;

// OpenAI's x-ratelimit-reset-* values: "20ms", "1s", "1.5s", "6m0s", "1h2m3s". The `m(?!s)`
// keeps "20ms" from reading as 20 minutes followed by a stray "s".
const DURATION = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/;

// Only the IMF-fixdate form that RFC 9110 requires senders to use ("Sun, 06 Nov 1994 08:49:37 GMT").
// Date.parse alone is implementation-defined and far too lenient: V8 reads "4" as the year 2001,
// so a delta-seconds value could silently become a date 25 years in the past.
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

function finite(ms: number): number | undefined {
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** A non-negative number of milliseconds (`retry-after-ms`, `x-ms-retry-after-ms`). */
export function parseMilliseconds(value: string | null): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  return DELTA_SECONDS.test(trimmed) ? finite(Number(trimmed)) : undefined;
}

/** `retry-after`: delta-seconds (fractions accepted) or an IMF-fixdate; a past date means 0. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (DELTA_SECONDS.test(trimmed)) return finite(Number(trimmed) * 1000);
  if (IMF_FIXDATE.test(trimmed)) {
    const date = Date.parse(trimmed);
    return Number.isNaN(date) ? undefined : Math.max(0, date - now);
  }
  return undefined;
}

/**
 * OpenAI's duration strings (`20ms`, `1.5s`, `6m0s`, `1h2m3s`) or a bare number of seconds, in ms.
 * @returns the duration in ms, or `undefined` when the value is not one of those forms.
 */
export function parseDuration(value: string | null): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (DELTA_SECONDS.test(trimmed)) return finite(Number(trimmed) * 1000);
  const match = DURATION.exec(trimmed);
  if (match === null) return undefined;
  const [, h = "0", m = "0", s = "0", ms = "0"] = match;
  return finite(Number(h) * 3_600_000 + Number(m) * 60_000 + Number(s) * 1000 + Number(ms));
}

/**
 * The cooldown a failed response asks for, from the first usable of `retry-after-ms`,
 * `x-ms-retry-after-ms`, `retry-after`, then `x-ratelimit-reset-requests` / `x-ratelimit-reset-tokens`
 * (the longer of the two when both are usable: the 429 may be due to either limit).
 * @returns milliseconds, or `undefined` when no header is usable (the caller applies its default).
 */
export function parseCooldownMs(headers: Headers, now: number): number | undefined {
  const direct =
    parseMilliseconds(headers.get("retry-after-ms")) ??
    parseMilliseconds(headers.get("x-ms-retry-after-ms")) ??
    parseRetryAfter(headers.get("retry-after"), now);
  if (direct !== undefined) return direct;
  const requests = parseDuration(headers.get("x-ratelimit-reset-requests"));
  const tokens = parseDuration(headers.get("x-ratelimit-reset-tokens"));
  if (requests === undefined) return tokens;
  if (tokens === undefined) return requests;
  return Math.max(requests, tokens);
}
