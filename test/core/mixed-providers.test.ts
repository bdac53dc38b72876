import OpenAI, { AzureOpenAI } from "openai";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLoadBalancer } from "../../src/index.js";
import { azure as azureBackend, openai as openaiBackend } from "../../src/providers/index.js";
import { HttpResponse } from "msw";
import { backend, useMsw } from "../support/msw.js";

const server = useMsw();
const encoder = new TextEncoder();
const messages = [{ role: "user" as const, content: "hi" }];

/** Answers like the service: a completion (or an SSE stream) naming who served it; 429 while `throttled()`. */
function service(origin: string, name: string, throttled: () => boolean) {
  return backend(origin, async ({ request }) => {
    if (throttled())
      return HttpResponse.json({ error: { code: "429" } }, { status: 429, headers: { "retry-after": "1" } });
    const body = (await request.clone().json()) as { stream?: boolean; model?: string };
    if (body.stream) {
      const chunk = (content: string) =>
        `data: ${JSON.stringify({ id: "x", object: "chat.completion.chunk", created: 1, model: body.model ?? name, choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode(chunk(`streamed by ${name}`)));
          controller.enqueue(encoder.encode("data: [DONE]\n\n"));
          controller.close();
        },
      });
      return new HttpResponse(stream, { headers: { "content-type": "text/event-stream" } });
    }
    return HttpResponse.json({
      id: "x",
      object: "chat.completion",
      created: 1,
      model: body.model ?? name,
      choices: [{ index: 0, message: { role: "assistant", content: `served by ${name}` }, finish_reason: "stop" }],
    });
  });
}

beforeEach(() =>
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"], shouldAdvanceTime: true }),
);
afterEach(() => vi.useRealTimers());

describe("Azure and OpenAI side by side", () => {
  it("an OpenAI client fails over from a throttled Azure deployment to api.openai.com, and back once Azure recovers", async () => {
    let azureThrottled = false;
    const azure = service("https://contoso-eastus.openai.azure.com", "azure", () => azureThrottled);
    const openai = service("https://api.openai.com", "openai", () => false);
    server.use(azure.handler, openai.handler);
    const lb = createLoadBalancer({
      backends: [
        azureBackend({
          url: "https://contoso-eastus.openai.azure.com",
          priority: 1,
          apiKey: "AZURE-KEY",
          models: { "gpt-4o": "gpt4o-eastus" },
        }),
        openaiBackend({ url: "https://api.openai.com/v1", priority: 2, apiKey: "sk-OPENAI" }),
      ],
    });
    const client = new OpenAI({ apiKey: "caller-key-unused", fetch: lb.fetch, maxRetries: 0 });

    const answer = async () =>
      (await client.chat.completions.create({ model: "gpt-4o", messages })).choices[0]!.message.content;
    expect(await answer()).toBe("served by azure");
    azureThrottled = true;
    expect(await answer()).toBe("served by openai");
    const stream = await client.chat.completions.create({ model: "gpt-4o", messages, stream: true });
    let streamed = "";
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? "";
    expect(streamed).toBe("streamed by openai");
    azureThrottled = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(await answer()).toBe("served by azure");

    const azureHit = azure.hits[0]!;
    expect(azureHit.url).toBe(
      "https://contoso-eastus.openai.azure.com/openai/deployments/gpt4o-eastus/chat/completions?api-version=2024-10-21",
    );
    expect(azureHit.headers["api-key"]).toBe("AZURE-KEY");
    expect(azureHit.headers.authorization).toBeUndefined();
    expect(JSON.parse(azureHit.body)).toEqual({ model: "gpt-4o", messages });
    expect(openai.hits.map((hit) => hit.url)).toEqual([
      "https://api.openai.com/v1/chat/completions",
      "https://api.openai.com/v1/chat/completions",
    ]);
    expect(
      openai.hits.every(
        (hit) => hit.headers.authorization === "Bearer sk-OPENAI" && hit.headers["api-key"] === undefined,
      ),
    ).toBe(true);
    expect(JSON.parse(openai.hits[1]!.body)).toEqual({ model: "gpt-4o", messages, stream: true });
    expect(azure.hits).toHaveLength(3);
  });

  it("an AzureOpenAI client fails over to an OpenAI-shaped backend, streaming included", async () => {
    const azure = service("https://contoso-eastus.openai.azure.com", "azure", () => true);
    const compat = service("https://llm.internal.example.com", "compat", () => false);
    server.use(azure.handler, compat.handler);
    const lb = createLoadBalancer({
      backends: [
        azureBackend({ url: "https://contoso-eastus.openai.azure.com", priority: 1 }),
        openaiBackend({
          url: "https://llm.internal.example.com/v1",
          priority: 2,
          apiKey: "compat-key",
          models: { "gpt-4o": "llama-3.3-70b" },
        }),
      ],
    });
    const client = new AzureOpenAI({
      endpoint: "https://contoso-eastus.openai.azure.com",
      apiKey: "AZURE-CALLER-KEY",
      apiVersion: "2024-10-21",
      fetch: lb.fetch,
      maxRetries: 0,
    });

    const completion = await client.chat.completions.create({ model: "gpt-4o", messages });
    expect(completion.choices[0]!.message.content).toBe("served by compat");
    const stream = await client.chat.completions.create({ model: "gpt-4o", messages, stream: true });
    let streamed = "";
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? "";
    expect(streamed).toBe("streamed by compat");

    expect(azure.hits[0]!.url).toBe(
      "https://contoso-eastus.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
    );
    expect(azure.hits[0]!.headers["api-key"]).toBe("AZURE-CALLER-KEY");
    expect(compat.hits.map((hit) => hit.url)).toEqual([
      "https://llm.internal.example.com/v1/chat/completions",
      "https://llm.internal.example.com/v1/chat/completions",
    ]);
    for (const hit of compat.hits) {
      // The caller's Azure key never reaches the other provider.
      expect(hit.headers["api-key"]).toBeUndefined();
      expect(hit.headers.authorization).toBe("Bearer compat-key");
      expect(JSON.parse(hit.body).model).toBe("llama-3.3-70b");
    }
  });
});
