import { raceAbort } from "../utils/timers.ts";

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

/** A reset of `0` or less says nothing usable (Azure's Responses API sends `x-ratelimit-reset-tokens: 0` with its 429s). */
function positiveDuration(value: string | null): number | undefined {
  const ms = parseDuration(value);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

/**
 * The cooldown a failed response asks for, from the first usable of `retry-after-ms`,
 * `x-ms-retry-after-ms`, `retry-after`, then `x-ratelimit-reset-requests` / `x-ratelimit-reset-tokens`
 * (the longer of the two when both are usable: the 429 may be due to either limit). A reset of `0` or a
 * negative one (`-1`) is not usable: it would be a 0 ms cooldown for a backend that is still full.
 * @returns milliseconds, or `undefined` when no header is usable (the caller applies its default).
 */
export function parseCooldownMs(headers: Headers, now: number): number | undefined {
  const direct =
    decimal(headers.get("retry-after-ms"), 1) ??
    decimal(headers.get("x-ms-retry-after-ms"), 1) ??
    parseRetryAfter(headers.get("retry-after"), now);
  if (direct !== undefined) return direct;
  const requests = positiveDuration(headers.get("x-ratelimit-reset-requests"));
  const tokens = positiveDuration(headers.get("x-ratelimit-reset-tokens"));
  if (requests === undefined) return tokens;
  if (tokens === undefined) return requests;
  return Math.max(requests, tokens);
}

// "Please retry after 7 seconds." (Azure), "Please try again in 1.898s." / "in 6m0s" / "in 20ms" (OpenAI).
const RETRY_IN_MESSAGE =
  /\b(?:retry after|try again in)\s+(\d[\d.hms]*)(?:\s*(ms|milliseconds?|seconds?|secs?|minutes?|mins?|hours?)\b)?/i;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, mil: 1, sec: 1000, min: 60_000, hou: 3_600_000 };

/**
 * The wait an error message asks for: "retry after N seconds" (Azure's capacity 429s carry it only
 * there), "try again in 1.5s" / "6m0s" / "20ms" (OpenAI). A wait of 0 is not usable.
 * @returns milliseconds, or `undefined` when the message names no usable wait.
 */
export function parseRetryMessage(message: unknown): number | undefined {
  if (typeof message !== "string") return undefined;
  const match = RETRY_IN_MESSAGE.exec(message);
  if (match === null) return undefined;
  const [, token = "", unit] = match;
  const amount = token.replace(/\.+$/, ""); // the sentence's full stop
  const ms = unit === undefined ? parseDuration(amount) : Number(amount) * UNIT_MS[unit.slice(0, 3).toLowerCase()]!;
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** Error bodies read for a wait in their message are at most this long (Azure's are a few hundred bytes). */
export const MAX_RETRY_BODY = 8 * 1024;

const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json\b/i;

/**
 * The wait a small JSON error body's `error.message` asks for (see {@link parseRetryMessage}). Reads at most
 * {@link MAX_RETRY_BODY} bytes, racing `signal`, and releases the body in every case: the caller never
 * reads this response. Never rejects: an unreadable body, or the caller's abort, simply gives `undefined`.
 */
export async function retryInBody(response: Response, signal: AbortSignal | undefined): Promise<number | undefined> {
  const body = response.body;
  if (body === null) return undefined;
  const length = Number(response.headers.get("content-length") ?? 0);
  if (!JSON_TYPE.test(response.headers.get("content-type") ?? "") || !(length <= MAX_RETRY_BODY)) {
    body.cancel().catch(() => {});
    return undefined;
  }
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    while (total <= MAX_RETRY_BODY) {
      const read = reader.read();
      const { done, value } = await (signal === undefined ? read : raceAbort(read, signal));
      if (done) break;
      parts.push(value);
      total += value.byteLength;
    }
    if (total > MAX_RETRY_BODY) return undefined;
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const part of parts) {
      bytes.set(part, offset);
      offset += part.byteLength;
    }
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { error?: { message?: unknown } } | null;
    return parseRetryMessage(parsed?.error?.message);
  } catch {
    return undefined;
  } finally {
    reader.cancel().catch(() => {});
  }
}
