/** What `/echo/…` answers: the request as the server received it. */
export interface Echo {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  readonly apiKey: string | null;
  readonly contentType: string | null;
  readonly body: string;
}

const encoder = new TextEncoder();

/** A content event: the stream guard hands a stream to the caller at its first one. */
export const FIRST_EVENT = 'data: {"choices":[{"index":0,"delta":{"content":"first"},"finish_reason":null}]}\n\n';
/** A preamble event: the stream guard holds it until content arrives. */
const ROLE_EVENT = 'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n';
const SSE_INIT = { headers: { "content-type": "text/event-stream" } };
const held = new Map<string, () => void>();

function stream(id: string): Response {
  const released = new Promise<void>((resolve) => held.set(id, resolve));
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent++ === 0) {
        controller.enqueue(encoder.encode(FIRST_EVENT));
        return;
      }
      await released;
      controller.enqueue(encoder.encode("data: [DONE]\n\n"));
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream", "cache-control": "no-store" } });
}

/**
 * The backends of the real-socket tests, as one WHATWG handler that `Deno.serve`, `Bun.serve`
 * and (through an adapter) `node:http` all serve:
 * `/throttled/…` 429 with `retry-after: 30`; `/broken/…` 503; `/echo/…` the request as JSON;
 * `/stream/…?id=X` an event stream that holds its second event until `/release?id=X`;
 * `/in-band-error/…` a preamble then an in-band error; `/truncated/…` one content event, then the end.
 */
export async function handleBackendRequest(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const section = url.pathname.split("/")[1];
  switch (section) {
    case "throttled":
      await request.arrayBuffer();
      return new Response('{"error":{"code":"429"}}', {
        status: 429,
        headers: { "retry-after": "30", "content-type": "application/json" },
      });
    case "broken":
      await request.arrayBuffer();
      return new Response("unavailable", { status: 503 });
    case "echo": {
      const echo: Echo = {
        method: request.method,
        path: url.pathname + url.search,
        apiKey: request.headers.get("api-key"),
        contentType: request.headers.get("content-type"),
        body: await request.text(),
      };
      return Response.json(echo);
    }
    case "stream":
      await request.arrayBuffer();
      return stream(url.searchParams.get("id") ?? "");
    case "in-band-error":
      await request.arrayBuffer();
      return new Response(`${ROLE_EVENT}data: {"error":{"code":"server_error","message":"in-band"}}\n\n`, SSE_INIT);
    case "truncated":
      await request.arrayBuffer();
      return new Response(FIRST_EVENT, SSE_INIT);
    case "release": {
      const release = held.get(url.searchParams.get("id") ?? "");
      held.delete(url.searchParams.get("id") ?? "");
      release?.();
      return new Response(null, { status: release === undefined ? 404 : 204 });
    }
    default:
      return new Response("not found", { status: 404 });
  }
}
