import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SimulatedBackend } from "../backends.js";
import { answerText, completionBody, completionStream } from "../completions.js";
import { FixedWindow } from "../rate-limit.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
let served = 0;

/** The answer of one simulated deployment, as the page's msw handler gives it (`null`: the backend is down). */
async function answer(backend: SimulatedBackend, window: FixedWindow, body: string): Promise<Response | null> {
  if (backend.down.value) return null;
  const retryMs = window.take(Date.now());
  if (retryMs > 0) {
    await sleep(40);
    return Response.json(
      { error: { code: "429", message: `Requests to ${backend.name} have exceeded the call rate limit.` } },
      {
        status: 429,
        headers: {
          "retry-after": String(Math.ceil(retryMs / 1000)),
          "retry-after-ms": String(retryMs),
          "x-ratelimit-remaining-requests": "0",
        },
      },
    );
  }
  await sleep(backend.latencyMs.value);
  const request = JSON.parse(body || "{}") as { model?: string; stream?: boolean };
  const model = request.model ?? "gpt-4o-mini";
  const text = answerText(served++);
  const headers = {
    "x-ratelimit-remaining-requests": String(window.remaining(Date.now())),
    "x-ms-region": backend.name,
  };
  if (request.stream === true) {
    return new Response(completionStream(model, text), {
      headers: { ...headers, "content-type": "text/event-stream" },
    });
  }
  return Response.json(completionBody(model, text, backend.name), { headers });
}

async function handle(backend: SimulatedBackend, window: FixedWindow, req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const response = await answer(backend, window, Buffer.concat(chunks).toString("utf8"));
  if (response === null) return void req.socket.destroy();
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (response.body === null) return void res.end();
  for await (const chunk of response.body) res.write(chunk);
  res.end();
}

/** Each simulated backend on a real loopback socket; returns their URLs (by name) and a way to stop them. */
export async function serveSimulatedBackends(
  backends: readonly SimulatedBackend[],
): Promise<{ urls: Map<string, string>; close(): void }> {
  const servers: Server[] = [];
  const urls = new Map<string, string>();
  for (const backend of backends) {
    const window = new FixedWindow(backend.limit, backend.windowMs);
    const server = createServer((req, res) => void handle(backend, window, req, res).catch(() => req.socket.destroy()));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    urls.set(backend.name, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  return {
    urls,
    close() {
      for (const server of servers) {
        server.closeAllConnections();
        server.close();
      }
    },
  };
}
