import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SimulatedBackends } from "./backends.js";

/** {@link SimulatedBackends} listening on real loopback sockets. */
export interface ServedBackends {
  /** The `http://127.0.0.1:PORT[/prefix]` URL that serves `route`. */
  url(route: string): string;
  /** Stops every server and drops open connections. */
  close(): Promise<void>;
}

/** Reads a node request into a WHATWG Request (aborted when the client goes away). */
async function toRequest(incoming: IncomingMessage, origin: string, signal: AbortSignal): Promise<Request> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Uint8Array);
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const hasBody = incoming.method !== "GET" && incoming.method !== "HEAD";
  return new Request(new URL(incoming.url ?? "/", origin), {
    method: incoming.method ?? "GET",
    headers,
    body: hasBody ? new Blob(chunks as BlobPart[]) : null,
    signal,
  });
}

/** What a page on another origin needs to call the backends and read every header of their answers. */
const CORS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "*",
  "access-control-allow-headers": "*",
  "access-control-expose-headers": "*",
};

/** Writes `response` chunk by chunk, so event streams reach the client as they are produced. */
async function send(response: Response, outgoing: ServerResponse, signal: AbortSignal, cors: boolean): Promise<void> {
  outgoing.writeHead(response.status, { ...Object.fromEntries(response.headers), ...(cors ? CORS : {}) });
  outgoing.flushHeaders();
  if (response.body === null) return void outgoing.end();
  const reader = response.body.getReader();
  signal.addEventListener("abort", () => void reader.cancel().catch(() => {}), { once: true });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return void outgoing.end();
    outgoing.write(value);
  }
}

/** One `node:http` server on a random loopback port that answers for `route` of `backends`. */
async function listen(backends: SimulatedBackends, route: string, cors: boolean): Promise<Server> {
  const server = createServer((incoming, outgoing) => {
    // A browser's preflight is the browser's business, not a request the backend received.
    if (cors && incoming.method === "OPTIONS" && incoming.headers["access-control-request-method"] !== undefined) {
      outgoing.writeHead(204, CORS).end();
      return;
    }
    const controller = new AbortController();
    outgoing.on("close", () => controller.abort(new Error("the client closed the connection")));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    (async () => {
      const request = await toRequest(incoming, origin, controller.signal);
      await send(await backends.handle(request, controller.signal, route), outgoing, controller.signal, cors);
    })().catch(() => {
      // A network error: the client sees its connection reset.
      incoming.socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return server;
}

/**
 * Serves each route of `backends` on its own loopback port, with the same answers and the same
 * record as the in-process and msw forms. A route's path prefix is kept: `https://gw.test/paygo`
 * is served at `http://127.0.0.1:PORT/paygo`. What the backends record carries the real URL.
 * With `cors`, pages on other origins may call them (preflights are answered, not recorded).
 */
export async function serveBackends(
  backends: SimulatedBackends,
  { cors = false }: { cors?: boolean } = {},
): Promise<ServedBackends> {
  const servers = new Map<string, Server>();
  for (const route of backends.routes()) servers.set(route, await listen(backends, route, cors));
  return {
    url(route) {
      const key = route.replace(/\/+$/, "");
      const server = servers.get(key);
      if (server === undefined) throw new Error(`no simulated backend at ${route}`);
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}${new URL(key).pathname.replace(/\/$/, "")}`;
    },
    async close() {
      await Promise.all(
        [...servers.values()].map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
}

/** An `http:` origin on loopback where nothing listens (connections are refused). */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
