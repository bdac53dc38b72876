import type { RequestHandler } from "./handler.ts";

/** What {@link toNodeListener} uses of Node's `IncomingMessage` (typed structurally: no Node types in `src/`). */
export interface NodeRequestLike {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** What {@link toNodeListener} uses of Node's `ServerResponse`. */
export interface NodeResponseLike {
  writeHead(status: number, headers: Record<string, string>): unknown;
  /** `false` when the socket's buffer is full: wait for `drain`. */
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  once(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
  flushHeaders?(): void;
}

/**
 * Bridges a WHATWG handler such as {@link eventsHandler}'s to `node:http`: the request becomes a
 * `Request` whose signal aborts when the client goes, and the response body is written with
 * backpressure (a slow client is not read faster than it takes, so the handler's bound applies).
 *
 * @example
 * import { createServer } from "node:http";
 * createServer(toNodeListener(eventsHandler(lb, { token }))).listen(8787);
 */
export function toNodeListener(handler: RequestHandler): (req: NodeRequestLike, res: NodeResponseLike) => void {
  return (req, res) => void bridge(handler, req, res);
}

async function bridge(handler: RequestHandler, req: NodeRequestLike, res: NodeResponseLike): Promise<void> {
  const gone = new AbortController();
  const onClose = (): void => gone.abort();
  res.once("close", onClose);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers.set(name, value);
    else if (value !== undefined) for (const item of value) headers.append(name, item);
  }
  // The handler is read-only: the request body (if any) is neither read nor forwarded.
  const request = new Request(new URL(req.url ?? "/", `http://${headers.get("host") ?? "localhost"}`), {
    method: req.method ?? "GET",
    headers,
    signal: gone.signal,
  });
  let response: Response;
  try {
    response = await handler(request);
  } catch {
    response = new Response(null, { status: 500 });
  }
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.flushHeaders?.();
  if (response.body === null) {
    res.end();
    res.off("close", onClose);
    return;
  }
  const reader = response.body.getReader();
  gone.signal.addEventListener("abort", () => void reader.cancel().catch(() => {}), { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || gone.signal.aborted) break;
      if (!res.write(value)) await drained(res, gone.signal);
    }
  } catch {
    // The body failed or was cancelled: end the response either way.
  }
  res.off("close", onClose);
  res.end();
}

function drained(res: NodeResponseLike, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    res.once("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}
