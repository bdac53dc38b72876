import type { AdapterRequest, AttemptTarget, BackendAdapter } from "../types/adapter.ts";
import { DEPLOYMENT_SCOPED, shapeOf, withBodyModel, type CallShape } from "./call.ts";
import type { ProviderKind, ResolvedProvider } from "./options.ts";

function mappedModel(provider: ResolvedProvider, shape: CallShape): string | undefined {
  if (shape.model === undefined) return undefined;
  return provider.models === undefined ? shape.model : provider.models.get(shape.model);
}

function query(shape: CallShape, apiVersion: string | undefined): string {
  const params = new URLSearchParams(shape.query);
  if (apiVersion === undefined) params.delete("api-version");
  else if (!params.has("api-version")) params.set("api-version", apiVersion);
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

function credentials(
  kind: ProviderKind,
  provider: ResolvedProvider,
  init: RequestInit,
  token: string | undefined,
): HeadersInit | undefined {
  if (provider.apiKey === undefined && token === undefined) return init.headers;
  const headers = new Headers(init.headers);
  // The caller's key belongs to the caller's endpoint: it must never reach this backend.
  headers.delete("api-key");
  headers.delete("authorization");
  if (token !== undefined) headers.set("authorization", `Bearer ${token}`);
  else if (kind === "openai") headers.set("authorization", `Bearer ${provider.apiKey}`);
  else headers.set("api-key", provider.apiKey!);
  return headers;
}

/** Whether the request goes into a deployment URL at this backend (else to a model-in-body path). */
function intoDeployment(kind: ProviderKind, shape: CallShape): boolean {
  return kind === "azure" && (shape.style === "deployment" || DEPLOYMENT_SCOPED.test(shape.rest));
}

/** The Azure deployment it is sent to, or the model (as mapped) of a model-in-body API. */
function scopeName(kind: ProviderKind, provider: ResolvedProvider, shape: CallShape): string | undefined {
  const model = mappedModel(provider, shape);
  if (!intoDeployment(kind, shape)) return model;
  return provider.models === undefined && shape.deployment !== undefined ? shape.deployment : model;
}

/** The URL and body of a request in `kind`'s shape (credentials aside). */
function shaped(
  kind: ProviderKind,
  provider: ResolvedProvider,
  request: AdapterRequest,
  base: string,
): { url: string; body: RequestInit["body"] } {
  const shape = shapeOf(request);
  const model = mappedModel(provider, shape);
  const { body } = request.init;
  if (intoDeployment(kind, shape)) {
    // Without a model map, a deployment-shaped call keeps its own deployment name.
    const deployment = scopeName(kind, provider, shape)!;
    const search = shape.style === "deployment" ? shape.query : query(shape, provider.apiVersion);
    return { url: `${base}/openai/deployments/${encodeURIComponent(deployment)}${shape.rest}${search}`, body };
  }
  const root = kind === "openai" ? base : `${base}/openai/v1`;
  const search = shape.style === "deployment" ? query(shape, undefined) : shape.query;
  return { url: root + shape.rest + search, body: model === undefined ? body : withBodyModel(request, model) };
}

/** The adapter for one backend of `kind`. */
export function createAdapter(kind: ProviderKind, provider: ResolvedProvider): BackendAdapter {
  return {
    kind,
    accepts(request) {
      const shape = shapeOf(request);
      if (shape.style === "other") return false;
      if (provider.models !== undefined && mappedModel(provider, shape) === undefined) return false;
      // Into a deployment URL the model's name must come from somewhere.
      return !(
        shape.style === "openai" &&
        kind === "azure" &&
        DEPLOYMENT_SCOPED.test(shape.rest) &&
        shape.model === undefined
      );
    },
    scope(request) {
      return scopeName(kind, provider, shapeOf(request));
    },
    target(request, base) {
      const { url, body } = shaped(kind, provider, request, base);
      const build = (token: string | undefined): AttemptTarget => {
        const headers = credentials(kind, provider, request.init, token);
        return headers === request.init.headers && body === request.init.body
          ? { url, init: request.init }
          : { url, init: { ...request.init, headers, body } };
      };
      const { tokenProvider } = provider;
      if (tokenProvider === undefined) return build(undefined);
      return Promise.resolve(tokenProvider()).then((token) => {
        // No token must not mean "send the request without one": the attempt fails as `credentials`.
        if (typeof token !== "string" || token === "") throw new TypeError("tokenProvider returned no token");
        return build(token);
      });
    },
  };
}
