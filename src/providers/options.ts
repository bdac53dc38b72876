import type { BackendConfig } from "../types/options.ts";
import { describe, describeSecret } from "../utils/describe.ts";
import { backendLabel, hasCredentialHeader } from "./describe.ts";

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

function fail(factory: string, at: string, field: string, shown: string, expected: string): never {
  throw new TypeError(`openai-priority-loadbalancer: ${factory}()${at} ${field} must be ${expected}, got ${shown}.`);
}

/**
 * Validates a provider's own options and splits them from the backend's. A credential that is present but
 * `undefined` or empty (`apiKey: process.env.MISSING`) is an error: the backend would otherwise get the
 * caller's key. Credentials are never shown, only their type.
 */
export function resolveProvider(
  factory: string,
  options: AzureBackendOptions,
): { backend: Omit<BackendConfig, "adapter">; provider: ResolvedProvider } {
  try {
    return resolve(factory, options);
  } catch (error) {
    if (error instanceof TypeError && error.message.startsWith("openai-priority-loadbalancer: ")) throw error;
    // From the caller's own objects (a Proxy trap, a getter): still a TypeError, without the foreign message.
    throw new TypeError(`openai-priority-loadbalancer: ${factory}() options could not be read (a value threw).`, {
      cause: error,
    });
  }
}

function resolve(
  factory: string,
  options: AzureBackendOptions,
): { backend: Omit<BackendConfig, "adapter">; provider: ResolvedProvider } {
  if (options === null || typeof options !== "object")
    fail(factory, "", "options", describe(options), "an object with a url");
  let apiKey: unknown;
  let tokenProvider: unknown;
  let models: unknown;
  let apiVersion: unknown;
  let backend: Record<string, unknown>;
  try {
    ({ apiKey, tokenProvider, models, apiVersion, ...backend } = options as unknown as Record<string, unknown>);
  } catch {
    throw new TypeError(
      `openai-priority-loadbalancer: ${factory}() options could not be read (a getter or Proxy threw).`,
    );
  }
  // Unknown keys are left in the backend's fields: createLoadBalancer rejects them, with a suggestion.
  const at = backendLabel(backend.name, backend.url);
  const has = (key: string): boolean => Object.hasOwn(options, key);
  if (has("apiKey") && (typeof apiKey !== "string" || apiKey.trim() === "")) {
    fail(
      factory,
      at,
      "apiKey",
      describeSecret(apiKey),
      "a non-empty string when present (is its environment variable set?)",
    );
  }
  if (has("tokenProvider") && typeof tokenProvider !== "function") {
    fail(factory, at, "tokenProvider", describeSecret(tokenProvider), "a function when present");
  }
  if (apiKey !== undefined && tokenProvider !== undefined) {
    fail(
      factory,
      at,
      "apiKey",
      "a string (not shown)",
      "left out when tokenProvider is set (one credential per backend)",
    );
  }
  if ((apiKey !== undefined || tokenProvider !== undefined) && hasCredentialHeader(backend.headers)) {
    fail(
      factory,
      at,
      "headers",
      "an api-key or authorization header",
      `free of credentials when ${apiKey === undefined ? "tokenProvider" : "apiKey"} is set (one credential per backend)`,
    );
  }
  if (apiVersion !== undefined && (typeof apiVersion !== "string" || apiVersion === "")) {
    fail(factory, at, "apiVersion", describe(apiVersion), "a non-empty string");
  }
  let map: Map<string, string> | undefined;
  if (models !== undefined) {
    if (models === null || typeof models !== "object" || Array.isArray(models)) {
      fail(factory, at, "models", describe(models), "an object mapping model names to deployment or model names");
    }
    map = new Map(Object.entries(models));
    for (const [model, target] of map) {
      if (typeof target !== "string" || target === "") {
        fail(factory, at, `models[${JSON.stringify(model)}]`, describe(target), "a non-empty string");
      }
    }
  }
  return {
    backend: backend as Omit<BackendConfig, "adapter">,
    provider: {
      apiKey: apiKey as string | undefined,
      tokenProvider: tokenProvider as TokenProvider | undefined,
      models: map,
      apiVersion: apiVersion as string | undefined,
    },
  };
}
