import type { BackendConfig } from "../types/options.js";

/** The API dialects the ready-made adapters speak. */
export type ProviderKind = "azure" | "azure-v1" | "openai";

/** Returns a bearer token, e.g. `@azure/identity`'s `getBearerTokenProvider(credential, scope)`. Called for every attempt: cache inside. */
export type TokenProvider = () => string | Promise<string>;

/** A backend of a known provider: everything a {@link BackendConfig} has, plus its credentials and model names. */
export interface ProviderBackendOptions extends Omit<BackendConfig, "adapter"> {
  /**
   * This backend's API key, sent the way its provider expects (`api-key` for Azure, `Authorization: Bearer`
   * for OpenAI). The caller's `api-key` and `Authorization` headers are removed first, so no key reaches a
   * backend it does not belong to.
   */
  apiKey?: string;
  /** A bearer token for every attempt (Entra ID); like `apiKey`, replaces the caller's credentials. */
  tokenProvider?: TokenProvider;
  /**
   * The caller's model name → this backend's deployment or model name (the Python seed's `MODEL_ENGINE_MAPPING`).
   * With a map, the backend serves only the models in it and is skipped for others; without one it serves every
   * model under the caller's name.
   */
  models?: Record<string, string>;
}

/** An Azure OpenAI backend with deployment URLs. */
export interface AzureBackendOptions extends ProviderBackendOptions {
  /** `api-version` for requests translated into deployment URLs (a caller's own is kept). Default `"2024-10-21"`. */
  apiVersion?: string;
}

/** Provider options after validation. */
export interface ResolvedProvider {
  readonly apiKey: string | undefined;
  readonly tokenProvider: TokenProvider | undefined;
  readonly models: ReadonlyMap<string, string> | undefined;
  readonly apiVersion: string | undefined;
}

function fail(factory: string, field: string, value: unknown, expected: string): never {
  throw new TypeError(
    `openai-priority-loadbalancer: ${factory}() ${field} must be ${expected}, got ${typeof value === "string" ? JSON.stringify(value) : String(value)}.`,
  );
}

/** Validates a provider's own options and splits them from the backend's. */
export function resolveProvider(
  factory: string,
  options: AzureBackendOptions,
): { backend: Omit<BackendConfig, "adapter">; provider: ResolvedProvider } {
  if (options === null || typeof options !== "object") fail(factory, "options", options, "an object with a url");
  const { apiKey, tokenProvider, models, apiVersion, ...backend } = options;
  if (apiKey !== undefined && (typeof apiKey !== "string" || apiKey === ""))
    fail(factory, "apiKey", typeof apiKey, "a non-empty string");
  if (tokenProvider !== undefined && typeof tokenProvider !== "function")
    fail(factory, "tokenProvider", tokenProvider, "a function");
  if (apiKey !== undefined && tokenProvider !== undefined)
    fail(factory, "apiKey", "(set)", "left out when tokenProvider is set (one credential per backend)");
  if (apiVersion !== undefined && (typeof apiVersion !== "string" || apiVersion === ""))
    fail(factory, "apiVersion", apiVersion, "a non-empty string");
  let map: Map<string, string> | undefined;
  if (models !== undefined) {
    if (models === null || typeof models !== "object")
      fail(factory, "models", models, "an object mapping model names to deployment or model names");
    map = new Map(Object.entries(models));
    for (const [model, target] of map) {
      if (typeof target !== "string" || target === "")
        fail(factory, `models[${JSON.stringify(model)}]`, target, "a non-empty string");
    }
  }
  return { backend, provider: { apiKey, tokenProvider, models: map, apiVersion } };
}
