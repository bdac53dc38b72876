import type { ResolvedBackend } from "./options.js";
import type { PreparedRequest } from "./request.js";

/**
 * How the caller's request is shaped, read from its path:
 * - `deployment`: Azure deployment URLs, `…/openai/deployments/{deployment}{rest}?api-version=…`;
 * - `openai`: OpenAI-style, `…/v1{rest}` (api.openai.com, compatible servers, Azure's `/openai/v1`), model in the body;
 * - `other`: neither; such a request goes, as it is, only to backends without a kind.
 */
export interface CallShape {
  readonly style: "deployment" | "openai" | "other";
  readonly deployment: string | undefined;
  /** The operation's path, e.g. `/chat/completions`. */
  readonly rest: string;
  /** The query, with its `?`, or `""`. */
  readonly query: string;
  /** The model the caller asked for: the body's `model`, else the deployment; `undefined` when neither says. */
  readonly model: string | undefined;
}

/** A backend's view of one request: where it goes and what it carries. */
export interface Target {
  readonly url: string;
  readonly init: RequestInit;
}

const DEPLOYMENT = /\/openai\/deployments\/([^/?]+)(\/[^?]*)?(\?.*)?$/;
const OPENAI_STYLE = /^.*?\/v1(\/[^?]*)(\?.*)?$/;
// Azure serves these under a deployment; everything else (Responses, files, batches…) under /openai/v1.
const DEPLOYMENT_SCOPED = /^\/(?:chat\/completions|completions|embeddings|images\/(?:generations|edits|variations)|audio\/(?:transcriptions|translations|speech))$/;

function bodyModel(body: RequestInit["body"]): string | undefined {
  if (typeof body === "string") {
    if (!body.trimStart().startsWith("{")) return undefined;
    try {
      const model = (JSON.parse(body) as { model?: unknown }).model;
      return typeof model === "string" ? model : undefined;
    } catch {
      return undefined;
    }
  }
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) return bodyModel(new TextDecoder().decode(body));
  if (typeof FormData !== "undefined" && body instanceof FormData) {
    const model = body.get("model");
    return typeof model === "string" ? model : undefined;
  }
  return undefined;
}

/** Reads the request's shape once per request, and only when a backend with a kind needs it. */
export function shapeOf(request: PreparedRequest): CallShape {
  if (request.shape !== undefined) return request.shape;
  const deployment = DEPLOYMENT.exec(request.pathAndQuery);
  const openai = deployment === null ? OPENAI_STYLE.exec(request.pathAndQuery) : null;
  const model = bodyModel(request.init.body);
  let shape: CallShape;
  if (deployment !== null) {
    const name = decodeURIComponent(deployment[1]!);
    shape = { style: "deployment", deployment: name, rest: deployment[2] ?? "", query: deployment[3] ?? "", model: model ?? name };
  } else if (openai !== null) {
    shape = { style: "openai", deployment: undefined, rest: openai[1]!, query: openai[2] ?? "", model };
  } else {
    shape = { style: "other", deployment: undefined, rest: request.pathAndQuery, query: "", model };
  }
  request.shape = shape;
  return shape;
}

/** The name this backend knows the requested model by; `undefined` when it does not serve it. */
function mappedModel(backend: ResolvedBackend, shape: CallShape): string | undefined {
  if (shape.model === undefined) return undefined;
  if (backend.models === undefined) return shape.model;
  return backend.models.get(shape.model);
}

/** Whether this backend can take the request at all: its kind can express it and it serves the model. */
export function accepts(backend: ResolvedBackend, request: PreparedRequest): boolean {
  if (backend.kind === undefined) return true;
  const shape = shapeOf(request);
  if (shape.style === "other") return false;
  if (backend.models !== undefined && mappedModel(backend, shape) === undefined) return false;
  // Into a deployment URL or an OpenAI-style body, a model name must come from somewhere.
  if (shape.style === "openai" && backend.kind === "azure" && DEPLOYMENT_SCOPED.test(shape.rest)) return shape.model !== undefined;
  return true;
}

function withoutApiVersion(query: string): string {
  if (query === "") return "";
  const params = new URLSearchParams(query);
  params.delete("api-version");
  const rest = params.toString();
  return rest === "" ? "" : `?${rest}`;
}

function withApiVersion(query: string, apiVersion: string): string {
  const params = new URLSearchParams(query);
  if (!params.has("api-version")) params.set("api-version", apiVersion);
  return `?${params.toString()}`;
}

/** The request body with `model` set to `model`, for JSON and multipart bodies; other bodies as they are. */
function withBodyModel(body: RequestInit["body"], model: string): RequestInit["body"] {
  if (typeof body === "string" || body instanceof Uint8Array || body instanceof ArrayBuffer) {
    const text = typeof body === "string" ? body : new TextDecoder().decode(body);
    try {
      const json = JSON.parse(text) as unknown;
      if (json === null || typeof json !== "object" || Array.isArray(json)) return body;
      if ((json as { model?: unknown }).model === model) return body;
      return JSON.stringify({ ...json, model });
    } catch {
      return body;
    }
  }
  if (typeof FormData !== "undefined" && body instanceof FormData) {
    if (body.get("model") === model) return body;
    const copy = new FormData();
    for (const [name, value] of body) if (name !== "model") copy.append(name, value);
    copy.set("model", model);
    return copy;
  }
  return body;
}

function credentialHeaders(backend: ResolvedBackend, init: RequestInit, token: string | undefined): Headers | HeadersInit | undefined {
  const own = backend.headers;
  const hasCredentials = backend.apiKey !== undefined || token !== undefined;
  if (!hasCredentials && own === undefined) return init.headers;
  const headers = new Headers(init.headers);
  if (hasCredentials) {
    // The caller's key belongs to the caller's endpoint: it must never reach this backend.
    headers.delete("api-key");
    headers.delete("authorization");
    if (token !== undefined) headers.set("authorization", `Bearer ${token}`);
    else if (backend.kind === "openai") headers.set("authorization", `Bearer ${backend.apiKey}`);
    else headers.set("api-key", backend.apiKey!);
  }
  own?.forEach((value, name) => headers.set(name, value));
  return headers;
}

function shapedFor(backend: ResolvedBackend, request: PreparedRequest): { url: string; body: RequestInit["body"] } {
  const { base, kind } = backend;
  const body = request.init.body;
  if (kind === undefined) return { url: base + request.pathAndQuery, body };
  const shape = shapeOf(request);
  const model = mappedModel(backend, shape);
  if (kind === "azure" && (shape.style === "deployment" || DEPLOYMENT_SCOPED.test(shape.rest))) {
    // Without a model map, a deployment-shaped call keeps its own deployment name.
    const deployment = backend.models === undefined && shape.deployment !== undefined ? shape.deployment : model!;
    const query = shape.style === "deployment" ? shape.query : withApiVersion(shape.query, backend.apiVersion);
    return { url: `${base}/openai/deployments/${encodeURIComponent(deployment)}${shape.rest}${query}`, body };
  }
  const root = kind === "openai" ? base : `${base}/openai/v1`;
  const query = shape.style === "deployment" ? withoutApiVersion(shape.query) : shape.query;
  return { url: root + shape.rest + query, body: model === undefined ? body : withBodyModel(body, model) };
}

/**
 * Where this backend's attempt goes and what it carries: the URL in the backend's shape, the model
 * renamed for it, its credentials instead of the caller's, its own headers. Synchronous unless a
 * token provider is to be asked.
 */
export function targetFor(backend: ResolvedBackend, request: PreparedRequest): Target | Promise<Target> {
  const { url, body } = shapedFor(backend, request);
  const build = (token: string | undefined): Target => {
    const headers = credentialHeaders(backend, request.init, token);
    if (headers === request.init.headers && body === request.init.body) return { url, init: request.init };
    return { url, init: { ...request.init, headers, body } };
  };
  if (backend.tokenProvider === undefined) return build(undefined);
  return Promise.resolve(backend.tokenProvider()).then(build);
}
