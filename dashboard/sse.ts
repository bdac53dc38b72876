/** One server-sent event: its `event:` type (`"message"` without one) and its joined `data:` lines. */
export interface SseMessage {
  readonly type: string;
  readonly data: string;
}

/**
 * Splits a server-sent events stream into messages, as the HTML standard's parser does for the
 * fields the events endpoint sends (`event`, `data`; comments and `id`/`retry` are ignored). Text
 * may arrive cut anywhere, even between the `\r` and `\n` of one line break.
 *
 * @returns `push(text)`: feeds the next decoded text and returns the messages it completed.
 */
export function sseParser(): (text: string) => SseMessage[] {
  let buffer = "";
  let type = "";
  let data: string[] = [];
  let skipLineFeed = false;
  return (text) => {
    const messages: SseMessage[] = [];
    buffer += text;
    for (;;) {
      if (skipLineFeed && buffer !== "") {
        if (buffer.startsWith("\n")) buffer = buffer.slice(1);
        skipLineFeed = false;
      }
      const end = buffer.search(/[\r\n]/);
      if (end === -1) break;
      // A `\r` at the very end may be half of a `\r\n`: the next chunk's `\n` is dropped then.
      skipLineFeed = end === buffer.length - 1 && buffer[end] === "\r";
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 2 : 1));
      if (line === "") {
        if (data.length > 0) messages.push({ type: type || "message", data: data.join("\n") });
        type = "";
        data = [];
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") type = value;
      else if (field === "data") data.push(value);
    }
    return messages;
  };
}
