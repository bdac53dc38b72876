import { jsonBody } from "../utils/json-body.ts";
import { isStatefulPath, type OwnerMap, referencedIds } from "./affinity.ts";

/** Endpoints whose objects name one resource's deployments and files: they go to the home backend. */
const HOME = /^[^?]*?(?:^|\/v1|\/openai)\/(?:files|batches|uploads|vector_stores|fine_tuning)(?:[/?]|$)/;

/** Stickiness after validation: where the key is read. */
export interface ResolvedSticky {
  /** A request header (lower case) whose value is the key. */
  readonly header: string | undefined;
  /** Top-level JSON body fields, in order, whose first string value is the key. */
  readonly fields: readonly string[];
}

/** What routing needs of the balancer's stateful options. */
export interface RoutingOptions {
  /** `undefined` when affinity is off. */
  readonly owners: OwnerMap | undefined;
  /** The home backend's name; `undefined` when files, batches… are balanced (`home: false`). */
  readonly home: string | undefined;
  readonly sticky: ResolvedSticky | undefined;
}

/** Where a request may go, decided once per request before its first attempt. */
export interface Route {
  /** Only this backend may serve it: no failover, its cooldown is the caller's. */
  readonly pinned: string | undefined;
  /** Why it is pinned: it names an id that backend owns (`affinity`), or its endpoint must not be balanced (`home`). */
  readonly why: "affinity" | "home" | undefined;
  /** The id that pinned it, for `affinity`. */
  readonly id: string | undefined;
  /** Rendezvous key: the same key goes to the same available backend of a tier. */
  readonly stickyKey: string | undefined;
  /** Its response may create ids worth remembering (a stateful path with affinity on). */
  readonly watch: boolean;
}

/** The route of almost every request: balanced as usual, nothing read, nothing watched. */
export const BALANCED: Route = Object.freeze({
  pinned: undefined,
  why: undefined,
  id: undefined,
  stickyKey: undefined,
  watch: false,
});

function headerValue(headers: RequestInit["headers"], name: string): string | null {
  if (headers === undefined || headers === null) return null;
  if (headers instanceof Headers) return headers.get(name);
  return new Headers(headers).get(name);
}

function stickyKeyOf(sticky: ResolvedSticky, init: RequestInit, json: () => unknown): string | undefined {
  if (sticky.header !== undefined) {
    const value = headerValue(init.headers, sticky.header);
    if (value !== null && value !== "") return value;
  }
  if (sticky.fields.length === 0) return undefined;
  const body = json();
  if (body === null || typeof body !== "object") return undefined;
  for (const field of sticky.fields) {
    const value = (body as Record<string, unknown>)[field];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

/**
 * The route of a request. Reads the body only for stateful paths (Responses, files, batches, vector
 * stores…) or when stickiness by a body field is configured; chat completions are otherwise left unread.
 * A referenced id with a known owner pins the request to it; an unknown id (made before this process
 * started, or forgotten) does not: the request is routed as if it named none. Neither does a home backend
 * that cannot take the request at all (`serves`: its adapter refuses it): pinned there, it could only fail.
 */
export function routeFor(
  options: RoutingOptions,
  pathAndQuery: string,
  init: RequestInit,
  serves: (name: string) => boolean = () => true,
): Route {
  const { owners, home, sticky } = options;
  const stateful = isStatefulPath(pathAndQuery);
  if (!stateful && sticky === undefined) return BALANCED;
  let parsed: { json: unknown } | undefined;
  const json = (): unknown => {
    parsed ??= { json: init.body === undefined || init.body === null ? undefined : jsonBody(init.body) };
    return parsed.json;
  };
  const stickyKey = sticky === undefined ? undefined : stickyKeyOf(sticky, init, json);
  if (!stateful) return stickyKey === undefined ? BALANCED : { ...BALANCED, stickyKey };
  const watch = owners !== undefined;
  const known = owners?.ownerOfAny(referencedIds(pathAndQuery, json()));
  if (known !== undefined) return { pinned: known.owner, why: "affinity", id: known.id, stickyKey, watch };
  if (home !== undefined && HOME.test(pathAndQuery) && serves(home)) {
    return { pinned: home, why: "home", id: undefined, stickyKey, watch };
  }
  return { pinned: undefined, why: undefined, id: undefined, stickyKey, watch };
}

/** 32-bit FNV-1a, finished with murmur3's mixer so that similar keys spread. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** What rendezvous hashing needs of a backend. */
export interface Candidate {
  readonly config: { readonly name: string; readonly weight: number };
}

/**
 * Weighted rendezvous (highest random weight) hashing: of the usable backends, the one whose score for
 * `key` is highest. The same key keeps its backend while that backend is usable; when it is not, the key
 * moves to its next-highest, and only the keys of the backend that left move at all.
 */
export function rendezvous<T extends Candidate>(
  tier: readonly T[],
  usable: (backend: T) => boolean,
  key: string,
): T | undefined {
  let best: T | undefined;
  let bestScore = -Infinity;
  for (const backend of tier) {
    if (!usable(backend)) continue;
    const unit = (hash(`${key}\u0000${backend.config.name}`) + 0.5) / 4294967296;
    const score = -backend.config.weight / Math.log(unit);
    if (score > bestScore) {
      best = backend;
      bestScore = score;
    }
  }
  return best;
}

/**
 * The answer when the one backend a pinned request may go to is out of rotation: the backend's own
 * state, never a 404 from a backend that cannot know the id. A 429 while it is rate-limited, a 503 while
 * it is failing; both say when to retry.
 */
export function pinnedResponse(route: Route, retryAfterMs: number, failing: boolean): Response {
  const ms = Math.ceil(retryAfterMs);
  const seconds = Math.ceil(ms / 1000);
  const state = failing ? "failing" : "rate-limited";
  const message =
    route.why === "affinity"
      ? `Backend ${route.pinned}, which holds ${route.id}, is ${state}; retry in ${seconds} s.`
      : `Home backend ${route.pinned} is ${state}; retry in ${seconds} s.`;
  return Response.json(
    {
      error: {
        message,
        type: failing ? "server_error" : "rate_limit_exceeded",
        param: null,
        code: route.why === "affinity" ? "owner_unavailable" : "home_backend_unavailable",
      },
    },
    { status: failing ? 503 : 429, headers: { "retry-after": String(seconds), "retry-after-ms": String(ms) } },
  );
}
