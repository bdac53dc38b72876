import type { CallShape } from "./route.js";

/** What every attempt of one request sends, read from the caller's arguments once. */
export interface PreparedRequest {
  /** Path and query of the caller's URL (no origin, no fragment), e.g. `/openai/deployments/d/chat/completions?api-version=v`. */
  readonly pathAndQuery: string;
  readonly method: string;
  /** The caller's signal, if any. */
  readonly signal: AbortSignal | undefined;
  /** The init every attempt starts from: the caller's, with a body that can be sent again. */
  readonly init: RequestInit;
  /** The call's API shape and model, filled in by route.ts the first time a backend with a kind asks. */
  shape?: CallShape;
}

const ORIGIN = /^[a-z][a-z\d+.-]*:\/\/[^/?#]*/i;

/** `https://x/a/b?q#h` → `/a/b?q`; a relative `/a/b` stays as it is. */
export function pathAndQueryOf(url: string): string {
  const origin = ORIGIN.exec(url);
  let rest = origin === null ? url : url.slice(origin[0].length);
  const hash = rest.indexOf("#");
  if (hash !== -1) rest = rest.slice(0, hash);
  return rest.startsWith("/") ? rest : `/${rest}`;
}

// Strings, buffers, Blobs, FormData and URLSearchParams can be handed to fetch again and again
// (fetch serialises them anew each time, a FormData with a fresh multipart boundary). Streams
// and async iterables can be read once only: they are read into memory before the first attempt.
function isOneShot(body: unknown): boolean {
  if (body === null || typeof body !== "object") return false;
  if (typeof ReadableStream !== "undefined" && body instanceof ReadableStream) return true;
  return Symbol.asyncIterator in body && !(typeof Blob !== "undefined" && body instanceof Blob);
}

async function withBufferedBody(init: RequestInit): Promise<RequestInit> {
  const bytes = new Uint8Array(await new Response(init.body).arrayBuffer());
  const { duplex: _duplex, ...rest } = init as RequestInit & { duplex?: string };
  return { ...rest, body: bytes };
}

function fromRequest(request: Request): RequestInit {
  return {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    redirect: request.redirect,
    credentials: request.credentials,
    cache: request.cache,
    integrity: request.integrity,
    keepalive: request.keepalive,
    referrerPolicy: request.referrerPolicy,
  };
}

/**
 * Reads the caller's arguments once. With a URL string and an init (what the OpenAI SDK passes)
 * nothing is copied and no Request is built; a Request input is read, its body into memory.
 */
export function prepareRequest(input: string | URL | Request, init: RequestInit | undefined): PreparedRequest | Promise<PreparedRequest> {
  if (typeof input === "string" || input instanceof URL) {
    const base = init ?? {};
    const prepared: PreparedRequest = {
      pathAndQuery: pathAndQueryOf(typeof input === "string" ? input : input.href),
      method: base.method?.toUpperCase() ?? "GET",
      signal: base.signal ?? undefined,
      init: base,
    };
    if (!isOneShot(base.body)) return prepared;
    return withBufferedBody(base).then((buffered) => ({ ...prepared, init: buffered }));
  }
  const request = init === undefined ? input : new Request(input, init);
  const prepared: PreparedRequest = {
    pathAndQuery: pathAndQueryOf(request.url),
    method: request.method,
    signal: request.signal,
    init: fromRequest(request),
  };
  if (request.body === null) return prepared;
  return request.arrayBuffer().then((body) => ({ ...prepared, init: { ...prepared.init, body } }));
}
