import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What a simulated stateful backend received. */
export interface StatefulHit {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

/** A running simulated backend; see {@link startStatefulBackend}. */
export interface StatefulBackend {
  readonly name: string;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly hits: StatefulHit[];
  /** The ids it made, by kind. */
  readonly ids: { readonly responses: Set<string>; readonly files: Set<string>; readonly batches: Set<string> };
  /** Answers the next `count` requests with 429 and `retry-after-ms`. */
  throttle(count: number, retryAfterMs: number): void;
  close(): Promise<void>;
}

const notFound = (message: string, code: string) => ({
  status: 404,
  body: { error: { message, type: "invalid_request_error", param: null, code } },
});

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function responseObject(id: string, name: string, previous: string | null) {
  return {
    id,
    object: "response",
    created_at: 1,
    status: "completed",
    model: "gpt-test",
    previous_response_id: previous,
    output: [
      {
        id: `msg_${id}`,
        type: "message",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: `from ${name}`, annotations: [] }],
      },
    ],
    usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 },
  };
}

/**
 * A simulated OpenAI-style backend on a random loopback port that keeps its own responses, files and
 * batches (under `/v1/…` and Azure's `/openai/v1/…`) and answers 404 for ids it did not make, as a real
 * resource does. Streams Responses as server-sent events.
 */
export async function startStatefulBackend(name: string): Promise<StatefulBackend> {
  const ids = { responses: new Set<string>(), files: new Set<string>(), batches: new Set<string>() };
  const hits: StatefulHit[] = [];
  let counter = 0;
  let throttled = 0;
  let retryAfterMs = 0;
  const next = (prefix: string) => `${prefix}${name}${++counter}x`;

  async function handle(request: IncomingMessage, reply: ServerResponse): Promise<number> {
    const url = new URL(request.url ?? "/", "http://local");
    const path = url.pathname.replace(/^\/openai/, "");
    const method = request.method ?? "GET";
    const raw = await readBody(request);
    const send = (status: number, body: unknown) => {
      reply.writeHead(status, { "content-type": "application/json", "x-backend": name });
      reply.end(JSON.stringify(body));
      return status;
    };
    if (throttled > 0) {
      throttled--;
      reply.writeHead(429, { "content-type": "application/json", "retry-after-ms": String(retryAfterMs) });
      reply.end(JSON.stringify({ error: { message: "Rate limit is exceeded.", type: "rate_limit", code: "429" } }));
      return 429;
    }
    const json = () => JSON.parse(raw.toString("utf8") || "{}") as Record<string, unknown>;
    const idIn = (pattern: RegExp): string | undefined => {
      const found = pattern.exec(path);
      return found === null ? undefined : decodeURIComponent(found[1]!);
    };
    let id: string | undefined;
    if (method === "POST" && path === "/v1/responses") {
      const body = json();
      const previous = typeof body.previous_response_id === "string" ? body.previous_response_id : null;
      if (previous !== null && !ids.responses.has(previous)) {
        const { status, body: error } = notFound(
          `Previous response with id '${previous}' not found.`,
          "previous_response_not_found",
        );
        return send(status, error);
      }
      const id = next("resp_");
      ids.responses.add(id);
      const object = responseObject(id, name, previous);
      if (body.stream === true) {
        reply.writeHead(200, { "content-type": "text/event-stream", "x-backend": name });
        const event = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
        reply.write(event("response.created", { response: { ...object, status: "in_progress", output: [] } }));
        reply.write(
          event("response.output_text.delta", {
            item_id: `msg_${id}`,
            output_index: 0,
            content_index: 0,
            delta: `from ${name}`,
          }),
        );
        reply.end(event("response.completed", { response: object }));
        return 200;
      }
      return send(200, object);
    }
    id = idIn(/^\/v1\/responses\/([^/]+)$/);
    if (id !== undefined) {
      if (!ids.responses.has(id)) return send(404, notFound(`Response with id '${id}' not found.`, "not_found").body);
      return send(200, responseObject(id, name, null));
    }
    if (method === "POST" && path === "/v1/files") {
      const form = await new Request("http://local", {
        method: "POST",
        headers: { "content-type": request.headers["content-type"] ?? "" },
        body: new Uint8Array(raw),
      }).formData();
      const file = form.get("file") as File;
      const id = next("file-");
      ids.files.add(id);
      return send(200, {
        id,
        object: "file",
        bytes: file.size,
        created_at: 1,
        filename: file.name,
        purpose: form.get("purpose"),
      });
    }
    id = idIn(/^\/v1\/files\/([^/]+)$/);
    if (id !== undefined) {
      if (!ids.files.has(id)) return send(404, notFound(`No such File object: ${id}`, "not_found").body);
      return send(200, { id, object: "file", bytes: 1, created_at: 1, filename: "f", purpose: "batch" });
    }
    if (method === "POST" && path === "/v1/batches") {
      const body = json();
      const input = String(body.input_file_id);
      if (!ids.files.has(input)) return send(404, notFound(`No such File object: ${input}`, "not_found").body);
      const id = next("batch_");
      ids.batches.add(id);
      return send(200, {
        id,
        object: "batch",
        endpoint: body.endpoint,
        input_file_id: input,
        status: "validating",
        created_at: 1,
      });
    }
    id = idIn(/^\/v1\/batches\/([^/]+)$/);
    if (id !== undefined) {
      if (!ids.batches.has(id)) return send(404, notFound(`Batch ${id} not found.`, "not_found").body);
      const output = next("file-");
      ids.files.add(output);
      return send(200, { id, object: "batch", status: "completed", output_file_id: output, created_at: 1 });
    }
    if (method === "POST" && path === "/v1/chat/completions") {
      return send(200, {
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1,
        model: "gpt-test",
        choices: [{ index: 0, message: { role: "assistant", content: `from ${name}` }, finish_reason: "stop" }],
      });
    }
    return send(404, notFound(`No route ${method} ${path}`, "not_found").body);
  }

  const server = createServer((request, reply) => {
    handle(request, reply).then(
      (status) => hits.push({ method: request.method ?? "GET", path: request.url ?? "/", status }),
      (error: unknown) => {
        reply.writeHead(500, { "content-type": "application/json" });
        reply.end(JSON.stringify({ error: { message: String(error), type: "server_error" } }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    hits,
    ids,
    throttle(count, ms) {
      throttled = count;
      retryAfterMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
