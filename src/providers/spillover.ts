import type { Spillover } from "../types/adapter.ts";

/**
 * Whether Azure spilled the request over from a provisioned deployment to its standard deployment, read
 * from the response headers Azure sets then: `x-ms-spillover-from-deployment` (the provisioned deployment),
 * `x-ms-deployment-name` (the one that served it) and, when the standard deployment failed too,
 * `x-ms-spillover-error`. `undefined` when the request did not spill (or the headers are unreadable, as in
 * browsers without CORS exposure).
 */
export function azureSpillover(headers: Headers): Spillover | undefined {
  const from = headers.get("x-ms-spillover-from-deployment");
  const error = headers.get("x-ms-spillover-error");
  if (from === null && error === null) return undefined;
  return { from, to: headers.get("x-ms-deployment-name"), failed: error !== null };
}
