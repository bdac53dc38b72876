import { answer, echo, hang, SimulatedBackends } from "../support/backends.js";

/** The client's URL; the balancer replaces its origin with the chosen backend's. */
export const API = "https://api.example.com/openai/deployments/gpt/chat/completions?api-version=2024-10-21";

/** {@link API}'s path and query, as every backend should receive it. */
export const API_PATH = "/openai/deployments/gpt/chat/completions?api-version=2024-10-21";

/** The routes of the backends that the conformance cases reach over real sockets. */
export const ROUTES = {
  /** 429 with `retry-after: 30`. */
  throttled: "https://throttled.test",
  /** 503. */
  broken: "https://broken.test",
  /** Answers with what it received (see `echo`). */
  echo: "https://echo.test",
  /** An event stream (`?id=X`) that holds its second event until `release?id=X` is called. */
  stream: "https://stream.test",
  /** Releases the held stream `?id=X`: 204, or 404 when none is held. */
  release: "https://release.test",
  /** An event stream: a preamble (a role-only delta), then an in-band error before any content. */
  inBandError: "https://in-band-error.test",
  /** An event stream of one content event, then the end: no finish reason, no `[DONE]`. */
  truncated: "https://truncated.test",
  /**
   * {@link WINDOW} requests per {@link WINDOW_MS} (a PTU-like window), with Azure's quota headers; over it, a 429 with
   * `retry-after-ms` until the window resets. Answers with the request's body.
   */
  windowed: "https://windowed.test",
  /** Accepts the request and never answers (until the client goes away): a hung backend. */
  silent: "https://silent.test",
} as const;

/** What a window of {@link ROUTES.windowed} holds, and how long it lasts. */
export const WINDOW = 2;
export const WINDOW_MS = 150;

/** A content event: the stream guard hands a stream to the caller at its first one. */
export const FIRST_EVENT = 'data: {"choices":[{"index":0,"delta":{"content":"first"},"finish_reason":null}]}\n\n';
/** A preamble event: the stream guard holds it until content arrives. */
const ROLE_EVENT = 'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n';
const SSE_INIT = { headers: { "content-type": "text/event-stream" } };

const encoder = new TextEncoder();

/** The simulated backends of {@link ROUTES}, served on real sockets by each runtime (for a browser, by Node). */
export function conformanceBackends(): SimulatedBackends {
  const held = new Map<string, () => void>();
  const idOf = (request: Request): string => new URL(request.url).searchParams.get("id") ?? "";
  let windowStart = 0;
  let inWindow = 0;
  return new SimulatedBackends({
    [ROUTES.throttled]: () =>
      new Response('{"error":{"code":"429"}}', {
        status: 429,
        headers: { "retry-after": "30", "content-type": "application/json" },
      }),
    [ROUTES.broken]: answer(503),
    [ROUTES.echo]: echo,
    [ROUTES.stream]: ({ request }) => {
      const released = new Promise<void>((resolve) => held.set(idOf(request), resolve));
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
    },
    [ROUTES.inBandError]: () =>
      new Response(`${ROLE_EVENT}data: {"error":{"code":"server_error","message":"in-band"}}\n\n`, SSE_INIT),
    [ROUTES.truncated]: () => new Response(FIRST_EVENT, SSE_INIT),
    [ROUTES.windowed]: ({ received }) => {
      const now = Date.now();
      if (now >= windowStart + WINDOW_MS) {
        windowStart = now;
        inWindow = 0;
      }
      const left = String(Math.max(1, windowStart + WINDOW_MS - now));
      if (++inWindow > WINDOW)
        return new Response('{"error":{"code":"429"}}', { status: 429, headers: { "retry-after-ms": left } });
      return new Response(received.body, {
        headers: {
          "content-type": "application/json",
          "x-ratelimit-limit-requests": String(WINDOW),
          "x-ratelimit-remaining-requests": String(WINDOW - inWindow),
          "x-ratelimit-reset-requests": `${left}ms`,
        },
      });
    },
    [ROUTES.silent]: hang,
    [ROUTES.release]: ({ request }) => {
      const release = held.get(idOf(request));
      held.delete(idOf(request));
      release?.();
      return new Response(null, { status: release === undefined ? 404 : 204 });
    },
  });
}
