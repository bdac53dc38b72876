import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach } from "vitest";

/**
 * One step of a scripted answer: a string is written as it is, a number waits that many ms (real
 * time: keep it tiny), `"end"` ends the response, `"cut"` destroys the socket mid-body. A script
 * that runs out of steps without ending leaves the response open: a stalled backend.
 */
export type Step = string | number | "end" | "cut";

/** How a scripted backend answers. */
export interface Script {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly steps: readonly Step[];
}

/** A request as the server received it. */
export interface Received {
  readonly backend: string;
  readonly path: string;
  readonly body: string;
}

export const SSE = { "content-type": "text/event-stream" } as const;

/** An event-stream script of these steps (end it with `"end"`, or it stalls). */
export const sse = (...steps: Step[]): Script => ({ headers: SSE, steps });

/** `data: JSON\n\n` of each value. */
export const data = (value: unknown): string =>
  `data: ${typeof value === "string" ? value : JSON.stringify(value)}\n\n`;

/** A chat chunk with a delta, and a finish reason. */
export const chunk = (delta: object, finish: string | null = null): string =>
  data({ id: "c", object: "chat.completion.chunk", model: "m", choices: [{ index: 0, delta, finish_reason: finish }] });

export const ROLE = chunk({ role: "assistant", content: "" });
export const STOP = chunk({}, "stop");
export const USAGE = data({
  id: "c",
  object: "chat.completion.chunk",
  model: "m",
  choices: [],
  usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
});
export const DONE = "data: [DONE]\n\n";

/** A complete chat stream whose text is `parts` joined. */
export const chatStream = (...parts: string[]): string[] => [
  ROLE,
  ...parts.map((content) => chunk({ content })),
  STOP,
  USAGE,
  DONE,
];

/**
 * A `node:http` server on a random loopback port, started for this test file and closed after it.
 * Each backend is a path prefix: `${url}/${name}` answers with the script `scripts[name]` (a function
 * of the attempt number, from 0, for a backend that changes its answer).
 */
export function scriptedServer() {
  const received: Received[] = [];
  let scripts: Record<string, Script | ((attempt: number) => Script)> = {};
  const open = new Set<ServerResponse>();

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = "";
    for await (const part of request) body += part;
    const [, backend = "", ...rest] = (request.url ?? "/").split("/");
    const attempt = received.filter((hit) => hit.backend === backend).length;
    received.push({ backend, path: `/${rest.join("/")}`, body });
    const entry = scripts[backend];
    const script = typeof entry === "function" ? entry(attempt) : entry;
    if (script === undefined) {
      response.writeHead(404).end();
      return;
    }
    open.add(response);
    response.on("close", () => open.delete(response));
    response.writeHead(script.status ?? 200, script.headers);
    response.flushHeaders();
    for (const step of script.steps) {
      if (response.destroyed) return;
      if (typeof step === "number") await new Promise((resolve) => setTimeout(resolve, step));
      else if (step === "end") response.end();
      else if (step === "cut") response.socket?.destroy();
      else response.write(step);
    }
  }

  const server = createServer((request, response) => void answer(request, response));
  const started = new Promise<string>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
  afterEach(() => {
    received.length = 0;
    scripts = {};
    for (const response of open) response.destroy();
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    /** The server's origin, once it listens. */
    url: () => started,
    /** Sets the scripts of this test's backends. */
    serve(next: typeof scripts): void {
      scripts = next;
    },
    received,
    /** Responses still open on the server (a stalled backend's, until its client goes away). */
    openCount: () => open.size,
  };
}
