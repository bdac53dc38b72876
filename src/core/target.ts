import type { AttemptTarget } from "../types/adapter.ts";
import { CREDENTIAL_HEADERS } from "../utils/credentials.ts";
import type { ResolvedBackend } from "./options.ts";
import { type PreparedRequest, streamOf } from "./request.ts";

/** Whether the backend can take the request: always, unless its adapter says otherwise. */
export function accepts(backend: ResolvedBackend, request: PreparedRequest): boolean {
  return backend.adapter === undefined || backend.adapter.accepts(request);
}

/**
 * A body at least this large is sent with `redirect: "error"`: with `"manual"` fetch keeps a clone of the request
 * (its body teed) for a redirect it will not follow, one more copy of a 50 MiB prompt per attempt. Either way no
 * redirect is followed; with `"error"` one surfaces as a network error rather than as a `redirect`.
 */
export const LARGE_BODY = 1 << 20;

/** Whether a body is at least {@link LARGE_BODY}. */
export const isLarge = (body: RequestInit["body"]): boolean =>
  body != null &&
  (typeof body === "string"
    ? body.length >= LARGE_BODY
    : body instanceof Blob
      ? body.size >= LARGE_BODY
      : ArrayBuffer.isView(body) || body instanceof ArrayBuffer
        ? body.byteLength >= LARGE_BODY
        : false);

/**
 * What every attempt carries, set after any adapter so that no adapter can undo it:
 * - the backend's own `headers`, last: they win over the caller's and the adapter's. When they carry a
 *   credential, the caller's `api-key` and `authorization` are both removed first: a backend with a key of
 *   its own never receives the caller's, whichever header either is in;
 * - `redirect: "manual"`: following a redirect would re-send this backend's key (and, for 307/308, the
 *   prompt) to wherever it points. A redirect comes back as a response, which `failureReason` rules the
 *   backend's failure;
 * - a body the caller streamed, as a stream again.
 */
function sealed(backend: ResolvedBackend, request: PreparedRequest, target: AttemptTarget): AttemptTarget {
  const redirect = isLarge(target.init.body) ? "error" : "manual";
  const own = backend.headers;
  // The common case (no headers of its own, a body in memory, the caller's init already "manual"): nothing to change.
  if (own === undefined && request.streamed !== true && target.init.redirect === redirect) return target;
  const init: RequestInit & { duplex?: "half" } = { ...target.init, redirect };
  if (own !== undefined) {
    const headers = new Headers(init.headers);
    if (backend.ownCredential) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
    for (const [name, value] of own) headers.set(name, value);
    init.headers = headers;
  }
  if (request.streamed === true && init.body instanceof Uint8Array) {
    init.body = streamOf(init.body);
    init.duplex = "half";
  }
  return { url: target.url, init };
}

/**
 * Where this backend's attempt goes: without an adapter, the caller's path and query behind the
 * backend's origin and path prefix, with the prepared init.
 */
export function targetFor(backend: ResolvedBackend, request: PreparedRequest): AttemptTarget | Promise<AttemptTarget> {
  const { adapter } = backend;
  if (adapter === undefined)
    return sealed(backend, request, { url: backend.base + request.pathAndQuery, init: request.init });
  const target = adapter.target(request, backend.base);
  return target instanceof Promise
    ? target.then((resolved) => sealed(backend, request, resolved))
    : sealed(backend, request, target);
}
