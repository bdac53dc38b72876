import type { LoadBalancerOptions } from "../types/options.js";
import { OwnerMap, type Owner } from "./affinity.js";
import { fail } from "./options.js";
import type { RoutingOptions } from "./routing.js";

const DEFAULT_MAX_IDS = 10_000;
const DEFAULT_STICKY_FIELDS: readonly string[] = ["prompt_cache_key", "user"];

/**
 * Validates `affinity`, `home` and `sticky` against the backends (already validated, in configuration
 * order) and applies the defaults. `onRemember` is the seam for sharing owners with other processes.
 * @throws {TypeError} naming the field and the value.
 */
export function resolveRouting(
  options: Pick<LoadBalancerOptions, "affinity" | "home" | "sticky">,
  backends: readonly { readonly name: string; readonly priority: number }[],
  onRemember?: (id: string, owner: Owner) => void,
): RoutingOptions {
  const { affinity = true, home, sticky = false } = options;
  let owners: OwnerMap | undefined;
  if (affinity !== false) {
    if (affinity !== true && (affinity === null || typeof affinity !== "object"))
      fail("affinity", affinity, "a boolean or { maxIds }");
    const maxIds = affinity === true ? DEFAULT_MAX_IDS : (affinity.maxIds ?? DEFAULT_MAX_IDS);
    if (!Number.isSafeInteger(maxIds) || maxIds < 1) fail("affinity.maxIds", maxIds, "an integer >= 1");
    owners = new OwnerMap(maxIds, onRemember);
  }
  let homeName: string | undefined;
  if (home === undefined) {
    // The first backend of the best tier: where requests go when nothing is cooling.
    const best = Math.min(...backends.map((backend) => backend.priority));
    homeName = backends.find((backend) => backend.priority === best)?.name;
  } else if (home !== false) {
    if (typeof home !== "string" || !backends.some((backend) => backend.name === home))
      fail("home", home, "false or the name of a configured backend");
    homeName = home;
  }
  let resolvedSticky: RoutingOptions["sticky"];
  if (sticky === true) resolvedSticky = { header: undefined, fields: DEFAULT_STICKY_FIELDS };
  else if (sticky !== false) {
    if (sticky === null || typeof sticky !== "object") fail("sticky", sticky, "a boolean or { header, fields }");
    const { header, fields = [] } = sticky;
    if (header !== undefined && (typeof header !== "string" || !/^[\w-]+$/.test(header)))
      fail("sticky.header", header, "a header name");
    if (!Array.isArray(fields) || fields.some((field) => typeof field !== "string" || field === ""))
      fail("sticky.fields", fields, "an array of field names");
    if (header === undefined && fields.length === 0) fail("sticky", sticky, "a header or at least one field");
    resolvedSticky = { header: header?.toLowerCase(), fields: [...fields] };
  }
  return { owners, home: homeName, sticky: resolvedSticky };
}
