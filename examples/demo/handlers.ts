import { delay, http, HttpResponse, type HttpHandler } from "msw";
import type { SimulatedBackend } from "./backends.js";
import { answerText, completionBody, completionStream } from "./completions.js";
import { FixedWindow } from "./rate-limit.js";

interface ChatRequest {
  model?: string;
  stream?: boolean;
}

let served = 0;

function rateLimited(backend: SimulatedBackend, retryMs: number): Response {
  const seconds = Math.ceil(retryMs / 1000);
  return HttpResponse.json(
    {
      error: {
        code: "429",
        message: `Requests to the ChatCompletions_Create Operation have exceeded the call rate limit of ${backend.name} (${backend.limit} per ${backend.windowMs / 1000} s). Please retry after ${seconds} seconds.`,
      },
    },
    {
      status: 429,
      headers: {
        "retry-after": String(seconds),
        "retry-after-ms": String(retryMs),
        "x-ratelimit-remaining-requests": "0",
      },
    },
  );
}

/** Chat completions of one simulated backend: its rate limit, latency, rate of 500s, take-down switch and streaming. */
export function backendHandler(backend: SimulatedBackend): HttpHandler {
  const window = new FixedWindow(backend.limit, backend.windowMs);
  return http.post(`${backend.url}/openai/deployments/:deployment/chat/completions`, async ({ request, params }) => {
    if (backend.down.value) return HttpResponse.error();
    // Quota is checked on arrival, like the gateway in front of a deployment: a 429 comes back fast.
    const retryMs = window.take(Date.now());
    if (retryMs > 0) {
      await delay(40);
      return rateLimited(backend, retryMs);
    }
    await delay(backend.latencyMs.value);
    if (Math.random() < backend.errorRate.value) {
      return HttpResponse.json(
        { error: { code: "InternalServerError", message: "The server had an error." } },
        { status: 500 },
      );
    }
    const body = (await request.json()) as ChatRequest;
    const model = body.model ?? String(params.deployment);
    const text = answerText(served++);
    const headers = {
      "x-ratelimit-remaining-requests": String(window.remaining(Date.now())),
      "x-ms-region": backend.name,
    };
    if (body.stream === true) {
      return new HttpResponse(completionStream(model, text), {
        headers: { ...headers, "content-type": "text/event-stream" },
      });
    }
    return HttpResponse.json(completionBody(model, text, backend.name), { headers });
  });
}
