import OpenAI, { AzureOpenAI } from "openai";
import { describe, expect, it } from "vitest";
import { createLoadBalancer, type LoadBalancerEvent } from "../../src/index.js";
import { HttpResponse } from "msw";
import { backend, useMsw } from "../support/msw.js";

const server = useMsw();
const encoder = new TextEncoder();

/** A simulated OpenAI-style backend that serves `capacity` requests, then answers 429 with retry-after-ms. */
function simulated(origin: string, name: string, capacity = Infinity, retryAfterMs = 60_000) {
  let served = 0;
  return backend(origin, async ({ request }) => {
    if (served >= capacity) {
      return HttpResponse.json(
        { error: { code: "429", message: "Rate limit is exceeded." } },
        { status: 429, headers: { "retry-after-ms": String(retryAfterMs) } },
      );
    }
    served++;
    const path = new URL(request.url).pathname;
    const body = (await request.json()) as { stream?: boolean; model?: string };
    if (path.endsWith("/embeddings")) {
      return HttpResponse.json({
        object: "list",
        data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2] }],
        model: name,
        usage: { prompt_tokens: 1, total_tokens: 1 },
      });
    }
    const chunk = (content: string) => ({
      id: "c1",
      object: "chat.completion.chunk",
      created: 1,
      model: name,
      choices: [{ index: 0, delta: { content }, finish_reason: null }],
    });
    if (body.stream) {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const part of [`from `, name])
            controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk(part))}\n\n`));
          controller.enqueue(encoder.encode("data: [DONE]\n\n"));
          controller.close();
        },
      });
      return new HttpResponse(stream, { headers: { "content-type": "text/event-stream" } });
    }
    return HttpResponse.json({
      id: "c1",
      object: "chat.completion",
      created: 1,
      model: name,
      choices: [{ index: 0, message: { role: "assistant", content: `from ${name}` }, finish_reason: "stop" }],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    });
  });
}

const messages = [{ role: "user" as const, content: "hi" }];

describe("with the openai package", () => {
  it("AzureOpenAI: chat, streamed chat and embeddings keep succeeding while the PTU throttles mid-run", async () => {
    const ptu = simulated("https://oai-eastus.openai.azure.com", "ptu", 2);
    const paygo = simulated("https://oai-eastus2.openai.azure.com", "paygo");
    server.use(ptu.handler, paygo.handler);
    const lb = createLoadBalancer({
      backends: [
        { url: "https://oai-eastus.openai.azure.com", priority: 1 },
        { url: "https://oai-eastus2.openai.azure.com", priority: 2, headers: { "api-key": "PAYGO-KEY" } },
      ],
    });
    const throttles: LoadBalancerEvent[] = [];
    lb.on("cooldown", (event) => throttles.push(event));
    const client = new AzureOpenAI({
      endpoint: "https://oai-eastus.openai.azure.com",
      apiKey: "PTU-KEY",
      apiVersion: "2024-10-21",
      fetch: lb.fetch,
    });

    const contents: string[] = [];
    for (let i = 0; i < 4; i++) {
      const completion = await client.chat.completions.create({ model: "gpt-4o", messages });
      contents.push(completion.choices[0]!.message.content!);
    }
    expect(contents).toEqual(["from ptu", "from ptu", "from paygo", "from paygo"]);

    const stream = await client.chat.completions.create({ model: "gpt-4o", messages, stream: true });
    let streamed = "";
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? "";
    expect(streamed).toBe("from paygo");

    const embedding = await client.embeddings.create({ model: "text-embedding-3-small", input: "hello" });
    expect(embedding.data[0]!.embedding).toEqual([0.1, 0.2]);

    // The PTU's chat deployment cools down once and is left alone afterwards; its embeddings deployment has
    // state of its own (Azure quotas are per deployment), so it is tried, and cools on its own 429.
    expect(throttles.map((event) => ("deployment" in event ? event.deployment : undefined))).toEqual([
      "gpt-4o",
      "text-embedding-3-small",
    ]);
    expect(ptu.hits).toHaveLength(4);
    expect(ptu.hits.every((hit) => hit.headers["api-key"] === "PTU-KEY")).toBe(true);
    expect(paygo.hits.map((hit) => new URL(hit.url).pathname)).toEqual([
      "/openai/deployments/gpt-4o/chat/completions",
      "/openai/deployments/gpt-4o/chat/completions",
      "/openai/deployments/gpt-4o/chat/completions",
      "/openai/deployments/text-embedding-3-small/embeddings",
    ]);
    expect(
      paygo.hits.every((hit) => hit.headers["api-key"] === "PAYGO-KEY" && hit.url.endsWith("?api-version=2024-10-21")),
    ).toBe(true);
  });

  it("OpenAI: standard client vs load-balanced client against OpenAI-compatible backends", async () => {
    const first = simulated("https://llm-a.example.com", "a", 1);
    const second = simulated("https://llm-b.example.com", "b");
    server.use(first.handler, second.handler);
    const lb = createLoadBalancer({
      backends: [
        { url: "https://llm-a.example.com", priority: 1 },
        { url: "https://llm-b.example.com", priority: 2 },
      ],
    });
    const standard = new OpenAI({ baseURL: "https://llm-a.example.com/v1", apiKey: "sk-test", maxRetries: 0 });
    const balanced = new OpenAI({
      baseURL: "https://llm-a.example.com/v1",
      apiKey: "sk-test",
      maxRetries: 0,
      fetch: lb.fetch,
    });

    expect((await standard.chat.completions.create({ model: "gpt-4o", messages })).choices[0]!.message.content).toBe(
      "from a",
    );
    // The standard client now fails: its only backend throttles.
    await expect(standard.chat.completions.create({ model: "gpt-4o", messages })).rejects.toMatchObject({
      status: 429,
    });
    // The balanced client carries on with the next tier.
    expect((await balanced.chat.completions.create({ model: "gpt-4o", messages })).choices[0]!.message.content).toBe(
      "from b",
    );
    const stream = await balanced.chat.completions.create({ model: "gpt-4o", messages, stream: true });
    let streamed = "";
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? "";
    expect(streamed).toBe("from b");
    expect(second.hits.map((hit) => hit.url)).toEqual([
      "https://llm-b.example.com/v1/chat/completions",
      "https://llm-b.example.com/v1/chat/completions",
    ]);
    expect(second.hits[0]!.headers.authorization).toBe("Bearer sk-test");
  });

  it("when every backend is cooling, the SDK waits out the synthetic 429's retry-after-ms and then succeeds", async () => {
    let throttled = true;
    const only = backend("https://llm-a.example.com", () =>
      throttled
        ? new HttpResponse(null, { status: 429, headers: { "retry-after-ms": "150" } })
        : HttpResponse.json({
            id: "c",
            object: "chat.completion",
            created: 1,
            model: "m",
            choices: [{ index: 0, message: { role: "assistant", content: "done" }, finish_reason: "stop" }],
          }),
    );
    server.use(only.handler);
    const lb = createLoadBalancer({ backends: [{ url: "https://llm-a.example.com" }] });
    const exhausted: number[] = [];
    lb.on("exhausted", (event) => exhausted.push(event.retryAfterMs));
    lb.on("cooldown", () => {
      throttled = false;
    });
    const client = new OpenAI({ baseURL: "https://llm-a.example.com/v1", apiKey: "sk", fetch: lb.fetch });
    const completion = await client.chat.completions.create({ model: "m", messages });
    expect(completion.choices[0]!.message.content).toBe("done");
    // The time left of the 150 ms cooldown, as the real clock moved on between the 429 and the answer.
    expect(exhausted).toHaveLength(1);
    expect(exhausted[0]).toBeGreaterThan(100);
    expect(exhausted[0]).toBeLessThanOrEqual(150);
    expect(only.hits).toHaveLength(2);
  });
});
