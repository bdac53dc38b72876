import { createdIds } from "./affinity.ts";
import { withBody } from "./with-body.ts";

/**
 * How much of a body is looked at. A JSON object larger than this is read by its first key only
 * (`{"id": "…"` starts every OpenAI object); a stream's first event is always far smaller.
 */
const SCAN_LIMIT = 256 * 1024;

const LEADING_ID = /^\s*\{\s*"id"\s*:\s*"([^"\\]+)"/;

/** The id in a Responses stream's first event, `response.created`; `undefined` when the first event is another. */
function streamedId(event: string): string | undefined {
  let data = "";
  for (const line of event.split("\n")) if (line.startsWith("data:")) data += line.slice(5).trimStart();
  try {
    const json = JSON.parse(data) as { type?: unknown; response?: { id?: unknown } };
    return json.type === "response.created" && typeof json.response?.id === "string" ? json.response.id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The response, with its body passed through a scanner that reports the ids it says its backend created:
 * a JSON object's `id` (and a batch's `output_file_id`, `error_file_id`), or a stream's `response.created`
 * event. Tee-less: every chunk goes on to the caller as it arrives, nothing is held back, and the scan
 * stops at the first event or {@link SCAN_LIMIT}. Ids are reported as the caller reads the body, which
 * it does before it can name one. Anything but a 2xx JSON or event-stream response is handed back as it is.
 */
export function watchCreated(response: Response, onIds: (ids: string[]) => void): Response {
  const type = response.headers.get("content-type") ?? "";
  const stream = type.includes("text/event-stream");
  if (!response.ok || response.body === null || !(stream || type.includes("json"))) return response;
  const decoder = new TextDecoder();
  let text = "";
  let done = false;
  const report = (ids: string[]): void => {
    done = true;
    text = "";
    if (ids.length > 0) onIds(ids);
  };
  const scan = (chunk: Uint8Array): void => {
    text += decoder.decode(chunk, { stream: true });
    if (stream) {
      const normalised = text.replace(/\r\n?/g, "\n");
      const end = normalised.indexOf("\n\n");
      if (end !== -1) {
        const id = streamedId(normalised.slice(0, end));
        report(id === undefined ? [] : [id]);
      } else if (text.length > SCAN_LIMIT) report([]);
    } else if (text.length > SCAN_LIMIT) {
      const leading = LEADING_ID.exec(text);
      report(leading === null ? [] : [leading[1]!]);
    }
  };
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        controller.enqueue(chunk);
        if (!done) scan(chunk);
      },
      flush() {
        if (done || stream) return;
        try {
          report(createdIds(JSON.parse(text + decoder.decode())));
        } catch {
          report([]);
        }
      },
    }),
  );
  return withBody(response, body);
}
