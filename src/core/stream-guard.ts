import type { CooldownReason, StreamEvent } from "../types/events.ts";
import type { MalformedEventPolicy } from "../types/options.ts";
import { concat, SseParser } from "./sse.ts";
import { classify, classifyLater, MAY_END } from "./stream-event.ts";
import { withBody } from "./with-body.ts";
import { clampDelay } from "../utils/timers.ts";

/** The stream guard's settings, validated (in `options.ts`). */
export interface GuardOptions {
  readonly enabled: boolean;
  /** `0`: no limit. */
  readonly firstEventTimeoutMs: number;
  /** `0`: no limit. */
  readonly idleTimeoutMs: number;
  readonly malformed: MalformedEventPolicy;
}

/** What the guard tells the attempt loop while and after it judges one stream. */
export interface GuardHooks {
  /** Emits a `stream` event (the loop adds the request's and backend's fields). */
  report(event: Pick<StreamEvent, "kind" | "cause" | "code" | "afterMs">): void;
  /** After release, the stream went idle: cool the backend down (`timeout`). */
  onIdle(): void;
  /** A monotonic clock, ms. */
  now(): number;
}

/** Why a stream broke before its first content, and how its backend is to cool down. */
export interface StreamFailure {
  readonly reason: CooldownReason;
  readonly cause: NonNullable<StreamEvent["cause"]>;
  readonly code?: string;
}

/** The guard's verdict: hand `deliver` to the caller, or send the request on to the next backend. */
export type GuardVerdict = { readonly deliver: Response } | { readonly failover: StreamFailure };

/** The content-filter codes: an in-band rejection is the caller's answer, never failed over. */
export const CONTENT_FILTER_CODES: ReadonlySet<unknown> = new Set([
  "content_filter",
  "content_policy_violation",
  "ResponsibleAIPolicyViolation",
]);

/** The most a guard holds before the first content: past it, the stream is released as it is. */
export const MAX_HELD = 1024 * 1024;

/** Whether a response is one the guard judges: a successful `text/event-stream` with a body. */
export function isEventStream(response: Response): boolean {
  return (
    response.ok &&
    response.body !== null &&
    /^text\/event-stream\b/i.test(response.headers.get("content-type")?.trimStart() ?? "")
  );
}

/** The cooldown reason an in-band error's code calls for. */
function reasonFor(code: string | undefined): CooldownReason {
  if (code?.includes("rate_limit")) return "rate-limit";
  return code?.includes("quota") ? "quota" : "stream";
}

/**
 * Reads a stream block by block and says what each block means; passes the bytes of the blocks it
 * keeps, cut at block boundaries (a client parses nothing before a block's blank line anyway), and
 * drops malformed events when told to.
 */
class Scanner {
  /** Content has arrived: from here on the stream belongs to the caller. */
  content = false;
  /** A terminal event has arrived: the stream may end. */
  complete = false;
  /** An in-band error before any content. */
  failure: StreamFailure | undefined;
  readonly #parser = new SseParser((block) =>
    this.#block(block.end, this.content ? classifyLater(block, this.#drop) : classify(block)),
  );
  readonly #drop: boolean;
  readonly #onDrop: () => void;
  /** Bytes pushed and not yet passed on or dropped; `#base` is the offset of their first byte. */
  #chunks: Uint8Array[] = [];
  #base = 0;
  /** The kept run so far ends here; `#out` collects what one push passes on. */
  #keptTo = 0;
  #out: Uint8Array[] = [];

  constructor(policy: MalformedEventPolicy, onDrop: () => void) {
    this.#drop = policy === "drop";
    this.#onDrop = onDrop;
  }

  /** Takes a chunk; returns the bytes to pass on (possibly none). */
  push(chunk: Uint8Array): Uint8Array | undefined {
    this.#chunks.push(chunk);
    this.#parser.push(chunk);
    return this.#flush();
  }

  /** The source ended; returns the last bytes to pass on. */
  end(): Uint8Array | undefined {
    this.#parser.end();
    return this.#flush();
  }

  /** The bytes pushed and not passed on yet (an unfinished block), handed over to an {@link EndWatch}. */
  rest(): Uint8Array[] {
    const rest = this.#chunks;
    this.#chunks = [];
    return rest;
  }

  #block(end: number, { kind, terminal, code }: ReturnType<typeof classify>): void {
    if (kind === "malformed" && this.#drop) {
      this.#take(); // the kept run before this block
      this.#skip(end);
      this.#onDrop();
      return;
    }
    this.#keptTo = end;
    if (terminal) this.complete = true;
    if (this.content || this.failure) return;
    if (kind === "content" || (kind === "error" && code !== undefined && CONTENT_FILTER_CODES.has(code))) {
      this.content = true;
    } else if (kind === "error") {
      this.failure = { reason: reasonFor(code), cause: "in-band-error", code };
    }
  }

  #flush(): Uint8Array | undefined {
    this.#take();
    if (this.#out.length === 0) return undefined;
    const out = concat(this.#out);
    this.#out = [];
    return out;
  }

  /** Moves the kept bytes up to `#keptTo` to `#out`. */
  #take(): void {
    const to = this.#keptTo;
    if (to <= this.#base) return;
    let at = this.#base;
    while (at < to) {
      const chunk = this.#chunks[0]!;
      const take = Math.min(chunk.length, to - at);
      this.#out.push(take === chunk.length ? chunk : chunk.subarray(0, take));
      this.#consume(take);
      at += take;
    }
  }

  /** Discards the bytes up to `to`. */
  #skip(to: number): void {
    while (this.#base < to) this.#consume(Math.min(this.#chunks[0]!.length, to - this.#base));
    this.#keptTo = to;
  }

  #consume(count: number): void {
    const chunk = this.#chunks[0]!;
    if (count === chunk.length) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(count);
    this.#base += count;
  }
}

/**
 * After release, when malformed events pass: the bytes go through as they are, and only a text search
 * ({@link MAY_END}) looks for a terminal event; the few lines it finds are classified. Lines are
 * classified one by one (an event with several `data:` lines, which OpenAI-style streams never send,
 * would not count as terminal: the stream would error rather than look complete).
 */
class EndWatch {
  complete: boolean;
  readonly #decoder = new TextDecoder();
  /** The unfinished last line. */
  #carry = "";
  /** The `event:` of the current block, tracked while a candidate is open. */
  #event = "";

  constructor(complete: boolean) {
    this.complete = complete;
  }

  push(chunk: Uint8Array): void {
    if (this.complete) return; // nothing left to look for
    let text = this.#decoder.decode(chunk, { stream: true });
    if (this.#carry !== "") text = this.#carry + text;
    // Chunks usually end with their line: then nothing is cut or copied.
    const last = text.at(-1);
    const cut =
      last === "\n" || last === "\r" ? text.length : Math.max(text.lastIndexOf("\n"), text.lastIndexOf("\r")) + 1;
    this.#carry = cut === text.length ? "" : text.slice(cut);
    const lines = cut === text.length ? text : text.slice(0, cut);
    if (this.#event !== "" || MAY_END.test(lines)) this.#lines(lines);
  }

  end(): void {
    if (!this.complete) this.#lines(this.#carry);
  }

  #lines(text: string): void {
    for (const line of text.split(/\r\n?|\n/)) {
      if (line === "") this.#event = "";
      else if (line.startsWith("event:")) this.#event = line.slice(6).trim();
      else if (
        line.startsWith("data:") &&
        classify({ event: this.#event, data: line.slice(5).trimStart(), end: 0 }).terminal
      )
        this.complete = true;
    }
  }
}

/**
 * Judges a `text/event-stream` response (see {@link isEventStream}): holds its preamble until the
 * first content event, then hands the caller a response that replays the held bytes and passes the
 * rest through, watching for an idle backend and for a stream that ends before its terminal event.
 * An in-band error, an end or no content within `firstEventTimeoutMs` before that is a failover
 * (the body is cancelled). Rejects with the signal's reason when the caller aborts.
 */
export async function guardStream(
  response: Response,
  options: GuardOptions,
  hooks: GuardHooks,
  signal: AbortSignal | undefined,
): Promise<GuardVerdict> {
  const startedAt = hooks.now();
  const afterMs = (): number => hooks.now() - startedAt;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const scanner = new Scanner(options.malformed, () => hooks.report({ kind: "dropped", afterMs: afterMs() }));
  const held: Uint8Array[] = [];

  let stop!: (why: "timeout" | "aborted") => void;
  const stopped = new Promise<"timeout" | "aborted">((resolve) => {
    stop = resolve;
  });
  const onAbort = (): void => stop("aborted");
  signal?.addEventListener("abort", onAbort, { once: true });
  const timer =
    options.firstEventTimeoutMs > 0
      ? setTimeout(() => stop("timeout"), clampDelay(options.firstEventTimeoutMs))
      : undefined;
  const fail = (failure: StreamFailure): GuardVerdict => {
    reader.cancel().catch(() => {});
    hooks.report({ kind: "failover", cause: failure.cause, code: failure.code, afterMs: afterMs() });
    return { failover: failure };
  };

  let ended = false;
  let read = 0; // bytes read before the first content
  try {
    while (!scanner.content) {
      if (signal?.aborted) throw signal.reason;
      if (read > MAX_HELD) {
        // A preamble this long is no preamble (a Responses stream echoes its instructions, but not this
        // much): the stream is released as it is, rather than held without bound or failed over.
        scanner.content = true;
        break;
      }
      let next: ReadableStreamReadResult<Uint8Array> | "timeout" | "aborted";
      try {
        next = await Promise.race([reader.read(), stopped]);
      } catch {
        // The backend broke the connection before any content: another backend may answer.
        if (signal?.aborted) throw signal.reason;
        return fail({ reason: "network-error", cause: "no-content" });
      }
      if (next === "aborted") {
        reader.cancel().catch(() => {});
        throw signal!.reason;
      }
      if (next === "timeout") return fail({ reason: "timeout", cause: "first-event-timeout" });
      const bytes = next.done ? scanner.end() : scanner.push(next.value);
      if (bytes !== undefined) held.push(bytes);
      if (scanner.failure !== undefined) return fail(scanner.failure);
      if (next.done) {
        if (!scanner.content) return fail({ reason: "stream", cause: "no-content" });
        ended = true;
      } else read += next.value.length;
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
  return { deliver: withBody(response, released(reader, scanner, held, ended, options, hooks, afterMs)) };
}

/** The caller's body: the held bytes, then the rest of the source, watched. */
function released(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  scanner: Scanner,
  held: readonly Uint8Array[],
  ended: boolean,
  options: GuardOptions,
  hooks: GuardHooks,
  afterMs: () => number,
): ReadableStream<Uint8Array> {
  let finished = ended;
  // Malformed events pass: nothing is cut from the stream any more, so the bytes go through as they are.
  const watch = options.malformed === "pass" && !ended ? new EndWatch(scanner.complete) : undefined;
  const rest = watch === undefined ? [] : scanner.rest();
  // One watchdog timer, re-armed only when it fires early: the time a read has been pending is checked
  // then, so a chunk costs two clock reads instead of a timer set and cleared.
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let waitingSince = -1; // when the pending read of the source began; -1 while none is pending
  const timeoutMs = options.idleTimeoutMs;
  const stop = (): void => {
    finished = true;
    clearTimeout(watchdog);
  };
  const finish = (controller: ReadableStreamDefaultController<Uint8Array>): void => {
    stop();
    if ((watch ?? scanner).complete) {
      controller.close();
      return;
    }
    hooks.report({ kind: "truncated", afterMs: afterMs() });
    controller.error(new Error("openai-priority-loadbalancer: stream ended before its last event"));
  };
  const check = (controller: ReadableStreamDefaultController<Uint8Array>): void => {
    watchdog = undefined;
    if (finished || waitingSince < 0) return; // the next read arms it again
    const leftMs = waitingSince + timeoutMs - hooks.now();
    if (leftMs > 0) {
      watchdog = setTimeout(check, clampDelay(leftMs), controller);
      return;
    }
    stop();
    reader.cancel().catch(() => {});
    hooks.report({ kind: "idle-timeout", afterMs: afterMs() });
    hooks.onIdle();
    controller.error(new Error(`openai-priority-loadbalancer: stream idle for ${timeoutMs} ms`));
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (held.length > 0) controller.enqueue(concat(held));
      for (const chunk of rest) {
        watch!.push(chunk);
        controller.enqueue(chunk);
      }
      if (ended) finish(controller);
    },
    async pull(controller) {
      while (!finished) {
        if (timeoutMs > 0) {
          waitingSince = hooks.now();
          watchdog ??= setTimeout(check, clampDelay(timeoutMs), controller);
        }
        let read: ReadableStreamReadResult<Uint8Array>;
        try {
          read = await reader.read();
        } catch (error) {
          if (!finished) controller.error(error);
          stop();
          return;
        }
        waitingSince = -1;
        if (finished) return;
        let bytes: Uint8Array | undefined;
        if (watch === undefined) bytes = read.done ? scanner.end() : scanner.push(read.value);
        else if (read.done) watch.end();
        else {
          bytes = read.value;
          watch.push(bytes);
        }
        if (bytes !== undefined) controller.enqueue(bytes);
        if (read.done) finish(controller);
        if (bytes !== undefined) return;
      }
    },
    cancel(reason) {
      stop();
      return reader.cancel(reason);
    },
  });
}
