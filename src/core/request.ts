import type { AdapterRequest } from "../types/adapter.js";

/** What every attempt of one request sends, read from the caller's arguments once. */
export interface PreparedRequest extends AdapterRequest {
  /** Path and query of the caller's URL (no origin, no fragment), e.g. `/openai/deployments/d/chat/completions?api-version=v`. */
  readonly pathAndQuery: string;
  readonly method: string;
  /** The caller's signal, if any. */
  readonly signal: AbortSignal | undefined;
  /** The init every attempt starts from: the caller's, with a body that can be sent again. */
  readonly init: RequestInit;
}

const ORIGIN = /^[a-z][a-z\d+.-]*:\/\/[^/?#]*/i;
const FOREIGN_SCHEME = /^(?!https?:)[a-z][a-z\d+.-]*:/i;

/**
 * Whether a URL is for the backends: http(s) or relative. Anything else (`data:`, `blob:`, `file:`)
 * goes straight to the underlying fetch; the openai SDK, for one, probes its fetch with `data:,`.
 */
export function isBalanced(input: string | URL | Request): boolean {
  return !FOREIGN_SCHEME.test(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
}

/** `https://x/a/b?q#h` → `/a/b?q`; a relative `/a/b` stays as it is. */
export function pathAndQueryOf(url: string): string {
  const origin = ORIGIN.exec(url);
  let rest = origin === null ? url : url.slice(origin[0].length);
  const hash = rest.indexOf("#");
  if (hash !== -1) rest = rest.slice(0, hash);
  return rest.startsWith("/") ? rest : `/${rest}`;
}

// Strings, buffers, Blobs, FormData and URLSearchParams can be handed to fetch again and again
// (fetch serialises them anew each time, a FormData with a fresh multipart boundary). A stream can
// be read once only: it is read into memory before the first attempt.
const isStream = (body: unknown): body is ReadableStream =>
  typeof ReadableStream !== "undefined" && body instanceof ReadableStream;

async function withBufferedBody(init: RequestInit): Promise<RequestInit> {
  const bytes = new Uint8Array(await new Response(init.body).arrayBuffer());
  const { duplex: _duplex, ...rest } = init as RequestInit & { duplex?: string };
  return { ...rest, body: bytes };
}

// What a Request carries that fetch needs again; `mode` and `referrer` are left to the runtime.
const REQUEST_FIELDS = [
  "method",
  "headers",
  "signal",
  "redirect",
  "credentials",
  "cache",
  "integrity",
  "keepalive",
  "referrerPolicy",
] as const;

function fromRequest(request: Request): RequestInit {
  const init: Record<string, unknown> = {};
  for (const field of REQUEST_FIELDS) init[field] = request[field];
  return init as RequestInit;
}

/**
 * Reads the caller's arguments once. With a URL string and an init (what the OpenAI SDK passes)
 * nothing is copied and no Request is built; a Request input is read, its body into memory.
 */
export function prepareRequest(
  input: string | URL | Request,
  init: RequestInit | undefined,
): PreparedRequest | Promise<PreparedRequest> {
  if (typeof input === "string" || input instanceof URL) {
    const base = init ?? {};
    const prepared: PreparedRequest = {
      pathAndQuery: pathAndQueryOf(typeof input === "string" ? input : input.href),
      method: base.method?.toUpperCase() ?? "GET",
      signal: base.signal ?? undefined,
      init: base,
    };
    if (!isStream(base.body)) return prepared;
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
