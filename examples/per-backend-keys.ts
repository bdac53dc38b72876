/**
 * A key per backend, through the provider factories.
 *
 * Each backend sends its own key, the way its API expects (`api-key` for Azure), and the client's
 * `api-key` and `Authorization` headers are removed first: no key ever reaches a backend it does
 * not belong to, whichever backend a failover lands on. Each resource may name its deployment differently.
 *
 * Environment:
 *   AZURE_OPENAI_PTU_ENDPOINT          https://my-ptu.openai.azure.com
 *   AZURE_OPENAI_PTU_KEY
 *   AZURE_OPENAI_PTU_DEPLOYMENT        e.g. gpt4o-ptu
 *   AZURE_OPENAI_PAYGO_ENDPOINT        https://my-paygo.openai.azure.com
 *   AZURE_OPENAI_PAYGO_KEY
 *   AZURE_OPENAI_PAYGO_DEPLOYMENT      e.g. gpt4o-paygo
 *   AZURE_OPENAI_WESTUS_ENDPOINT       https://my-westus.openai.azure.com (reached through Azure's /openai/v1 API)
 *   AZURE_OPENAI_WESTUS_KEY
 *   AZURE_OPENAI_WESTUS_DEPLOYMENT     e.g. gpt-4o
 *
 * Run (Node >= 22.18 runs TypeScript directly):
 *   npm run build && node examples/per-backend-keys.ts
 */
import OpenAI from "openai";
import { createLoadBalancer } from "openai-priority-loadbalancer";
import { azure, azureV1 } from "openai-priority-loadbalancer/providers";

// The keys come from the environment. In Deno: Deno.env.get("AZURE_OPENAI_PTU_KEY");
// in Bun: Bun.env.AZURE_OPENAI_PTU_KEY (both also offer process.env).
function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set ${name} (see the comment at the top of this example).`);
  return value;
}

const lb = createLoadBalancer({
  backends: [
    azure({
      name: "ptu",
      url: env("AZURE_OPENAI_PTU_ENDPOINT"),
      priority: 1,
      apiKey: env("AZURE_OPENAI_PTU_KEY"),
      models: { "gpt-4o": env("AZURE_OPENAI_PTU_DEPLOYMENT") },
    }),
    azure({
      name: "paygo",
      url: env("AZURE_OPENAI_PAYGO_ENDPOINT"),
      priority: 2,
      apiKey: env("AZURE_OPENAI_PAYGO_KEY"),
      models: { "gpt-4o": env("AZURE_OPENAI_PAYGO_DEPLOYMENT") },
    }),
    azureV1({
      name: "westus",
      url: env("AZURE_OPENAI_WESTUS_ENDPOINT"),
      priority: 3,
      apiKey: env("AZURE_OPENAI_WESTUS_KEY"),
      models: { "gpt-4o": env("AZURE_OPENAI_WESTUS_DEPLOYMENT") },
    }),
  ],
  logger: console,
});

// The client's key is a placeholder: it is removed before any request leaves (the SDK insists on one).
const client = new OpenAI({ apiKey: "unused-see-backends", fetch: lb.fetch });

const completion = await client.chat.completions.create({
  model: "gpt-4o",
  messages: [{ role: "user", content: "Why should every backend have its own key?" }],
});
console.log(completion.choices[0]?.message.content);
