import type { FetchFunction } from "../../src/index.js";

/** What a backend received, as the server would see it. */
export interface Received {
  url: string;
  method: string;
  headers: Headers;
  body: string;
}

type Reply = (request: Request, received: Received) => Response | Promise<Response>;

/**
 * An in-process fetch standing in for several backends, keyed by origin (or origin + path prefix):
 * it builds the Request the network would see and records it, so tests assert on what each backend got.
 */
export function fakeBackends(routes: Record<string, Reply>): {
  fetch: FetchFunction;
  received: Received[];
  calls: (prefix: string) => Received[];
} {
  const received: Received[] = [];
  const fetch: FetchFunction = async (input, init) => {
    const request = new Request(input, init);
    const entry: Received = {
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: request.body === null ? "" : await request.clone().text(),
    };
    received.push(entry);
    const route = Object.keys(routes)
      .filter((prefix) => request.url.startsWith(prefix))
      .sort((a, b) => b.length - a.length)[0];
    if (route === undefined) throw new TypeError(`fetch failed: no backend at ${request.url}`);
    return routes[route]!(request, entry);
  };
  return { fetch, received, calls: (prefix) => received.filter((r) => r.url.startsWith(prefix)) };
}

/** A JSON response like a chat completion. */
export function ok(body: unknown = { ok: true }, init: ResponseInit = {}): Response {
  return Response.json(body, { status: 200, ...init });
}

/** A 429 with the given headers. */
export function tooMany(headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code: "429", message: "Rate limit" } }, { status: 429, headers });
}

/** Deterministic [0, 1) numbers (mulberry32), so distribution tests cannot flake. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Counts requests per backend name over `n` sequential calls. */
export async function distribution(
  call: () => Promise<Response>,
  n: number,
  nameOf: (response: Response) => string,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const response = await call();
    const name = nameOf(response);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}
