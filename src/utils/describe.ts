/** A name (a backend's, an option's) for a message: quoted, long ones cut. Names are not secrets: events show them. */
export function quote(name: string): string {
  return name.length > 80 ? `${JSON.stringify(name.slice(0, 80))}… (${name.length} characters)` : JSON.stringify(name);
}

/**
 * A value as an error message may show it: never by calling its `toString` (which may throw, or print
 * what it holds), objects by kind only. A string where a string does not belong may be a key pasted in the
 * wrong field: only short ones are shown (keys and tokens are longer).
 */
export function describe(value: unknown): string {
  if (typeof value === "string") {
    return value.length <= 16 ? JSON.stringify(value) : `a string of ${value.length} characters (not shown)`;
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
 * A URL as a message may show it: scheme, host and path of an http(s) URL, without user, password, query
 * or fragment (which may hold keys). Anything else may be a key pasted in the wrong place: only a relative
 * path (the usual mistake) is shown; otherwise the scheme, or the length.
 */
export function describeUrl(value: unknown): string {
  if (typeof value !== "string") return describe(value);
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    return /^\/[\w./-]{0,80}$/.test(value)
      ? JSON.stringify(value)
      : `a string of ${value.length} characters that is not a URL (not shown)`;
  }
  if (!/^https?:$/.test(url.protocol)) return `a ${JSON.stringify(url.protocol)} URL (the rest not shown)`;
  const hidden = url.username || url.password ? "(credentials hidden)@" : "";
  const rest = url.search || url.hash ? "(query or fragment hidden)" : "";
  return JSON.stringify(`${url.protocol}//${hidden}${url.host}${url.pathname}${rest}`);
}
