import type { LoadBalancer } from "../types/balancer.js";
import type { LoadBalancerEvent } from "../types/events.js";
import type { FetchFunction, LoadBalancerOptions } from "../types/options.js";
import { balancedFetch, type BalancerContext, leasePort } from "./attempt.js";
import { Backend } from "./backend.js";
import { Emitter } from "./events.js";
import { attachLogger } from "./log.js";
import { LEASE_PORT } from "./lease-port.js";
import { resolveOptions } from "./options.js";
import { resolveRouting } from "./routing-options.js";
import { createSelector } from "./select.js";
import { takeSnapshot } from "./snapshot.js";

/**
 * Creates a priority load balancer over the given backends.
 *
 * @example
 * const lb = createLoadBalancer({
 *   backends: [
 *     { url: "https://ptu.openai.azure.com", priority: 1 },
 *     { url: "https://paygo.openai.azure.com", priority: 2, headers: { "api-key": key2 } },
 *   ],
 * });
 * const client = new AzureOpenAI({ endpoint: "https://ptu.openai.azure.com", apiVersion, apiKey, fetch: lb.fetch });
 *
 * @throws {TypeError} when an option is invalid; the message names the field and the value.
 */
export function createLoadBalancer(options: LoadBalancerOptions): LoadBalancer {
  const resolved = resolveOptions(options);
  const routing = resolveRouting(options, resolved.backends);
  const { logger, now } = resolved;
  const events = new Emitter((error) => {
    const message = "openai-priority-loadbalancer: an event listener threw";
    if (logger?.error) logger.error(message, error);
    else console.error(message, error);
  });
  const backends = resolved.backends.map(
    (config) =>
      new Backend(config, now, (backend, downMs, at, hits) => {
        if (events.active) events.emit({ type: "recovery", at, backend: backend.info, deployment: null, downMs, hits });
      }),
  );
  if (logger !== undefined) attachLogger(events, logger);
  const context: BalancerContext = {
    options: resolved,
    backends,
    select: createSelector(backends, resolved.selection, resolved.random),
    events,
    routing,
    lastRequestId: 0,
  };
  const fetch: FetchFunction = (input, init) => balancedFetch(context, input, init);
  return {
    fetch,
    on: (type: string, listener: (event: LoadBalancerEvent) => void) => events.on(type, listener),
    snapshot: () => takeSnapshot(backends, now()),
    // For `lease()` of openai-priority-loadbalancer/lease; not part of the typed API.
    [LEASE_PORT]: leasePort(context),
  } as LoadBalancer;
}
