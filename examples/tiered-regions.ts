/**
 * Tiered regions: a PTU in eastus, pay-as-you-go in eastus2 and swedencentral, westus as the last resort.
 *
 * A request goes to the lowest tier with a backend in rotation: priority 2 serves only while the
 * PTU cools down after a 429, priority 3 only while all of tiers 1 and 2 do. The answer is streamed
 * as it arrives, then `lb.snapshot()` shows where every backend stands.
 *
 * Environment (the same deployment name in every region):
 *   AZURE_OPENAI_EASTUS_ENDPOINT          https://my-eastus.openai.azure.com (the PTU)
 *   AZURE_OPENAI_EASTUS_KEY
 *   AZURE_OPENAI_EASTUS2_ENDPOINT         https://my-eastus2.openai.azure.com
 *   AZURE_OPENAI_EASTUS2_KEY
 *   AZURE_OPENAI_SWEDENCENTRAL_ENDPOINT   https://my-swedencentral.openai.azure.com
 *   AZURE_OPENAI_SWEDENCENTRAL_KEY
 *   AZURE_OPENAI_WESTUS_ENDPOINT          https://my-westus.openai.azure.com
 *   AZURE_OPENAI_WESTUS_KEY
 *   AZURE_OPENAI_DEPLOYMENT               e.g. gpt-4o
 *   AZURE_OPENAI_API_VERSION              optional, default 2024-10-21
 *
 * Run (Node >= 22.18 runs TypeScript directly):
 *   npm run build && node examples/tiered-regions.ts
 */
import { AzureOpenAI } from "openai";
import { createLoadBalancer } from "openai-priority-loadbalancer";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set ${name} (see the comment at the top of this example).`);
  return value;
}

/** The backend of one region: its endpoint and key come from AZURE_OPENAI_<NAME>_ENDPOINT and _KEY; the key reaches it alone. */
const region = (name: string, priority: number) => ({
  name,
  url: env(`AZURE_OPENAI_${name.toUpperCase()}_ENDPOINT`),
  priority,
  headers: { "api-key": env(`AZURE_OPENAI_${name.toUpperCase()}_KEY`) },
});

const lb = createLoadBalancer({
  backends: [region("eastus", 1), region("eastus2", 2), region("swedencentral", 2), region("westus", 3)],
});

lb.on("cooldown", (event) => {
  console.log(
    `[${event.backend.name} answered ${event.status ?? event.reason}: out of rotation for ${event.cooldownMs / 1000} s]`,
  );
});

const client = new AzureOpenAI({
  endpoint: env("AZURE_OPENAI_EASTUS_ENDPOINT"), // supplies only the path; every backend sets its own key
  apiKey: env("AZURE_OPENAI_EASTUS_KEY"),
  apiVersion: process.env.AZURE_OPENAI_API_VERSION ?? "2024-10-21",
  fetch: lb.fetch,
});

// A failover happens before the first byte of the answer: the stream the caller reads comes whole
// from one backend.
const stream = await client.chat.completions.create({
  model: env("AZURE_OPENAI_DEPLOYMENT"),
  messages: [{ role: "user", content: "Write a haiku about failover." }],
  stream: true,
});
for await (const chunk of stream) {
  process.stdout.write(chunk.choices[0]?.delta?.content ?? ""); // Azure may send chunks without choices
}
process.stdout.write("\n\n");

// Rate-limit state is kept per deployment (Azure quotas are): show each backend with this deployment's state.
const rows = lb.snapshot().backends.map(({ deployments, ...backend }) => {
  const own = deployments.find((deployment) => deployment.name === env("AZURE_OPENAI_DEPLOYMENT"));
  return own === undefined ? backend : { ...backend, state: own.state, reason: own.reason };
});
console.table(rows, ["name", "priority", "state", "reason", "requests", "successes", "throttles", "lastStatus"]);
