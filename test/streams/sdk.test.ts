import { createOpenAI } from "@ai-sdk/openai";
import { streamText } from "ai";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import type { LoadBalancerEvent, LoadBalancerOptions } from "../../src/index.js";
import { createLoadBalancer } from "../../src/index.js";
import { chatStream, chunk, DONE, data, ROLE, STOP, scriptedServer, sse } from "./server.js";

const server = scriptedServer();

async function balancer(options: Partial<LoadBalancerOptions> = {}) {
  const url = await server.url();
  const events: LoadBalancerEvent[] = [];
  const lb = createLoadBalancer({
    backends: [
      { url: `${url}/a`, name: "a", priority: 1 },
      { url: `${url}/b`, name: "b", priority: 2 },
    ],
    ...options,
  });
  lb.on("stream", (event) => events.push(event));
  lb.on("cooldown", (event) => events.push(event));
  const openai = new OpenAI({ baseURL: "https://api.example.com/v1", apiKey: "KEY", fetch: lb.fetch, maxRetries: 0 });
  const vercel = createOpenAI({ baseURL: "https://api.example.com/v1", apiKey: "KEY", fetch: lb.fetch });
  return { lb, openai, vercel, events };
}

async function chatText(openai: OpenAI): Promise<string> {
  const stream = await openai.chat.completions.create({
    model: "m",
    messages: [{ role: "user", content: "hi" }],
    stream: true,
  });
  let text = "";
  for await (const part of stream) text += part.choices[0]?.delta?.content ?? "";
  return text;
}

const responses = (...deltas: string[]): string[] => [
  data({ type: "response.created", sequence_number: 0, response: { id: "r", status: "in_progress", output: [] } }),
  ...deltas.map((delta, index) =>
    data({
      type: "response.output_text.delta",
      sequence_number: index + 1,
      item_id: "i",
      output_index: 0,
      content_index: 0,
      delta,
    }),
  ),
  data({ type: "response.completed", sequence_number: 99, response: { id: "r", status: "completed", output: [] } }),
];

describe("through the openai SDK", () => {
  it("chat streaming: an in-band error before content fails over and the SDK reads b's answer", async () => {
    server.serve({
      a: sse(ROLE, data({ error: { code: "server_error", message: "x" } }), "end"),
      b: sse(...chatStream("Hel", "lo"), "end"),
    });
    const { openai, events } = await balancer();
    expect(await chatText(openai)).toBe("Hello");
    expect(events).toMatchObject([
      { type: "stream", kind: "failover" },
      { type: "cooldown", reason: "stream" },
    ]);
  });

  it("responses streaming: response.failed after response.created fails over; the SDK reads b's events", async () => {
    server.serve({
      a: sse(
        responses()[0]!,
        data({ type: "response.failed", response: { id: "r", status: "failed", error: { code: "server_error" } } }),
        "end",
      ),
      b: sse(...responses("Hi", " there"), "end"),
    });
    const { openai } = await balancer();
    const stream = await openai.responses.create({ model: "m", input: "hi", stream: true });
    let text = "";
    for await (const event of stream) if (event.type === "response.output_text.delta") text += event.delta;
    expect(text).toBe("Hi there");
  });

  it("a malformed event mid-stream no longer makes the SDK throw: it is dropped", async () => {
    server.serve({
      a: sse(ROLE, chunk({ content: "A" }), "data: {oops\n\n", chunk({ content: "B" }), STOP, DONE, "end"),
    });
    const { openai, events } = await balancer();
    expect(await chatText(openai)).toBe("AB");
    expect(events).toMatchObject([{ type: "stream", kind: "dropped" }]);
  });

  it("a stall after content raises in the SDK's iteration instead of hanging", async () => {
    server.serve({ a: sse(ROLE, chunk({ content: "A" })) });
    const { openai } = await balancer({ streamIdleTimeoutMs: 50 });
    await expect(chatText(openai)).rejects.toThrow(/stream idle for 50 ms/);
  });

  it("a stream cut short without a finish_reason raises in the SDK instead of looking complete", async () => {
    server.serve({ a: sse(ROLE, chunk({ content: "A" }), "end") });
    const { openai } = await balancer();
    await expect(chatText(openai)).rejects.toThrow(/ended before its last event/);
  });
});

describe("through the Vercel AI SDK's streamText", () => {
  it("a stream with no content fails over; streamText gets b's text and usage", async () => {
    server.serve({ a: sse(ROLE, DONE, "end"), b: sse(...chatStream("Hel", "lo"), "end") });
    const { vercel } = await balancer();
    const result = streamText({ model: vercel.chat("m"), prompt: "hi", maxRetries: 0 });
    expect(await result.text).toBe("Hello");
    expect((await result.usage).totalTokens).toBe(3);
  });

  it("a truncated stream raises in streamText instead of finishing", async () => {
    server.serve({ a: sse(ROLE, chunk({ content: "A" }), "end") });
    const { vercel } = await balancer();
    const errors: unknown[] = [];
    const result = streamText({
      model: vercel.chat("m"),
      prompt: "hi",
      maxRetries: 0,
      onError: ({ error }) => void errors.push(error),
    });
    const types: string[] = [];
    try {
      for await (const part of result.fullStream) {
        types.push(part.type);
        if (part.type === "error") errors.push(part.error);
      }
    } catch (error) {
      errors.push(error);
    }
    expect(types).not.toContain("finish");
    const causes = errors.map((error) => `${error} ${(error as { cause?: unknown }).cause}`);
    expect(causes.join(" ")).toMatch(/ended before its last event/);
  });
});
