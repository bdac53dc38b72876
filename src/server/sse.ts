import { toRedactedJson } from "./redact.ts";

const encoder = new TextEncoder();

/** One server-sent event, `event: <type>` and its data as redacted JSON on one line. */
export function sseEvent(type: string, data: unknown): Uint8Array {
  // JSON.stringify escapes line breaks inside strings, so the data is a single `data:` line.
  return encoder.encode(`event: ${type}\ndata: ${toRedactedJson(data)}\n\n`);
}

/** A comment line: ignored by clients, keeps proxies from closing an idle connection. */
export function sseComment(text: string): Uint8Array {
  return encoder.encode(`: ${text}\n\n`);
}
