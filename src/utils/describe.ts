/**
 * A value as an error message may show it: never by calling its `toString` (which may throw, or print
 * what it holds), objects by kind only, long strings cut. Strings that may hold a secret (header values,
 * keys) must not reach here at all: callers show those by type.
 */
export function describe(value: unknown): string {
  if (typeof value === "string") {
    return value.length > 80
      ? `${JSON.stringify(value.slice(0, 80))}… (${value.length} characters)`
      : JSON.stringify(value);
  }
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return "an array";
  if (value === null || typeof value !== "object") return typeof value === "bigint" ? `${value}n` : String(value);
  return Object.getPrototypeOf(value) === null ? "an object without prototype" : "an object";
}

/** A value that may be a secret: its type only. */
export function describeSecret(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  return typeof value === "string" ? (value === "" ? "an empty string" : "a string (not shown)") : describe(value);
}

/**
 * A URL as a message may show it: without user, password, query or fragment (which may hold keys);
 * a string that is not a URL is shown only when short and free of `@` (else by length).
 */
export function describeUrl(value: unknown): string {
  if (typeof value !== "string") return describe(value);
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    return value.length <= 80 && !/[@?#]/.test(value)
      ? JSON.stringify(value)
      : `a string of ${value.length} characters (not shown)`;
  }
  const hidden = url.username || url.password ? "(credentials hidden)@" : "";
  const rest = url.search || url.hash ? "(query or fragment hidden)" : "";
  return JSON.stringify(`${url.protocol}//${hidden}${url.host}${url.pathname}${rest}`);
}
