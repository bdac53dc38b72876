// How the factories name a backend and spot credential headers in their errors; values are shown as the
// core shows them (src/utils/describe.ts).
import { CREDENTIAL_HEADERS, isCredentialHeader } from "../utils/credentials.ts";

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
  try {
    if (headers instanceof Headers) return CREDENTIAL_HEADERS.some((name) => headers.has(name));
    if (headers === null || typeof headers !== "object") return false;
    const names = Array.isArray(headers)
      ? headers.map((pair) => (Array.isArray(pair) ? pair[0] : ""))
      : Object.keys(headers);
    return names.some((name) => typeof name === "string" && isCredentialHeader(name));
  } catch {
    return false; // createLoadBalancer reports unreadable headers
  }
}
