import type { AdapterRequest } from "../types/adapter.ts";
import { raceAbort } from "../utils/timers.ts";

/** What every attempt of one request sends, read from the caller's arguments once. */
export interface PreparedRequest extends AdapterRequest {
  /** Path and query of the caller's URL (no origin, no fragment), e.g. `/openai/deployments/d/chat/completions?api-version=v`. */
  readonly pathAndQuery: string;
  readonly method: string;
  /** The caller's signal, if any. */
  readonly signal: AbortSignal | undefined;
  /** The init every attempt starts from: the caller's, with a body that can be sent again, and `redirect: "manual"`. */
  readonly init: RequestInit;
  /**
   * The caller's `Request` (and the one made from it with the init), held for as long as the request runs:
   * undici links a Request's signal to the signal it was made with by a weak reference, which a garbage
   * collection would otherwise cut, leaving the caller's abort unheard.
   */
  readonly held?: readonly Request[];
  /** The caller sent a stream: its bytes, read once, go to each attempt as a new stream over them (see {@link streamOf}). */
  readonly streamed?: boolean;
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

// The last URL read and its path: a client sends to the same few URLs again and again (a pure function's memo, one entry).
let lastUrl = "";
let lastPath = "/";

/** `https://x/a/b?q#h` → `/a/b?q`; a relative `/a/b` stays as it is. */
export function pathAndQueryOf(url: string): string {
  if (url === lastUrl) return lastPath;
  const origin = ORIGIN.exec(url);
  let rest = origin === null ? url : url.slice(origin[0].length);
  const hash = rest.indexOf("#");
  if (hash !== -1) rest = rest.slice(0, hash);
  lastUrl = url;
  lastPath = rest.startsWith("/") ? rest : `/${rest}`;
  return lastPath;
}

// Strings, buffers, Blobs, FormData and URLSearchParams can be handed to fetch again and again
// (fetch serialises them anew each time, a FormData with a fresh multipart boundary). A stream can
// be read once only: it is read into memory before the first attempt.
const isStream = (body: unknown): body is ReadableStream =>
  typeof ReadableStream !== "undefined" && body instanceof ReadableStream;

/**
 * Reads a body stream into one buffer: the chunks are kept as they come and copied once into a buffer of
 * their total size (one chunk is used as it is), so the peak is twice the body, briefly, and then once.
 * Every read races the caller's signal: a stream that never ends must not outlive the caller's abort.
 */
export async function readBody(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
  signal: AbortSignal | undefined,
): Promise<Uint8Array<ArrayBuffer>> {
  signal?.throwIfAborted();
  const reader = stream.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  try {
    for (;;) {
      const read = reader.read();
      const { done, value } = await (signal === undefined ? read : raceAbort(read, signal));
      if (done) break;
      if (!(value instanceof Uint8Array)) {
        throw new TypeError("openai-priority-loadbalancer: a request body stream must yield Uint8Array chunks.");
      }
      chunks.push(value);
      total += value.byteLength;
    }
  } catch (error) {
    reader.cancel(error).catch(() => {});
    throw error;
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks.splice(0)) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

const CHUNK = 64 * 1024;

/**
 * A new stream over bytes already in memory, in views of them: fetch copies a buffer body whole for each
 * attempt (undici does), a stream it does not. Used only where the caller sent a stream, so the request
 * goes out as the caller's would have (chunked, without a content-length).
 */
export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + CHUNK));
      offset += CHUNK;
    },
  });
}

// What a Request carries that fetch needs again; `mode` and `referrer` are left to the runtime, `redirect`
// is always "manual" and `signal` is the one read once (see prepareRequest).
const REQUEST_FIELDS = [
  "method",
  "headers",
  "credentials",
  "cache",
  "integrity",
  "keepalive",
  "referrerPolicy",
] as const;

/**
 * Reads the caller's arguments once. With a URL string and an init (what the OpenAI SDK passes) the init is
 * copied shallowly, once; a Request input is read, its body into memory.
 */
export function prepareRequest(
  input: string | URL | Request,
  init: RequestInit | undefined,
): PreparedRequest | Promise<PreparedRequest> {
  if (typeof input === "string" || input instanceof URL) {
    const base = init ?? {};
    const signal = base.signal ?? undefined;
    // Not `{ ...base, redirect }`: in Node 20's V8 a property added after a spread gives the copy a map of its
    // own, about 0.6 µs per request and slower reads of it afterwards. Object.assign costs about the same as the
    // spread in Node 24 and a tenth of it in Node 20.
    const copy: RequestInit = Object.assign({}, base);
    copy.redirect = "manual";
    const prepared: PreparedRequest = {
      pathAndQuery: pathAndQueryOf(typeof input === "string" ? input : input.href),
      method: base.method?.toUpperCase() ?? "GET",
      signal,
      init: copy,
    };
    if (!isStream(base.body)) return prepared;
    return readBody(base.body, signal).then((body) => {
      const { duplex: _duplex, ...rest } = prepared.init as RequestInit & { duplex?: string };
      return { ...prepared, init: { ...rest, body }, streamed: true };
    });
  }
  const request = init === undefined ? input : new Request(input, init);
  // The caller's own signal when there is one, not the Request's copy, which is linked to it weakly.
  const signal = init?.signal ?? input.signal;
  const fields: Record<string, unknown> = { redirect: "manual", signal };
  for (const field of REQUEST_FIELDS) fields[field] = request[field];
  const prepared: PreparedRequest = {
    pathAndQuery: pathAndQueryOf(request.url),
    method: request.method,
    signal,
    init: fields as RequestInit,
    held: [input, request],
  };
  if (request.body === null) return prepared;
  return readBody(request.body, signal).then((body) => ({ ...prepared, init: { ...prepared.init, body } }));
}
