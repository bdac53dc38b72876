/** A chat completion request body as the OpenAI SDK sends it. */
export const CHAT_BODY = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hi" }] });

/** A chat completion response body, small as a short answer is. */
export const CHAT_RESPONSE = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "Hi!" }, finish_reason: "stop", logprobs: null }],
  usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
});

/** The init the OpenAI SDK passes to fetch for a chat completion (a signal included, as it always sends one). */
export function chatInit(signal?: AbortSignal): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", authorization: "Bearer x" },
    body: CHAT_BODY,
    signal: signal ?? new AbortController().signal,
  };
}
