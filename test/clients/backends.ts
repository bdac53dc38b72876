import { http, HttpResponse } from "msw";

/** An msw server for one test file (see test/support/msw.ts). */
export { useMsw as useBackends } from "../support/msw.js";

/** One request as a simulated backend received it. */
export interface Hit {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  /** The raw body, to parse as JSON or multipart. */
  readonly body: Uint8Array<ArrayBuffer>;
  readonly contentType: string;
}

/** Parses a hit's JSON body. */
export const json = (hit: Hit | undefined): unknown => JSON.parse(new TextDecoder().decode(hit?.body));

/** Parses a hit's multipart body. */
export const multipart = (hit: Hit | undefined): Promise<FormData> =>
  new Response(hit?.body, { headers: { "content-type": hit?.contentType ?? "" } }).formData();

/** A 429 in Azure OpenAI's shape, asking for `retryAfterMs` of rest. */
export const throttled = (retryAfterMs = 60_000): Response =>
  HttpResponse.json(
    { error: { code: "429", message: "Requests to the deployment have exceeded the rate limit." } },
    {
      status: 429,
      headers: { "retry-after-ms": String(retryAfterMs), "retry-after": String(Math.ceil(retryAfterMs / 1000)) },
    },
  );

/**
 * A simulated backend at `origin`: every request below it is recorded, then answered by `answer`.
 * `posts` are the POST requests only: before its first multipart upload the openai package probes
 * its `fetch` with a GET of `data:,`, which the balancer currently forwards to a backend as
 * `GET {backend}/data:,` (reported to the core; the backends answer it 404 as a real one would).
 */
export function simulatedBackend(origin: string, answer: (hit: Hit) => Response | Promise<Response>) {
  const hits: Hit[] = [];
  const posts = (): Hit[] => hits.filter((hit) => hit.method === "POST");
  const handler = http.all(`${origin}/*`, async ({ request }) => {
    const hit: Hit = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: new Uint8Array(await request.arrayBuffer()),
      contentType: request.headers.get("content-type") ?? "",
    };
    hits.push(hit);
    if (hit.method !== "POST") return new HttpResponse("Resource not found", { status: 404 });
    return answer(hit);
  });
  return { handler, hits, posts };
}

const encoder = new TextEncoder();

/**
 * A server-sent event stream of `events` that holds the last one until `release()` is called,
 * so a test can prove that earlier events reached the caller while the backend was still streaming.
 */
export function heldEventStream(events: readonly unknown[]) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let finished = false;
  let next = 0;
  const response = (): Response =>
    new HttpResponse(
      new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (next === events.length - 1) await released;
          if (next < events.length) {
            controller.enqueue(encoder.encode(`data: ${JSON.stringify(events[next++])}\n\n`));
            return;
          }
          controller.enqueue(encoder.encode("data: [DONE]\n\n"));
          finished = true;
          controller.close();
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  return { response, release, isFinished: () => finished };
}

export { HttpResponse };
