import type { AdapterRequest } from "../types/adapter.ts";
import { jsonBody } from "../utils/json-body.ts";
import { findModel, modelSplicer, valueAt } from "./json-model.ts";

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

/** A request body's model, and the body with another model in its place. */
interface BodyModel {
  readonly model: string | undefined;
  /** The body with `model`; the body itself when it has that model already, or no model can be put in it. */
  readonly with: (model: string) => RequestInit["body"];
}

const asModel = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

function readBodyModel(body: RequestInit["body"]): BodyModel {
  if (typeof FormData !== "undefined" && body instanceof FormData) {
    const model = asModel(body.get("model"));
    return {
      model,
      with(target) {
        if (model === target) return body;
        // The caller's FormData is copied, not changed.
        const copy = new FormData();
        for (const [name, value] of body) if (name !== "model") copy.append(name, value);
        copy.set("model", target);
        return copy;
      },
    };
  }
  const source = jsonSource(body);
  if (source === undefined) return { model: undefined, with: () => body };
  const span = findModel(source);
  if (span === undefined) {
    // Not a body the scan can vouch for: JSON.parse decides, at the cost of a full copy.
    const json = parseJson(body);
    return {
      model: asModel(json?.model),
      with: (model) => (json === undefined || json.model === model ? body : JSON.stringify({ ...json, model })),
    };
  }
  const current = span === null ? undefined : valueAt(source, span);
  // Cut once, on the first attempt that needs another model; every attempt after it reuses the cut.
  let splice: ((value: string) => Blob) | undefined;
  return {
    model: asModel(current),
    with(model) {
      if (current === model) return body;
      splice ??= modelSplicer(source, span);
      return splice(JSON.stringify(model));
    },
  };
}

// Read once per request, however many backends ask: the request object is the same for every attempt.
const bodies = new WeakMap<AdapterRequest, BodyModel>();

function bodyModelOf(request: AdapterRequest): BodyModel {
  let found = bodies.get(request);
  if (found === undefined) {
    found = readBodyModel(request.init.body);
    bodies.set(request, found);
  }
  return found;
}

/** The request's shape and model, parsed the first time an adapter asks. */
export function shapeOf(request: AdapterRequest): CallShape {
  let shape = shapes.get(request);
  if (shape !== undefined) return shape;
  const { model } = bodyModelOf(request);
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

/** The request's body with `model` set, for JSON and multipart bodies; others as they are. */
export function withBodyModel(request: AdapterRequest, model: string): RequestInit["body"] {
  return bodyModelOf(request).with(model);
}
