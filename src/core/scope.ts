import type { ResolvedBackend } from "./options.ts";
import type { PreparedRequest } from "./request.ts";
import { isDeploymentName } from "./shared.ts";

const MARKER = "/openai/deployments/";

// The last path read and its deployment (a pure function's memo, one entry: the same paths come again and again).
let lastPath = "";
let lastDeployment: string | undefined;

/** The Azure deployment in a path (`…/openai/deployments/{name}/…`), without regular expressions or body parsing. */
export function deploymentInPath(pathAndQuery: string): string | undefined {
  if (pathAndQuery !== lastPath) {
    lastDeployment = readDeployment(pathAndQuery);
    lastPath = pathAndQuery;
  }
  return lastDeployment;
}

function readDeployment(pathAndQuery: string): string | undefined {
  const start = pathAndQuery.indexOf(MARKER);
  if (start === -1) return undefined;
  const from = start + MARKER.length;
  let end = from;
  while (end < pathAndQuery.length) {
    const char = pathAndQuery.charCodeAt(end);
    if (char === 47 /* / */ || char === 63 /* ? */) break;
    end++;
  }
  let name = pathAndQuery.slice(from, end);
  if (name.includes("%")) {
    try {
      name = decodeURIComponent(name);
    } catch {
      return undefined;
    }
  }
  return isDeploymentName(name) ? name : undefined;
}

/**
 * The unit of rate-limit state this request is in on this backend: the deployment or model its quota is
 * attached to, or `undefined` for the backend as a whole. With an adapter, what the adapter's `scope`
 * says (an adapter without one: the backend as a whole, since it may send elsewhere than the path
 * says); without one, the Azure deployment of the path (`pathScope`, read once per request by the caller).
 */
export function scopeOf(
  backend: ResolvedBackend,
  request: PreparedRequest,
  pathScope: string | undefined,
): string | undefined {
  const { adapter } = backend;
  if (adapter !== undefined) {
    const scope = adapter.scope?.(request);
    return typeof scope === "string" && isDeploymentName(scope) ? scope : undefined;
  }
  return pathScope;
}
