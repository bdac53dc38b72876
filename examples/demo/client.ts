import { signal } from "@preact/signals";
import { AzureOpenAI, APIError } from "openai";
import type { FetchFunction } from "../../src/index.js";

/** What the page's requests got back, as the application sees it. */
export const results = {
  ok: signal(0),
  rateLimited: signal(0),
  failed: signal(0),
  last: signal("No request sent yet."),
  streamed: signal(""),
  streaming: signal(false),
};

const MESSAGES = [{ role: "user" as const, content: "Why put a PTU deployment first?" }];

/**
 * Azure OpenAI's SDK over the balancer. `maxRetries: 0` so that what the dashboard shows is the
 * balancer's doing alone; in an application keep the SDK's retries: they honour the synthetic
 * 429's `retry-after-ms`.
 */
export function createClient(fetch: FetchFunction): AzureOpenAI {
  return new AzureOpenAI({
    endpoint: "https://ptu-swedencentral.openai.azure.com",
    apiKey: "demo",
    apiVersion: "2024-10-21",
    deployment: "gpt-4o-mini",
    fetch,
    maxRetries: 0,
    dangerouslyAllowBrowser: true,
  });
}

function record(error: unknown): void {
  if (error instanceof APIError && error.status === 429) {
    results.rateLimited.value++;
    results.last.value = `429: ${error.message}`;
  } else {
    results.failed.value++;
    results.last.value = `Failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** One chat completion. */
export async function sendOne(client: AzureOpenAI): Promise<void> {
  try {
    const completion = await client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES });
    results.ok.value++;
    results.last.value = `200: ${completion.choices[0]?.message.content?.slice(0, 80) ?? ""}…`;
  } catch (error) {
    record(error);
  }
}

/** `count` chat completions at once. */
export async function sendBurst(client: AzureOpenAI, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, () => sendOne(client)));
}

/** A streamed chat completion; its text appears in `results.streamed` as it arrives. */
export async function sendStreamed(client: AzureOpenAI): Promise<void> {
  results.streamed.value = "";
  results.streaming.value = true;
  try {
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES, stream: true });
    for await (const chunk of stream) results.streamed.value += chunk.choices[0]?.delta.content ?? "";
    results.ok.value++;
    results.last.value = "200: streamed completion finished.";
  } catch (error) {
    record(error);
  } finally {
    results.streaming.value = false;
  }
}

/** Sends `rate()` requests per second until the returned function is called. */
export function startSteadyLoad(client: AzureOpenAI, rate: () => number): () => void {
  let timer: ReturnType<typeof setTimeout>;
  const next = (): void => {
    void sendOne(client);
    timer = setTimeout(next, 1000 / rate());
  };
  timer = setTimeout(next, 0);
  return () => clearTimeout(timer);
}
