/**
 * One block of a server-sent event stream, up to and including the blank line that ends it.
 * `data` is `undefined` when the block had no `data:` field (a keep-alive comment, a lone `event:`):
 * such a block dispatches no event to an EventSource, and none to the OpenAI SDK.
 */
export interface SseBlock {
  /** The `event:` field; `""` when absent. */
  readonly event: string;
  /** The `data:` fields joined with `\n`, as an EventSource dispatches them. */
  readonly data: string | undefined;
  /** Offset of the first byte after the block, counted from the first byte pushed. */
  readonly end: number;
}

const LF = 0x0a;
const CR = 0x0d;
const decoder = new TextDecoder();

/**
 * An incremental parser of `text/event-stream` bytes (WHATWG HTML, "server-sent events"): lines end
 * in CRLF, LF or CR, `:` starts a comment, a blank line ends a block. It works on bytes, not text, so
 * a block's byte offsets are exact: the stream guard cuts the stream at block boundaries.
 */
export class SseParser {
  readonly #onBlock: (block: SseBlock) => void;
  /** Bytes of an unfinished line carried from earlier chunks. */
  #carry: Uint8Array[] = [];
  /** Offset of the first byte of the next chunk. */
  #offset = 0;
  /** A line the previous chunk ended with a CR: whether an LF follows, and so where it ends, the next chunk says. */
  #pending: Uint8Array | undefined;
  #event = "";
  #data: string | undefined;
  /** The current block has at least one line (a blank line before any ends nothing). */
  #open = false;

  constructor(onBlock: (block: SseBlock) => void) {
    this.#onBlock = onBlock;
  }

  /** Parses `chunk`, calling back once per block it completes. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    let start = 0;
    const pending = this.#pending;
    if (pending !== undefined) {
      this.#pending = undefined;
      if (chunk[0] === LF) start = 1;
      this.#line(pending, this.#offset + start);
    }
    for (let i = start; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte !== LF && byte !== CR) continue;
      let line = chunk.subarray(start, i);
      if (this.#carry.length > 0) {
        this.#carry.push(line);
        line = concat(this.#carry);
        this.#carry = [];
      }
      start = i + 1;
      if (byte === CR && start === chunk.length) {
        this.#pending = line.slice();
        break;
      }
      if (byte === CR && chunk[start] === LF) start = ++i + 1;
      this.#line(line, this.#offset + start);
    }
    if (start < chunk.length) this.#carry.push(chunk.slice(start));
    this.#offset += chunk.length;
  }

  /**
   * The stream ended: a last block without its blank line is reported as if it had one (the parser's
   * callers judge what was sent; whether a client would dispatch it is theirs to decide).
   */
  end(): void {
    if (this.#pending !== undefined) this.#line(this.#pending, this.#offset);
    this.#pending = undefined;
    if (this.#carry.length > 0) {
      const line = concat(this.#carry);
      this.#carry = [];
      this.#line(line, this.#offset);
    }
    if (this.#open) this.#dispatch(this.#offset);
  }

  #line(bytes: Uint8Array, end: number): void {
    if (bytes.length === 0) {
      if (this.#open) this.#dispatch(end);
      return;
    }
    this.#open = true;
    if (bytes[0] === 0x3a) return; // ":" a comment
    const line = decoder.decode(bytes);
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.#data = this.#data === undefined ? value : `${this.#data}\n${value}`;
    else if (field === "event") this.#event = value;
  }

  #dispatch(end: number): void {
    const block: SseBlock = { event: this.#event, data: this.#data, end };
    this.#event = "";
    this.#data = undefined;
    this.#open = false;
    this.#onBlock(block);
  }
}

/** The bytes of `parts`, one after the other. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let length = 0;
  for (const part of parts) length += part.length;
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}
