/** A chat completion in OpenAI's shape, answering `content`. */
export const chatCompletion = (model: string, content: string) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1_735_689_600,
  model,
  choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop", logprobs: null }],
  usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
});

/** The chunks of a streamed chat completion answering `parts` in order, with a final usage chunk. */
export const chatChunks = (model: string, parts: readonly string[]) => [
  ...parts.map((content, index) => ({
    id: "chatcmpl-2",
    object: "chat.completion.chunk",
    created: 1_735_689_600,
    model,
    choices: [{ index: 0, delta: index === 0 ? { role: "assistant", content } : { content }, finish_reason: null }],
  })),
  {
    id: "chatcmpl-2",
    object: "chat.completion.chunk",
    created: 1_735_689_600,
    model,
    choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
  },
  {
    id: "chatcmpl-2",
    object: "chat.completion.chunk",
    created: 1_735_689_600,
    model,
    choices: [],
    usage: { prompt_tokens: 5, completion_tokens: parts.length, total_tokens: 5 + parts.length },
  },
];

/** Bytes of a fake WAV file, large enough (256 KiB) that a truncated replay could not go unnoticed. */
export function audioBytes(): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(256 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
  bytes.set(new TextEncoder().encode("RIFF"), 0);
  return bytes;
}
