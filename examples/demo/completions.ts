const ANSWERS = [
  "The PTU deployment answers first; when it returns 429 the balancer sends the same request to a pay-as-you-go deployment at once, and the PTU rests for as long as its retry-after says.",
  "Priority tiers keep the provisioned capacity busy and spill only the overflow to pay-as-you-go, with a far region as the last resort.",
  "Every throttle, recovery and synthetic 429 is an event; the dashboard in the corner draws them as they happen.",
];

/** Some text to answer with, different per request. */
export function answerText(seed: number): string {
  return ANSWERS[seed % ANSWERS.length]!;
}

/** A non-streamed chat completion as Azure OpenAI returns it. */
export function completionBody(model: string, text: string, backend: string): Record<string, unknown> {
  return {
    id: `chatcmpl-${crypto.randomUUID()}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: backend,
    choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: text } }],
    usage: { prompt_tokens: 12, completion_tokens: text.split(" ").length, total_tokens: 12 + text.split(" ").length },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A streamed chat completion: one server-sent event per word, then `[DONE]`. */
export function completionStream(model: string, text: string, delayMs = 45): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const id = `chatcmpl-${crypto.randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const event = (delta: object, finish: string | null): Uint8Array =>
    encoder.encode(
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
    );
  const words = text.split(/(?<= )/);
  return new ReadableStream({
    async start(controller) {
      controller.enqueue(event({ role: "assistant", content: "" }, null));
      for (const word of words) {
        await sleep(delayMs);
        controller.enqueue(event({ content: word }, null));
      }
      controller.enqueue(event({}, "stop"));
      controller.enqueue(encoder.encode("data: [DONE]\n\n"));
      controller.close();
    },
  });
}
