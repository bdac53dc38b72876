import type { AttemptTarget } from "../types/adapter.js";
import { CREDENTIAL_HEADERS } from "../utils/credentials.js";
import type { ResolvedBackend } from "./options.js";
import { type PreparedRequest, streamOf } from "./request.js";

/** Whether the backend can take the request: always, unless its adapter says otherwise. */
export function accepts(backend: ResolvedBackend, request: PreparedRequest): boolean {
  return backend.adapter === undefined || backend.adapter.accepts(request);
}

/**
 * The backend's own `headers` go last: they win over the caller's and the adapter's. When they carry a
 * credential, the caller's `api-key` and `authorization` are both removed first: a backend with a key of
 * its own never receives the caller's, whichever header either is in.
 */
function withOwnHeaders(backend: ResolvedBackend, target: AttemptTarget): AttemptTarget {
  const own = backend.headers;
  if (own === undefined) return target;
  const headers = new Headers(target.init.headers);
  if (backend.ownCredential) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
  for (const [name, value] of own) headers.set(name, value);
  return { url: target.url, init: { ...target.init, headers } };
}

/**
 * Redirects are never followed: following one would re-send this backend's key (and, for 307/308, the
 * prompt) to wherever it points. A redirect comes back as a response, which `failureReason` rules the
 * backend's failure. Set here, after any adapter, so no adapter can turn it off.
 */
function manualRedirects(target: AttemptTarget): AttemptTarget {
  return target.init.redirect === "manual" ? target : { url: target.url, init: { ...target.init, redirect: "manual" } };
}

/** What every attempt must carry: manual redirects, and a body the caller streamed as a stream again. */
function sealed(request: PreparedRequest, target: AttemptTarget): AttemptTarget {
  const safe = manualRedirects(target);
  const { body } = safe.init;
  if (request.streamed !== true || !(body instanceof Uint8Array)) return safe;
  return { url: safe.url, init: { ...safe.init, body: streamOf(body), duplex: "half" } as RequestInit };
}

/**
 * Where this backend's attempt goes: without an adapter, the caller's path and query behind the
 * backend's origin and path prefix, the prepared init as it is (it already says `redirect: "manual"`).
 */
export function targetFor(backend: ResolvedBackend, request: PreparedRequest): AttemptTarget | Promise<AttemptTarget> {
  if (backend.adapter === undefined) {
    return sealed(request, withOwnHeaders(backend, { url: backend.base + request.pathAndQuery, init: request.init }));
  }
  const target = backend.adapter.target(request, backend.base);
  return target instanceof Promise
    ? target.then((resolved) => sealed(request, withOwnHeaders(backend, resolved)))
    : sealed(request, withOwnHeaders(backend, target));
}
