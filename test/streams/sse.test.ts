import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type SseBlock, SseParser } from "../../src/core/sse.js";
import { classify } from "../../src/core/stream-event.js";

const encoder = new TextEncoder();

/** Parses `chunks` one after the other; returns the blocks without their offsets, and the offsets. */
function parse(chunks: readonly Uint8Array[]): { blocks: Omit<SseBlock, "end">[]; ends: number[] } {
  const blocks: Omit<SseBlock, "end">[] = [];
  const ends: number[] = [];
  const parser = new SseParser(({ end, ...block }) => {
    blocks.push(block);
    ends.push(end);
  });
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return { blocks, ends };
}

/** `bytes` cut at the given offsets. */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const cut of at) {
    chunks.push(bytes.slice(start, cut));
    start = cut;
  }
  chunks.push(bytes.slice(start));
  return chunks;
}

describe("the SSE parser", () => {
  it("reads fields, joins data lines, skips comments and ends blocks at blank lines", () => {
    const text = ': keep-alive\n\nevent: error\ndata: {"a":\ndata: 1}\n\nid: 7\nretry: 5\ndata:x\n\n';
    const { blocks, ends } = parse([encoder.encode(text)]);
    expect(blocks).toEqual([
      { event: "", data: undefined },
      { event: "error", data: '{"a":\n1}' },
      { event: "", data: "x" },
    ]);
    expect(ends).toEqual([14, text.indexOf("id:"), text.length]);
  });

  it("accepts CRLF, CR and LF line ends, also when a CRLF is split between chunks", () => {
    const { blocks } = parse([encoder.encode("data: a\r"), encoder.encode("\n\r\ndata: b\r\rdata: c\n\n")]);
    expect(blocks).toEqual([
      { event: "", data: "a" },
      { event: "", data: "b" },
      { event: "", data: "c" },
    ]);
  });

  it("reports a last block without its blank line when the stream ends", () => {
    const { blocks } = parse([encoder.encode('data: {"x":1}\n\ndata: [DONE]')]);
    expect(blocks.map((block) => block.data)).toEqual(['{"x":1}', "[DONE]"]);
  });

  it("keeps a multi-byte character whole when a chunk boundary falls inside it", () => {
    const bytes = encoder.encode("data: héllo → 世界\n\n");
    const { blocks } = parse(split(bytes, [8, 9, 15, 16, 17]));
    expect(blocks).toEqual([{ event: "", data: "héllo → 世界" }]);
  });

  it("yields the same blocks and offsets however the bytes are cut (property)", () => {
    const line = fc.oneof(
      fc.string({ unit: "grapheme" }).map((s) => `data: ${s.replace(/[\r\n]/g, "")}`),
      fc.constantFrom(": ping", "event: error", "data: [DONE]", "", "data:", "id: 1"),
    );
    const newline = fc.constantFrom("\n", "\r\n", "\r");
    const stream = fc
      .array(fc.tuple(line, newline), { maxLength: 30 })
      .map((lines) => encoder.encode(lines.map(([l, nl]) => l + nl).join("")));
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 12 }), (bytes, cuts) => {
        const whole = parse([bytes]);
        const pieces = parse(split(bytes, cuts));
        expect(pieces.blocks).toEqual(whole.blocks);
        // A CRLF cut between its CR and LF may end a block one byte earlier; nothing else moves.
        for (const [index, end] of pieces.ends.entries()) expect(whole.ends[index]! - end).toBeOneOf([0, 1]);
      }),
    );
  });
});

const block = (data: string | undefined, event = ""): SseBlock => ({ event, data, end: 0 });
const chat = (delta: object, finish: string | null = null) =>
  JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] });

describe("the stream-event classifier", () => {
  it("holds the preamble: comments, role-only deltas, chunks without choices, response.created/in_progress", () => {
    expect(classify(block(undefined)).kind).toBe("keep-alive");
    expect(classify(block(chat({ role: "assistant", content: "" }))).kind).toBe("preamble");
    expect(classify(block(chat({ role: "assistant", content: null, tool_calls: [] }))).kind).toBe("preamble");
    expect(classify(block('{"choices":[],"prompt_filter_results":[]}')).kind).toBe("preamble");
    expect(classify(block('{"type":"response.created","response":{}}')).kind).toBe("preamble");
    expect(classify(block('{"type":"response.in_progress","response":{}}')).kind).toBe("preamble");
  });

  it("counts output as content: text, tool calls, refusals, legacy text, any Responses output event", () => {
    expect(classify(block(chat({ content: "Hi" })))).toEqual({ kind: "content", terminal: false });
    expect(classify(block(chat({ tool_calls: [{ index: 0 }] }))).kind).toBe("content");
    expect(classify(block(chat({ refusal: "no" }))).kind).toBe("content");
    expect(classify(block('{"choices":[{"text":"x","finish_reason":null}]}')).kind).toBe("content");
    expect(classify(block('{"type":"response.output_text.delta","delta":"x"}')).kind).toBe("content");
    expect(classify(block('{"type":"message_start"}')).kind).toBe("content"); // unknown: never held
  });

  it("marks terminal events: [DONE], a finish_reason, response.completed", () => {
    expect(classify(block("[DONE]")).terminal).toBe(true);
    expect(classify(block(chat({}, "stop")))).toEqual({ kind: "content", terminal: true });
    expect(classify(block('{"type":"response.completed","response":{}}'))).toEqual({ kind: "content", terminal: true });
  });

  it("recognises in-band errors and their codes, never their messages", () => {
    expect(classify(block('{"error":{"code":"insufficient_quota","message":"secret prompt"}}'))).toEqual({
      kind: "error",
      terminal: true,
      code: "insufficient_quota",
    });
    expect(classify(block('{"message":"x"}', "error"))).toMatchObject({ kind: "error" });
    expect(classify(block("not json", "error"))).toMatchObject({ kind: "error" });
    expect(classify(block('{"type":"error","code":"server_error"}')).code).toBe("server_error");
    expect(classify(block('{"type":"response.failed","response":{"error":{"code":"rate_limit_exceeded"}}}')).code).toBe(
      "rate_limit_exceeded",
    );
    expect(
      classify(
        block('{"type":"response.incomplete","response":{"incomplete_details":{"reason":"max_output_tokens"}}}'),
      ),
    ).toEqual({ kind: "error", terminal: true, code: "max_output_tokens" });
  });

  it("calls a data: that is not JSON malformed", () => {
    expect(classify(block('{"choices":[{"delta":{"content":"x"}'))).toEqual({ kind: "malformed", terminal: false });
    expect(classify(block("<html>")).kind).toBe("malformed");
  });
});
