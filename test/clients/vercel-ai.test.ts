import { createAzure } from "@ai-sdk/azure";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, streamText } from "ai";
import { describe, expect, it } from "vitest";
import { createLoadBalancer } from "../../src/index.js";
import { HttpResponse } from "msw";
import { type Answer, heldEventStream, json, onlyPost, throttled } from "../support/backends.js";
import { backend, useMsw as useBackends } from "../support/msw.js";
import { chatChunks, chatCompletion } from "../support/payloads.js";

const server = useBackends();

/** Tier 1 throttles every request; tier 2 answers with `answer`. */
function twoTiers(tier1: string, tier2: string, answer: Answer, tier2Headers?: Record<string, string>) {
  const first = backend(
    tier1,
    onlyPost(() => throttled(30_000)),
  );
  const second = backend(tier2, onlyPost(answer));
  server.use(first.handler, second.handler);
  const lb = createLoadBalancer({
    backends: [
      { url: tier1, priority: 1 },
      { url: tier2, priority: 2, headers: tier2Headers },
    ],
  });
  const throttles: string[] = [];
  lb.on("cooldown", (event) => throttles.push(`${event.backend.name} ${event.reason} ${event.cooldownMs}`));
  return { first, second, lb, throttles };
}

describe("the Vercel AI SDK with fetch: lb.fetch", () => {
  it("createOpenAI + generateText: tier 1 throttles, tier 2 answers the same request", async () => {
    const { first, second, lb, throttles } = twoTiers("https://tier1.example.com", "https://tier2.example.com", () =>
      HttpResponse.json(chatCompletion("gpt-4o-mini", "from tier 2")),
    );
    const openai = createOpenAI({ baseURL: "https://api.openai.com/v1", apiKey: "KEY", fetch: lb.fetch });
    const result = await generateText({ model: openai.chat("gpt-4o-mini"), prompt: "Say hi", maxRetries: 0 });

    expect(result.text).toBe("from tier 2");
    expect(throttles).toEqual(["tier1.example.com rate-limit 30000"]);
    expect(first.posts().map((hit) => hit.url)).toEqual(["https://tier1.example.com/v1/chat/completions"]);
    expect(second.posts().map((hit) => hit.url)).toEqual(["https://tier2.example.com/v1/chat/completions"]);
    for (const hit of [...first.posts(), ...second.posts()]) {
      expect(hit.headers.authorization).toBe("Bearer KEY");
      expect(json(hit)).toMatchObject({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hi" }] });
    }
  });

  it("createOpenAI + streamText: text arrives from tier 2 while it is still streaming", async () => {
    const stream = heldEventStream(chatChunks("gpt-4o-mini", ["Hel", "lo"]));
    const { first, second, lb } = twoTiers("https://tier1.example.com", "https://tier2.example.com", stream.response);
    const openai = createOpenAI({ baseURL: "https://api.openai.com/v1", apiKey: "KEY", fetch: lb.fetch });
    const result = streamText({ model: openai.chat("gpt-4o-mini"), prompt: "Say hello", maxRetries: 0 });

    const parts = result.textStream[Symbol.asyncIterator]();
    expect((await parts.next()).value).toBe("Hel");
    expect(stream.isFinished()).toBe(false);
    stream.release();
    let rest = "";
    for (let part = await parts.next(); !part.done; part = await parts.next()) rest += part.value;
    expect(rest).toBe("lo");
    expect(stream.isFinished()).toBe(true);
    expect((await result.usage).outputTokens).toBe(2);
    expect(first.posts()).toHaveLength(1);
    expect(json(second.posts()[0])).toMatchObject({ model: "gpt-4o-mini", stream: true });
  });

  it("createAzure + generateText (v1 URLs): the PTU throttles, PAYG answers with its own api-key", async () => {
    const { first, second, lb, throttles } = twoTiers(
      "https://ptu-eastus.openai.azure.com",
      "https://paygo-westus.openai.azure.com",
      () => HttpResponse.json(chatCompletion("gpt-4o", "from paygo")),
      { "api-key": "PAYGO-KEY" },
    );
    const azure = createAzure({ resourceName: "ptu-eastus", apiKey: "PTU-KEY", fetch: lb.fetch });
    const result = await generateText({ model: azure.chat("gpt-4o"), prompt: "Say hi", maxRetries: 0 });

    expect(result.text).toBe("from paygo");
    expect(throttles).toEqual(["ptu-eastus.openai.azure.com rate-limit 30000"]);
    const path = "/openai/v1/chat/completions?api-version=v1";
    expect(first.posts().map((hit) => hit.url)).toEqual([`https://ptu-eastus.openai.azure.com${path}`]);
    expect(second.posts().map((hit) => hit.url)).toEqual([`https://paygo-westus.openai.azure.com${path}`]);
    expect(first.posts()[0]?.headers["api-key"]).toBe("PTU-KEY");
    expect(second.posts()[0]?.headers["api-key"]).toBe("PAYGO-KEY");
    expect(json(second.posts()[0])).toMatchObject({ model: "gpt-4o", messages: [{ role: "user", content: "Say hi" }] });
  });

  it("createAzure + streamText (deployment URLs): streamed from PAYG after the PTU throttles", async () => {
    const stream = heldEventStream(chatChunks("gpt-4o", ["Bon", "jour"]));
    const { first, second, lb } = twoTiers(
      "https://ptu-eastus.openai.azure.com",
      "https://paygo-westus.openai.azure.com",
      stream.response,
      {
        "api-key": "PAYGO-KEY",
      },
    );
    const azure = createAzure({
      resourceName: "ptu-eastus",
      apiKey: "PTU-KEY",
      apiVersion: "2024-10-21",
      useDeploymentBasedUrls: true,
      fetch: lb.fetch,
    });
    const result = streamText({ model: azure.chat("gpt-4o"), prompt: "Say hello", maxRetries: 0 });

    const parts = result.textStream[Symbol.asyncIterator]();
    expect((await parts.next()).value).toBe("Bon");
    expect(stream.isFinished()).toBe(false);
    stream.release();
    let text = "Bon";
    for (let part = await parts.next(); !part.done; part = await parts.next()) text += part.value;
    expect(text).toBe("Bonjour");
    const path = "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21";
    expect(first.posts().map((hit) => hit.url)).toEqual([`https://ptu-eastus.openai.azure.com${path}`]);
    expect(second.posts().map((hit) => hit.url)).toEqual([`https://paygo-westus.openai.azure.com${path}`]);
    expect(second.posts()[0]?.headers["api-key"]).toBe("PAYGO-KEY");
  });
});
