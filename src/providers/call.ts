import type { AdapterRequest } from "../types/adapter.ts";
import { jsonBody } from "../utils/json-body.ts";
import { findModel, splice, valueAt, withModelAdded } from "./json-model.ts";

/**
 * How the caller's request is shaped, read from its path:
 * - `deployment`: Azure deployment URLs, `…/openai/deployments/{deployment}{rest}?api-version=…`;
 * - `openai`: OpenAI-style, `…/v1{rest}` (api.openai.com, compatible servers, Azure's `/openai/v1`), model in the body;
 * - `other`: neither; such a request goes, as it is, only to backends without an adapter.
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

const DEPLOYMENT = /\/openai\/deployments\/([^/?]+)(\/[^?]*)?(\?.*)?$/;
const OPENAI_STYLE = /^.*?\/v1(\/[^?]*)(\?.*)?$/;

/** Azure serves these under a deployment; everything else (Responses, files, batches…) under `/openai/v1`. */
export const DEPLOYMENT_SCOPED: RegExp =
  /^\/(?:chat\/completions|completions|embeddings|images\/(?:generations|edits|variations)|audio\/(?:transcriptions|translations|speech))$/;

// One parse per request, however many backends ask: the request object is the same for every attempt.
const shapes = new WeakMap<AdapterRequest, CallShape>();

/** A JSON object body; `undefined` for anything else. */
function parseJson(body: RequestInit["body"]): Record<string, unknown> | undefined {
  const json = jsonBody(body);
  return json !== null && typeof json === "object" && !Array.isArray(json)
    ? (json as Record<string, unknown>)
    : undefined;
}

/** A JSON body as text or bytes, viewed without copying; `undefined` for bodies that are not. */
function jsonSource(body: RequestInit["body"]): string | Uint8Array | undefined {
  if (typeof body === "string" || body instanceof Uint8Array) return body;
  return body instanceof ArrayBuffer ? new Uint8Array(body) : undefined;
}

function bodyModel(body: RequestInit["body"]): string | undefined {
  if (typeof FormData !== "undefined" && body instanceof FormData) {
    const model = body.get("model");
    return typeof model === "string" ? model : undefined;
  }
  const source = jsonSource(body);
  if (source === undefined) return undefined;
  const span = findModel(source);
  const model = span === undefined ? parseJson(body)?.model : span === null ? undefined : valueAt(source, span);
  return typeof model === "string" ? model : undefined;
}

/** The request's shape and model, parsed the first time an adapter asks. */
export function shapeOf(request: AdapterRequest): CallShape {
  let shape = shapes.get(request);
  if (shape !== undefined) return shape;
  const model = bodyModel(request.init.body);
  const deployment = DEPLOYMENT.exec(request.pathAndQuery);
  const openai = deployment === null ? OPENAI_STYLE.exec(request.pathAndQuery) : null;
  if (deployment !== null) {
    const name = decodeURIComponent(deployment[1]!);
    shape = {
      style: "deployment",
      deployment: name,
      rest: deployment[2] ?? "",
      query: deployment[3] ?? "",
      model: model ?? name,
    };
  } else if (openai !== null) {
    shape = { style: "openai", deployment: undefined, rest: openai[1]!, query: openai[2] ?? "", model };
  } else {
    shape = { style: "other", deployment: undefined, rest: request.pathAndQuery, query: "", model };
  }
  shapes.set(request, shape);
  return shape;
}

/** The body with `model` set, for JSON and multipart bodies (the caller's FormData is copied, not changed); others as they are. */
export function withBodyModel(body: RequestInit["body"], model: string): RequestInit["body"] {
  if (typeof FormData !== "undefined" && body instanceof FormData) {
    if (body.get("model") === model) return body;
    const copy = new FormData();
    for (const [name, value] of body) if (name !== "model") copy.append(name, value);
    copy.set("model", model);
    return copy;
  }
  const source = jsonSource(body);
  if (source === undefined) return body;
  const span = findModel(source);
  const value = JSON.stringify(model);
  if (span === undefined) {
    // Not a body the scan can vouch for: JSON.parse decides, at the cost of a full copy.
    const json = parseJson(body);
    return json === undefined || json.model === model ? body : JSON.stringify({ ...json, model });
  }
  if (span !== null) return valueAt(source, span) === model ? body : splice(source, span.start, span.end, value);
  return withModelAdded(source, value);
}
