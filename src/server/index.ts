/**
 * A balancer's state and events over HTTP, for dashboards and health checks of server processes.
 * WHATWG only: the handler runs in Node (through {@link toNodeListener}), Deno, Bun, and edge runtimes.
 *
 * @example
 * import { eventsHandler } from "openai-priority-loadbalancer/server";
 * Deno.serve(eventsHandler(lb, { token: Deno.env.get("LB_EVENTS_TOKEN") }));
 *
 * @module
 */
export { eventsHandler, type EventsHandlerOptions, type RequestHandler } from "./handler.ts";
export { toNodeListener, type NodeRequestLike, type NodeResponseLike } from "./node.ts";
export { redactUrl } from "./redact.ts";
export type { WatchedBalancer } from "./stream.ts";
