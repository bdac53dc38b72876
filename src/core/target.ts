import type { AttemptTarget } from "../types/adapter.js";
import type { ResolvedBackend } from "./options.js";
import type { PreparedRequest } from "./request.js";

/** Whether the backend can take the request: always, unless its adapter says otherwise. */
export function accepts(backend: ResolvedBackend, request: PreparedRequest): boolean {
  return backend.adapter === undefined || backend.adapter.accepts(request);
}

/** The backend's own `headers` go last: they win over the caller's and the adapter's. */
function withOwnHeaders(backend: ResolvedBackend, target: AttemptTarget): AttemptTarget {
  const own = backend.headers;
  if (own === undefined) return target;
  const headers = new Headers(target.init.headers);
  for (const [name, value] of own) headers.set(name, value);
  return { url: target.url, init: { ...target.init, headers } };
}

/**
 * Where this backend's attempt goes: without an adapter, the caller's path and query behind the
 * backend's origin and path prefix, the caller's init untouched (nothing is copied on that path).
 */
export function targetFor(backend: ResolvedBackend, request: PreparedRequest): AttemptTarget | Promise<AttemptTarget> {
  if (backend.adapter === undefined)
    return withOwnHeaders(backend, { url: backend.base + request.pathAndQuery, init: request.init });
  const target = backend.adapter.target(request, backend.base);
  return target instanceof Promise
    ? target.then((resolved) => withOwnHeaders(backend, resolved))
    : withOwnHeaders(backend, target);
}
