import type { BackendConfig } from "../types/options.ts";
import { createAdapter } from "./adapter.ts";
import { resolveProvider, type AzureBackendOptions, type ProviderBackendOptions } from "./options.ts";
import { azureSpillover } from "./spillover.ts";

export type { AzureBackendOptions, ProviderBackendOptions, ProviderKind, TokenProvider } from "./options.ts";

/**
 * An Azure OpenAI backend with deployment URLs: `{url}/openai/deployments/{deployment}/chat/completions?api-version=…`.
 * `url` is the resource endpoint (`https://my-resource.openai.azure.com`). OpenAI-shaped requests are translated
 * (the model, through `models`, becomes the deployment); APIs that are not deployment-scoped, such as Responses,
 * go to `{url}/openai/v1/…`. An `apiKey` is sent as `api-key`.
 *
 * @example
 * azure({ url: "https://ptu-eastus.openai.azure.com", priority: 1, apiKey: env.PTU_KEY, models: { "gpt-4o": "gpt4o-ptu" } })
 */
export function azure(options: AzureBackendOptions): BackendConfig {
  const { backend, provider } = resolveProvider("azure", options);
  return {
    ...backend,
    adapter: {
      ...createAdapter("azure", { ...provider, apiVersion: provider.apiVersion ?? "2024-10-21" }),
      spillover: azureSpillover,
    },
  };
}

/**
 * Azure OpenAI's OpenAI-compatible v1 API: `{url}/openai/v1/chat/completions` with the deployment as `model`.
 * `url` is the resource endpoint. An `apiKey` is sent as `api-key`.
 */
export function azureV1(options: ProviderBackendOptions): BackendConfig {
  const { backend, provider } = resolveProvider("azureV1", options);
  return { ...backend, adapter: { ...createAdapter("azure-v1", provider), spillover: azureSpillover } };
}

/**
 * api.openai.com or any OpenAI-compatible server: `{url}/chat/completions`, where `url` is the base URL you would
 * give the OpenAI client (`https://api.openai.com/v1`, `http://localhost:11434/v1`). An `apiKey` is sent as
 * `Authorization: Bearer`.
 */
export function openai(options: ProviderBackendOptions): BackendConfig {
  const { backend, provider } = resolveProvider("openai", options);
  return { ...backend, adapter: createAdapter("openai", provider) };
}
