import type { SseBlock } from "./sse.ts";

/**
 * What one server-sent event of an OpenAI-style stream means for the guard:
 * - `keep-alive`: no `data:` (a comment);
 * - `preamble`: sent before any output (a role-only delta, a chunk with no choices, `response.created`,
 *   `response.in_progress`, `response.queued`);
 * - `content`: output, or anything the guard does not know (never held back on a guess);
 * - `error`: an in-band error (`event: error`, a `data:` with `error`, `type` `error`, `response.failed`,
 *   `response.incomplete`);
 * - `malformed`: a `data:` that is not JSON (nor `[DONE]`).
 * `terminal` marks the events after which a stream is complete: `[DONE]`, a `finish_reason`,
 * `response.completed` and the in-band errors (the client raises those itself).
 */
export interface StreamEventKind {
  readonly kind: "keep-alive" | "preamble" | "content" | "error" | "malformed";
  readonly terminal: boolean;
  /** An error's code or type, when it names one. */
  readonly code?: string;
}

const KEEP_ALIVE: StreamEventKind = { kind: "keep-alive", terminal: false };
const PREAMBLE: StreamEventKind = { kind: "preamble", terminal: false };
const CONTENT: StreamEventKind = { kind: "content", terminal: false };
const FINAL: StreamEventKind = { kind: "content", terminal: true };
const DONE: StreamEventKind = { kind: "preamble", terminal: true };
const MALFORMED: StreamEventKind = { kind: "malformed", terminal: false };

/**
 * Text that every terminal event holds (`[DONE]`, a `finish_reason` that is not null, the end or failure
 * of a response, an error). After the first content the guard only needs to know whether a terminal
 * event came: an event without a match is not parsed. A match is a candidate, {@link classify} decides.
 */
export const MAY_END: RegExp = /\[DONE\]|finish_reason"\s*:\s*[^n\s]|response\.(?:completed|failed|incomplete)|error/;

const RESPONSE_PREAMBLE = new Set(["response.created", "response.in_progress", "response.queued"]);
const RESPONSE_ERRORS = new Set(["error", "response.failed", "response.incomplete"]);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null;
const text = (value: unknown): string | undefined =>
  typeof value === "string" || typeof value === "number" ? String(value) : undefined;

/** The code an error object names: `code`, else `type`. */
function codeOf(error: unknown): string | undefined {
  return isObject(error) ? (text(error.code) ?? text(error.type)) : undefined;
}

function inBandError(data: Json): StreamEventKind {
  const response = isObject(data.response) ? data.response : undefined;
  const incomplete = isObject(response?.incomplete_details) ? response.incomplete_details.reason : undefined;
  const code = codeOf(data.error) ?? codeOf(response?.error) ?? text(data.code) ?? text(incomplete);
  return { kind: "error", terminal: true, code };
}

/** Whether a chat or completions chunk carries output: any delta field but `role`, a `text`, a `finish_reason`. */
function chatChunk(choices: readonly unknown[]): StreamEventKind {
  let content = false;
  for (const choice of choices) {
    if (!isObject(choice)) continue;
    if (choice.finish_reason != null) return FINAL;
    if (typeof choice.text === "string" && choice.text !== "") content = true;
    const delta = choice.delta;
    if (!isObject(delta)) continue;
    for (const key in delta) {
      const value = delta[key];
      if (key !== "role" && value != null && value !== "" && !(Array.isArray(value) && value.length === 0)) {
        content = true;
      }
    }
  }
  return content ? CONTENT : PREAMBLE;
}

/** Classifies one block of an OpenAI-style event stream (Chat Completions, Completions, Responses). */
export function classify(block: SseBlock): StreamEventKind {
  const { data } = block;
  if (data === undefined) return KEEP_ALIVE;
  if (data === "[DONE]") return DONE;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return block.event === "error" ? { kind: "error", terminal: true } : MALFORMED;
  }
  if (!isObject(parsed)) return block.event === "error" ? { kind: "error", terminal: true } : CONTENT;
  if (block.event === "error" || parsed.error != null) return inBandError(parsed);
  const { type } = parsed;
  if (typeof type === "string") {
    if (RESPONSE_PREAMBLE.has(type)) return PREAMBLE;
    if (RESPONSE_ERRORS.has(type)) return inBandError(parsed);
    if (type === "response.completed") return FINAL;
  }
  if (Array.isArray(parsed.choices)) return chatChunk(parsed.choices);
  return CONTENT;
}

/**
 * Classifies a block after the first content: only whether it ends the stream matters, and, when
 * `strict` (malformed events are dropped), whether its `data:` is JSON; plain content is not classified.
 */
export function classifyLater(block: SseBlock, strict: boolean): StreamEventKind {
  const { data } = block;
  if (data === undefined) return KEEP_ALIVE;
  if (block.event === "error" || MAY_END.test(data)) return classify(block);
  if (strict) {
    try {
      JSON.parse(data);
    } catch {
      return MALFORMED;
    }
  }
  return CONTENT;
}
