import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type GuardHooks, type GuardOptions, guardStream } from "../../src/core/stream-guard.js";
import { chatStream, chunk, ROLE } from "./server.js";

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
});
