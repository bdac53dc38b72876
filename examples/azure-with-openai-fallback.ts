/**
 * Azure OpenAI first, api.openai.com as the fallback.
 *
 * The code speaks OpenAI (model "gpt-4o"). The Azure backend translates each request into its
 * deployment URL with its own `api-key`; when Azure answers 429 or 5xx, the same request goes to
 * api.openai.com with its own `Authorization: Bearer`. Neither key ever reaches the other provider.
 *
 * Environment:
 *   AZURE_OPENAI_ENDPOINT     https://my-resource.openai.azure.com
 *   AZURE_OPENAI_API_KEY
 *   AZURE_OPENAI_DEPLOYMENT   the Azure deployment serving gpt-4o (e.g. gpt4o-eastus)
 *   OPENAI_API_KEY            sk-...
 *   OPENAI_BASE_URL           optional, default https://api.openai.com/v1
 *
 * Run (Node >= 22.18 runs TypeScript directly):
 *   npm run build && node examples/azure-with-openai-fallback.ts
 */
import OpenAI from "openai";
import { createLoadBalancer } from "openai-priority-loadbalancer";
import { azure, openai } from "openai-priority-loadbalancer/providers";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set ${name} (see the comment at the top of this example).`);
  return value;
}

const lb = createLoadBalancer({
  backends: [
    azure({
      name: "azure",
      url: env("AZURE_OPENAI_ENDPOINT"),
      priority: 1,
      apiKey: env("AZURE_OPENAI_API_KEY"),
      models: { "gpt-4o": env("AZURE_OPENAI_DEPLOYMENT") }, // OpenAI's model name → your deployment
    }),
    openai({
      name: "openai",
      url: process.env.OPENAI_BASE_URL ?? "https://api.openai.com/v1",
      priority: 2,
      apiKey: env("OPENAI_API_KEY"),
    }),
  ],
});

lb.on("cooldown", (event) => console.log(`[${event.backend.name}: ${event.status ?? event.reason}, failing over]`));
lb.on("response", (event) => console.log(`[served by ${event.backend.name}]`));

// Every backend brings its own credentials and the client's are removed before a request leaves,
// so the client's apiKey is a placeholder (the SDK insists on one).
const client = new OpenAI({ apiKey: "unused-see-backends", fetch: lb.fetch });

const completion = await client.chat.completions.create({
  model: "gpt-4o",
  messages: [{ role: "user", content: "In one sentence: why have a fallback provider?" }],
});
console.log(completion.choices[0]?.message.content);
