/**
 * How the factories show values in their errors: as the core does (src/utils/describe.ts), repeated here
 * because this entry shares no runtime module with the core's (a shared one would become a third chunk).
 * Never by calling a value's `toString`; objects by kind; strings only when short (keys are longer).
 */
export function shown(value: unknown): string {
  if (typeof value === "string") {
    return value.length <= 16 ? JSON.stringify(value) : `a string of ${value.length} characters (not shown)`;
  }
  if (typeof value === "function") return "a function";
  if (value === null || typeof value !== "object") return typeof value === "symbol" ? "a symbol" : String(value);
  return Array.isArray(value) ? "an array" : "an object";
}

/** A value that may be a secret: its type only. */
export function shownSecret(value: unknown): string {
  if (typeof value !== "string") return shown(value);
  return value === "" ? "an empty string" : "a string (not shown)";
}

/** Which backend an error is about: its name, else its URL's origin and path (never credentials or query). */
export function backendLabel(name: unknown, url: unknown): string {
  if (typeof name === "string" && name !== "") return ` backend ${JSON.stringify(name.slice(0, 80))}`;
  try {
    const parsed = new URL(url as string);
    if (/^https?:$/.test(parsed.protocol)) return ` backend ${JSON.stringify(parsed.origin + parsed.pathname)}`;
  } catch {
    // No label: createLoadBalancer reports the URL itself.
  }
  return "";
}

/** Whether `headers` (as given, not yet validated) set an `api-key` or `authorization`; never throws. */
export function hasCredentialHeader(headers: unknown): boolean {
  const isCredential = (name: unknown): boolean =>
    typeof name === "string" && ["api-key", "authorization"].includes(name.toLowerCase());
  try {
    if (headers instanceof Headers) return headers.has("api-key") || headers.has("authorization");
    if (headers === null || typeof headers !== "object") return false;
    return Array.isArray(headers)
      ? headers.some((pair) => Array.isArray(pair) && isCredential(pair[0]))
      : Object.keys(headers).some(isCredential);
  } catch {
    return false; // createLoadBalancer reports unreadable headers
  }
}
