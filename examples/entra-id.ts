/**
 * Microsoft Entra ID (keyless) authentication: a token provider per backend.
 *
 * Each backend calls its `tokenProvider` for every attempt and sends `Authorization: Bearer <token>`
 * in place of the client's credentials. In production, use @azure/identity, which caches and
 * refreshes tokens for you:
 *
 *   import { DefaultAzureCredential, getBearerTokenProvider } from "@azure/identity";
 *   const tokenProvider = getBearerTokenProvider(new DefaultAzureCredential(), "https://cognitiveservices.azure.com/.default");
 *
 * To stay free of dependencies, this example reads a token you fetched with the Azure CLI.
 *
 * Environment:
 *   AZURE_OPENAI_TOKEN               az account get-access-token --resource https://cognitiveservices.azure.com --query accessToken -o tsv
 *   AZURE_OPENAI_PTU_ENDPOINT        https://my-ptu.openai.azure.com
 *   AZURE_OPENAI_PTU_DEPLOYMENT      e.g. gpt4o-ptu
 *   AZURE_OPENAI_PAYGO_ENDPOINT      https://my-paygo.openai.azure.com
 *   AZURE_OPENAI_PAYGO_DEPLOYMENT    e.g. gpt4o-paygo
 * Your identity needs the "Cognitive Services OpenAI User" role on both resources.
 *
 * Run (Node >= 22.18 runs TypeScript directly):
 *   export AZURE_OPENAI_TOKEN=$(az account get-access-token --resource https://cognitiveservices.azure.com --query accessToken -o tsv)
 *   npm run build && node examples/entra-id.ts
 */
import OpenAI from "openai";
import { createLoadBalancer } from "openai-priority-loadbalancer";
import { azure, type TokenProvider } from "openai-priority-loadbalancer/providers";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set ${name} (see the comment at the top of this example).`);
  return value;
}

/**
 * Wraps `getToken` so it runs at most once per `ttlMs`: a token provider is called for every
 * attempt, so it must cache. A failed fetch is not cached; the next attempt tries again.
 */
function cachingTokenProvider(getToken: () => Promise<string>, ttlMs = 45 * 60_000): TokenProvider {
  let token: Promise<string> | undefined;
  let expiresAt = 0;
  return () => {
    if (token === undefined || Date.now() >= expiresAt) {
      token = getToken().catch((error: unknown) => {
        token = undefined;
        throw error;
      });
      expiresAt = Date.now() + ttlMs;
    }
    return token;
  };
}

// Read once, up front, so a missing variable stops here with a clear message. Azure CLI tokens
// live about an hour; for longer runs, swap in @azure/identity (see above).
const cliToken = env("AZURE_OPENAI_TOKEN");
const tokenProvider = cachingTokenProvider(async () => cliToken);

const lb = createLoadBalancer({
  backends: [
    // Each backend takes its own provider: resources in another tenant would get another credential.
    azure({
      name: "ptu",
      url: env("AZURE_OPENAI_PTU_ENDPOINT"),
      priority: 1,
      tokenProvider,
      models: { "gpt-4o": env("AZURE_OPENAI_PTU_DEPLOYMENT") },
    }),
    azure({
      name: "paygo",
      url: env("AZURE_OPENAI_PAYGO_ENDPOINT"),
      priority: 2,
      tokenProvider,
      models: { "gpt-4o": env("AZURE_OPENAI_PAYGO_DEPLOYMENT") },
    }),
  ],
  logger: console,
});

// The client's key is a placeholder: the backends replace it with their bearer tokens (the SDK insists on one).
const client = new OpenAI({ apiKey: "unused-see-backends", fetch: lb.fetch });

const completion = await client.chat.completions.create({
  model: "gpt-4o",
  messages: [{ role: "user", content: "What is Microsoft Entra ID?" }],
});
console.log(completion.choices[0]?.message.content);
