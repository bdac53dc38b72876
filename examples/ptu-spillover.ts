/**
 * PTU first, pay-as-you-go spill-over.
 *
 * One Provisioned Throughput (PTU) deployment takes every request it can; when it answers 429 the
 * same request goes at once to one of two pay-as-you-go deployments, and the PTU rests for as long
 * as its `retry-after` says. All three serve the same deployment name.
 *
 * Environment:
 *   AZURE_OPENAI_PTU_ENDPOINT      https://my-ptu.openai.azure.com
 *   AZURE_OPENAI_PTU_KEY           the PTU resource's key
 *   AZURE_OPENAI_PAYGO1_ENDPOINT   https://my-paygo-eastus2.openai.azure.com
 *   AZURE_OPENAI_PAYGO1_KEY
 *   AZURE_OPENAI_PAYGO2_ENDPOINT   https://my-paygo-swedencentral.openai.azure.com
 *   AZURE_OPENAI_PAYGO2_KEY
 *   AZURE_OPENAI_DEPLOYMENT        the deployment name, the same on all three (e.g. gpt-4o)
 *   AZURE_OPENAI_API_VERSION       optional, default 2024-10-21
 *
 * Run (Node >= 22.18 runs TypeScript directly):
 *   npm run build && node examples/ptu-spillover.ts
 */
import { AzureOpenAI } from "openai";
import { createLoadBalancer } from "openai-priority-loadbalancer";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set ${name} (see the comment at the top of this example).`);
  return value;
}

const lb = createLoadBalancer({
  backends: [
    // No `headers`: the PTU gets the client's own api-key (below).
    { name: "ptu", url: env("AZURE_OPENAI_PTU_ENDPOINT"), priority: 1 },
    // Other resources, other keys: each backend's `headers` replace the client's and reach that backend only.
    {
      name: "paygo-1",
      url: env("AZURE_OPENAI_PAYGO1_ENDPOINT"),
      priority: 2,
      headers: { "api-key": env("AZURE_OPENAI_PAYGO1_KEY") },
    },
    {
      name: "paygo-2",
      url: env("AZURE_OPENAI_PAYGO2_ENDPOINT"),
      priority: 2,
      headers: { "api-key": env("AZURE_OPENAI_PAYGO2_KEY") },
    },
  ],
  logger: console, // one line per attempt, throttle and recovery
});

lb.on("response", (event) => {
  console.log(
    `request ${event.requestId}: served by ${event.backend.name} (priority ${event.backend.priority}), attempt ${event.attempt}`,
  );
});

// The usual client with one more option. Its endpoint only supplies the request's path: the
// balancer sends each request to the chosen backend's URL.
const client = new AzureOpenAI({
  endpoint: env("AZURE_OPENAI_PTU_ENDPOINT"),
  apiKey: env("AZURE_OPENAI_PTU_KEY"),
  apiVersion: process.env.AZURE_OPENAI_API_VERSION ?? "2024-10-21",
  fetch: lb.fetch,
});

for (const question of ["What is a PTU?", "Name a colour.", "Say hello."]) {
  const completion = await client.chat.completions.create({
    model: env("AZURE_OPENAI_DEPLOYMENT"), // with Azure, the deployment name
    messages: [{ role: "user", content: question }],
    max_tokens: 60,
  });
  console.log(`${question} → ${completion.choices[0]?.message.content}`);
}
