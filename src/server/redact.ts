/**
 * A URL as the events stream may show it: origin and path. The query and fragment go, since an
 * attempt's URL may carry one (`api-version`, or a key a caller put there); credentials in a
 * backend's URL are rejected when the balancer is created, and any left are dropped here too.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return "";
  }
}

/** `JSON.stringify` with every `url` field redacted by {@link redactUrl}. */
export function toRedactedJson(value: unknown): string {
  return JSON.stringify(value, (key, field: unknown) =>
    key === "url" && typeof field === "string" ? redactUrl(field) : field,
  );
}
