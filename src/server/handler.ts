import { toRedactedJson } from "./redact.ts";
import { eventStream, type WatchedBalancer } from "./stream.ts";
import { bearerToken, tokenMatches } from "./token.ts";

/** Options of {@link eventsHandler}. */
export interface EventsHandlerOptions {
  /**
   * When set, every request must send `Authorization: Bearer <token>`; others get 401. Compared in
   * constant time. Without it the endpoint is open: mount it where only trusted clients reach it.
   */
  token?: string | undefined;
  /**
   * Origins whose pages may read the endpoint (CORS), e.g. the dashboard's dev server
   * `"http://localhost:5173"`, or `"*"`. Default: none (same origin only).
   */
  allowOrigin?: string | readonly string[];
  /** A comment is sent this often so proxies keep an idle stream open, ms. Default `15_000`. */
  heartbeatMs?: number;
  /**
   * Chunks a slow client may leave unread before further events are dropped for it (it then gets a
   * `dropped` event with their count and a fresh `snapshot`). Default `1000`.
   */
  maxBufferedEvents?: number;
  /** A fresh `snapshot` follows events after this delay (coalesced), ms. Default `250`. */
  snapshotDelayMs?: number;
}

/** A WHATWG request handler, as `Deno.serve`, `Bun.serve`, Hono and Next.js route handlers take. */
export type RequestHandler = (request: Request) => Promise<Response>;

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  // nginx buffers responses unless told not to.
  "x-accel-buffering": "no",
};

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`eventsHandler: ${name} must be a positive number, got ${String(value)}`);
  return value;
}

function corsHeaders(request: Request, allowed: readonly string[]): Record<string, string> {
  const origin = request.headers.get("origin");
  if (origin === null || allowed.length === 0) return {};
  if (allowed.includes("*")) return { "access-control-allow-origin": "*" };
  if (!allowed.includes(origin)) return {};
  return { "access-control-allow-origin": origin, vary: "origin" };
}

/**
 * Serves a balancer's state and events over HTTP, read-only. `Accept: text/event-stream` gets
 * server-sent events: a `snapshot` event (the {@link Snapshot}) first, then every balancer event
 * under its `type`, fresh snapshots as things change, `dropped` when a slow client missed events.
 * Anything else gets the snapshot as JSON (a health endpoint). Only GET (and the CORS preflight);
 * other methods get 405. URLs are sent without their query; no headers, keys or bodies are sent.
 *
 * @example
 * const handler = eventsHandler(lb, { token: process.env.LB_EVENTS_TOKEN });
 * Deno.serve(handler); // or Bun.serve({ fetch: handler }), a route of Hono or Next.js
 *
 * @throws {TypeError} when an option is invalid.
 */
export function eventsHandler(lb: WatchedBalancer, options: EventsHandlerOptions = {}): RequestHandler {
  const { token } = options;
  if (token !== undefined && (typeof token !== "string" || token === ""))
    throw new TypeError("eventsHandler: token must be a non-empty string when given");
  const allowed = typeof options.allowOrigin === "string" ? [options.allowOrigin] : (options.allowOrigin ?? []);
  const settings = {
    heartbeatMs: positive("heartbeatMs", options.heartbeatMs, 15_000),
    maxBufferedEvents: Math.floor(positive("maxBufferedEvents", options.maxBufferedEvents, 1000)),
    snapshotDelayMs: positive("snapshotDelayMs", options.snapshotDelayMs, 250),
  };

  return async (request) => {
    const cors = corsHeaders(request, allowed);
    if (request.method === "OPTIONS" && "access-control-allow-origin" in cors) {
      return new Response(null, {
        status: 204,
        headers: {
          ...cors,
          "access-control-allow-methods": "GET",
          "access-control-allow-headers": "authorization, accept",
          "access-control-max-age": "600",
        },
      });
    }
    if (request.method !== "GET") {
      return new Response(null, { status: 405, headers: { ...cors, allow: "GET" } });
    }
    if (token !== undefined) {
      const given = bearerToken(request);
      if (given === undefined || !(await tokenMatches(given, token))) {
        return new Response(null, { status: 401, headers: { ...cors, "www-authenticate": "Bearer" } });
      }
    }
    if ((request.headers.get("accept") ?? "").includes("text/event-stream")) {
      return new Response(eventStream(lb, settings, request.signal), { headers: { ...cors, ...SSE_HEADERS } });
    }
    return new Response(toRedactedJson(lb.snapshot()), { headers: { ...cors, ...JSON_HEADERS } });
  };
}
