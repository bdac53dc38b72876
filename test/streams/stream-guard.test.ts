import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type GuardHooks, type GuardOptions, guardStream, MAX_HELD } from "../../src/core/stream-guard.js";
import { chatStream, chunk, DONE, data, ROLE, STOP, USAGE } from "./server.js";

const encoder = new TextEncoder();
const OPTIONS: GuardOptions = { enabled: true, firstEventTimeoutMs: 60_000, idleTimeoutMs: 60_000, malformed: "drop" };

/** A stream that sends each `[delayMs, text]` after its delay (fake timers), then stays open. */
function timed(parts: readonly (readonly [number, string])[]): Response {
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const [delay, text] of parts) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        controller.enqueue(encoder.encode(text));
      }
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

function hooks() {
  const reported: string[] = [];
  let idle = 0;
  const value: GuardHooks = {
    report: (event) => reported.push(event.cause ? `${event.kind} ${event.cause}` : event.kind),
    onIdle: () => idle++,
    now: () => Date.now(),
  };
  return { value, reported, idle: () => idle };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("the stream guard on its own (fake timers)", () => {
  it("a first token after a long wait within firstEventTimeoutMs is delivered, preamble first", async () => {
    vi.useFakeTimers();
    const { value, reported } = hooks();
    const verdict = guardStream(
      timed([
        [0, ROLE],
        [59_000, chunk({ content: "late" })],
      ]),
      OPTIONS,
      value,
      undefined,
    );
    await vi.advanceTimersByTimeAsync(59_000);
    const judged = await verdict;
    expect("deliver" in judged).toBe(true);
    const reader = (judged as { deliver: Response }).deliver.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe(ROLE + chunk({ content: "late" }));
    expect(reported).toEqual([]);
    await reader.cancel();
  });

  it("a first token later than firstEventTimeoutMs is a failover (timeout); keep-alives do not extend it", async () => {
    vi.useFakeTimers();
    const { value, reported } = hooks();
    const parts: [number, string][] = [[0, ROLE]];
    for (let i = 0; i < 7; i++) parts.push([10_000, ": keep-alive\n\n"]);
    const verdict = guardStream(timed(parts), OPTIONS, value, undefined);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await verdict).toEqual({ failover: { reason: "timeout", cause: "first-event-timeout" } });
    expect(reported).toEqual(["failover first-event-timeout"]);
  });

  it("after release, a gap shorter than the idle timeout is fine; a longer one errors and calls onIdle once", async () => {
    vi.useFakeTimers();
    const { value, reported, idle } = hooks();
    const options = { ...OPTIONS, idleTimeoutMs: 30_000 };
    const judged = guardStream(
      timed([
        [0, chunk({ content: "a" })],
        [29_000, chunk({ content: "b" })],
      ]),
      options,
      value,
      undefined,
    );
    await vi.advanceTimersByTimeAsync(0);
    const response = ((await judged) as { deliver: Response }).deliver;
    const reader = response.body!.getReader();
    await reader.read();
    const second = reader.read();
    await vi.advanceTimersByTimeAsync(29_000);
    expect(new TextDecoder().decode((await second).value)).toBe(chunk({ content: "b" }));
    const third = reader.read();
    third.catch(() => {});
    await vi.advanceTimersByTimeAsync(30_000);
    await expect(third).rejects.toThrow(/stream idle for 30000 ms/);
    expect(idle()).toBe(1);
    expect(reported).toEqual(["idle-timeout"]);
  });

  it("the caller gets the backend's bytes exactly, however the stream is chunked (property)", async () => {
    const stream = chatStream("Hel", "lo", " wörld");
    const bytes = encoder.encode(stream.join(""));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 10 }), async (cuts) => {
        const at = [0, ...[...new Set(cuts)].sort((a, b) => a - b), bytes.length];
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 1; i < at.length; i++) controller.enqueue(bytes.slice(at[i - 1], at[i]));
            controller.close();
          },
        });
        const source = new Response(body, { headers: { "content-type": "text/event-stream" } });
        const judged = await guardStream(source, OPTIONS, hooks().value, undefined);
        const received = new Uint8Array(await (judged as { deliver: Response }).deliver.arrayBuffer());
        expect(received).toEqual(bytes);
      }),
      { numRuns: 100 },
    );
  });

  /** `bytes` cut at `cuts`, as a response; its body closes after the last piece. */
  const chunked = (bytes: Uint8Array, cuts: readonly number[]): Response => {
    const at = [0, ...[...new Set(cuts)].filter((cut) => cut <= bytes.length).sort((a, b) => a - b), bytes.length];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 1; i < at.length; i++) controller.enqueue(bytes.slice(at[i - 1], at[i]));
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  };
  const responses = (type: string, extra: object = {}) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...extra })}\n\n`;
  /** Complete streams, each with the content event after which cutting it truncates it. */
  const complete: readonly (readonly [string, string[]])[] = [
    ["chat with [DONE]", [ROLE, chunk({ content: "Hel" }), chunk({ content: "lo" }), STOP, DONE]],
    [
      "chat with a finish reason and usage, no [DONE]",
      [ROLE, chunk({ content: "H" }), chunk({ content: "i" }), STOP, USAGE],
    ],
    [
      "responses ending in response.completed",
      [
        responses("response.created"),
        responses("response.output_text.delta", { delta: "Hi" }),
        responses("response.output_text.delta", { delta: " wörld" }),
        responses("response.completed", { response: { output_text: "Hi wörld", status: "completed" } }),
      ],
    ],
    [
      "chat with CRLF line ends",
      [ROLE, chunk({ content: "A" }), chunk({ content: "B" }), STOP, DONE].map((event) =>
        event.replaceAll("\n", "\r\n"),
      ),
    ],
  ];

  for (const malformed of ["drop", "pass"] as const) {
    it.each(complete)(
      `malformedEvents "${malformed}": %s closes normally, byte-identical, however it is chunked; cut before its last event it errors (property)`,
      async (_, events) => {
        const whole = encoder.encode(events.join(""));
        // Cut after the second content event: no terminal event has been sent.
        const cut = encoder.encode(events.slice(0, 3).join(""));
        const options = { ...OPTIONS, malformed };
        await fc.assert(
          fc.asyncProperty(fc.array(fc.integer({ min: 0, max: whole.length }), { maxLength: 12 }), async (cuts) => {
            const judged = await guardStream(chunked(whole, cuts), options, hooks().value, undefined);
            expect(new Uint8Array(await (judged as { deliver: Response }).deliver.arrayBuffer())).toEqual(whole);
            const { value, reported } = hooks();
            const truncated = await guardStream(chunked(cut, cuts), options, value, undefined);
            await expect((truncated as { deliver: Response }).deliver.arrayBuffer()).rejects.toThrow(
              /ended before its last event/,
            );
            expect(reported).toEqual(["truncated"]);
          }),
          { numRuns: 60 },
        );
      },
    );
  }

  it('content that merely mentions "error", "[DONE]" or a finish reason does not end a stream (malformedEvents "pass")', async () => {
    const tricky = [
      ROLE,
      chunk({ content: 'error [DONE] "finish_reason":"stop" response.completed' }),
      data({ choices: [{ index: 0, delta: { content: "x" }, finish_reason: null }], note: "error" }),
    ];
    const { value, reported } = hooks();
    const judged = await guardStream(
      chunked(encoder.encode(tricky.join("")), []),
      { ...OPTIONS, malformed: "pass" },
      value,
      undefined,
    );
    await expect((judged as { deliver: Response }).deliver.arrayBuffer()).rejects.toThrow(
      /ended before its last event/,
    );
    expect(reported).toEqual(["truncated"]);
  });

  it(`a preamble longer than ${MAX_HELD} bytes is released as it is rather than held without bound`, async () => {
    const keepAlives = `: ${"k".repeat(1023)}\n\n`.repeat(1100); // 1.1 MiB of comments, then nothing
    let pulls = 0;
    const bytes = encoder.encode(keepAlives);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls * 65_536 < bytes.length) controller.enqueue(bytes.slice(pulls * 65_536, ++pulls * 65_536));
        // then it stays open: the guard must not wait for content
      },
    });
    const { value, reported } = hooks();
    const judged = await guardStream(
      new Response(body, { headers: { "content-type": "text/event-stream" } }),
      OPTIONS,
      value,
      undefined,
    );
    const reader = (judged as { deliver: Response }).deliver.body!.getReader();
    const first = (await reader.read()).value!;
    expect(first.length).toBeGreaterThan(MAX_HELD);
    expect(new TextDecoder().decode(first)).toBe(keepAlives.slice(0, first.length));
    expect(reported).toEqual([]);
    await reader.cancel();
  });
});
