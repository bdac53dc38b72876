import type { LoadBalancer } from "../types/balancer.ts";
import type { LoadBalancerEvent } from "../types/events.ts";
import type { FetchFunction, LoadBalancerOptions } from "../types/options.ts";
import { balancedFetch, type BalancerContext } from "./attempt.ts";
import { HeaderDeadlines } from "./deadlines.ts";
import { Backend } from "./backend.ts";
import type { BreakerHost } from "./breaker.ts";
import { Emitter } from "./events.ts";
import { LEASE_PORT, leasePort } from "./lease-port.ts";
import { WaitQueue } from "./queue.ts";
import { attachLogger } from "./log.ts";
import { resolveOptions } from "./options.ts";
import { createSelector } from "./select.ts";
import { connectShared, isOwnerId, namespaceOf, parseUpdate } from "./shared.ts";
import { takeSnapshot } from "./snapshot.ts";

/** How long another process's probe lease holds when no `attemptTimeoutMs` bounds a probe. */
const DEFAULT_PROBE_LEASE_MS = 30_000;

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
  const { logger, now } = resolved;
  const events = new Emitter((error) => {
    const message = "openai-priority-loadbalancer: an event listener threw";
    if (logger?.error) logger.error(message, error);
    else console.error(message, error);
  });
  const host: BreakerHost = {
    now,
    events,
    failureThreshold: resolved.failureThreshold,
    defaultCooldownMs: resolved.defaultCooldownMs,
    maxCooldownMs: resolved.maxCooldownMs,
    probeLeaseMs: resolved.attemptTimeoutMs ?? DEFAULT_PROBE_LEASE_MS,
    nextDeadline: Number.POSITIVE_INFINITY,
    shared: undefined,
    closed: false,
  };
  const queue = new WaitQueue(now, events);
  host.wake = () => queue.wake();
  const backends = resolved.backends.map((config) => new Backend(config, host));
  const byName = new Map(backends.map((backend) => [backend.info.name, backend]));
  if (logger !== undefined) attachLogger(events, logger);
  if (resolved.shared !== undefined) {
    const { owners } = resolved.routing;
    const receive = (raw: unknown): void => {
      if (host.closed) return;
      const update = parseUpdate(raw, (name) => byName.has(name), resolved.maxCooldownMs);
      if (update === undefined) return;
      if (update.type === "owner") {
        owners?.learn(update.id, update.backend);
        return;
      }
      const breaker = byName.get(update.backend)!.breakerFor(update.deployment);
      if (update.type === "cooldown") breaker.coolRemotely(update);
      else breaker.recoverRemotely();
    };
    const report = (error: unknown): void =>
      logger?.error?.("openai-priority-loadbalancer: the shared state failed; requests go on with local state", error);
    // `receive` needs only the backends: an adapter may replay the current cooldowns from inside connect().
    host.shared = connectShared(resolved.shared, namespaceOf(resolved.backends), receive, report);
    if (owners !== undefined)
      owners.onRemember = (id, backend) => {
        if (isOwnerId(id)) host.shared?.publish({ type: "owner", id, backend });
      };
  }
  const context: BalancerContext = {
    options: resolved,
    backends,
    select: createSelector(backends, resolved.selection, resolved.random),
    events,
    host,
    queue,
    deadlines: new HeaderDeadlines(now),
    lastRequestId: 0,
  };
  const fetch: FetchFunction = (input, init) => balancedFetch(context, input, init);
  return {
    fetch,
    on: (type: string, listener: (event: LoadBalancerEvent) => void) => events.on(type, listener),
    snapshot: () => takeSnapshot(backends, queue, now()),
    async close() {
      if (host.closed) return;
      host.closed = true;
      const link = host.shared;
      host.shared = undefined;
      for (const backend of backends) backend.stop();
      queue.close();
      context.deadlines.stop();
      await link?.close();
    },
    // For `lease()` of openai-priority-loadbalancer/lease; not part of the typed API.
    [LEASE_PORT]: leasePort(context),
  } as LoadBalancer;
}
