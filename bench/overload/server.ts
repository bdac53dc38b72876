import http from "node:http";
import type { AddressInfo } from "node:net";
import { formatResetDuration } from "../capacity/duration.js";
import { CHAT_RESPONSE } from "../lib/requests.js";

/**
 * How a simulated Azure deployment behaves besides its quota:
 * - `healthy`: a fixed-window limiter, latency, an immediate 429 beyond the limit;
 * - `hung`: accepts the connection and the request, never answers (not even headers);
 * - `down-until`: answers 500 (after the usual latency) until `untilMs` after the run's start, then healthy.
 */
export type Behaviour =
  | { readonly kind: "healthy" }
  | { readonly kind: "hung" }
  | { readonly kind: "down-until"; readonly untilMs: number };

/** One simulated Azure OpenAI deployment of the overload benchmark. */
export interface OverloadBackendOptions {
  /** Requests admitted per window; the rest get an immediate 429 until the window ends. */
  readonly limit: number;
  readonly windowMs: number;
  /**
   * Non-streamed: the whole answer after a uniform time in [min, max] ms (headers included, as Azure sends
   * them only when the completion is ready). Streamed: headers at once, the first content after that time.
   */
  readonly latencyMs: readonly [number, number];
  /**
   * `x-ratelimit-limit-*`, `x-ratelimit-remaining-*` and `x-ratelimit-reset-*` (requests and tokens) on
   * every success and on a 429; without it a 429 carries only `retry-after-ms` and `retry-after`.
   */
  readonly quotaHeaders: boolean;
  readonly behaviour: Behaviour;
  readonly random: () => number;
}

/** What one backend saw during a run, counted on the server. */
export interface OverloadCounts {
  /** Every request that reached it (a call). */
  received: number;
  successes: number;
  throttled: number;
  /** 500s while down. */
  errors: number;
  /** Requests held open without an answer (hung). */
  hung: number;
  /** When each successful request was admitted, ms after the run's start. */
  readonly admittedAtMs: number[];
}

/** Chunks of a streamed answer after the first: one every {@link STREAM_CHUNK_INTERVAL_MS}. */
export const STREAM_CHUNKS = 10;
export const STREAM_CHUNK_INTERVAL_MS = 10;
/** Token quota per admitted request, so that tokens never bind before requests do (the figures are about requests). */
const TOKENS_PER_REQUEST_LIMIT = 1000;
/** Tokens one request uses in the simulated token count. */
const TOKENS_PER_REQUEST = 30;

const chat = Buffer.from(CHAT_RESPONSE);

function chunk(content: string | null, finish: string | null): string {
  const delta = content === null ? {} : { content };
  return `data: ${JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "gpt-4o-mini",
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  })}\n\n`;
}

/**
 * A loopback HTTP server standing for one Azure OpenAI deployment, with a fixed-window request limit
 * (windows start at the run's start, so the ideal schedule is known exactly).
 */
export class OverloadBackend {
  readonly options: OverloadBackendOptions;
  counts: OverloadCounts = { received: 0, successes: 0, throttled: 0, errors: 0, hung: 0, admittedAtMs: [] };
  #start = 0;
  #window = 0;
  #admitted = 0;
  readonly #server: http.Server;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(options: OverloadBackendOptions) {
    this.options = options;
    this.#server = http.createServer((request, response) => {
      const parts: Buffer[] = [];
      request.on("data", (part: Buffer) => parts.push(part));
      request.on("end", () => {
        let stream = false;
        try {
          stream = JSON.parse(Buffer.concat(parts).toString("utf8")).stream === true;
        } catch {
          // Not JSON: answered as a non-streamed request.
        }
        this.#answer(response, stream);
      });
    });
    this.#server.keepAliveTimeout = 60_000;
  }

  /** Listens on a free loopback port; resolves with the origin. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Starts a run: windows and the outage count from `start` (epoch ms), counters from zero. */
  reset(start: number): void {
    this.#start = start;
    this.#window = 0;
    this.#admitted = 0;
    this.counts = { received: 0, successes: 0, throttled: 0, errors: 0, hung: 0, admittedAtMs: [] };
  }

  /** Closes every connection (hung ones included) and the server. */
  close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }

  /** Moves to the window of `now`; returns ms until that window ends. */
  #roll(now: number): number {
    const { windowMs } = this.options;
    const window = Math.floor((now - this.#start) / windowMs);
    if (window !== this.#window) {
      this.#window = window;
      this.#admitted = 0;
    }
    return Math.max(1, Math.ceil(this.#start + (window + 1) * windowMs - now));
  }

  #quota(): Record<string, string> {
    if (!this.options.quotaHeaders) return {};
    const resetMs = this.#roll(Date.now());
    const { limit } = this.options;
    const reset = formatResetDuration(resetMs);
    const remaining = Math.max(0, limit - this.#admitted);
    return {
      "x-ratelimit-limit-requests": String(limit),
      "x-ratelimit-remaining-requests": String(remaining),
      "x-ratelimit-reset-requests": reset,
      "x-ratelimit-limit-tokens": String(limit * TOKENS_PER_REQUEST_LIMIT),
      "x-ratelimit-remaining-tokens": String(limit * TOKENS_PER_REQUEST_LIMIT - this.#admitted * TOKENS_PER_REQUEST),
      "x-ratelimit-reset-tokens": reset,
    };
  }

  #answer(response: http.ServerResponse, stream: boolean): void {
    const { limit, latencyMs, behaviour, random } = this.options;
    this.counts.received++;
    const latency = latencyMs[0] + random() * (latencyMs[1] - latencyMs[0]);
    const now = Date.now();
    if (behaviour.kind === "hung") {
      this.counts.hung++;
      return; // The connection stays open; nothing is ever written.
    }
    if (behaviour.kind === "down-until" && now - this.#start < behaviour.untilMs) {
      this.counts.errors++;
      this.#later(latency, () =>
        this.#json(response, 500, {
          error: { code: "InternalServerError", message: "The server had an error while processing your request." },
        }),
      );
      return;
    }
    const waitMs = this.#roll(now);
    if (this.#admitted >= limit) {
      this.counts.throttled++;
      this.#json(
        response,
        429,
        {
          error: {
            code: "429",
            message: `Requests to the ChatCompletions_Create Operation have exceeded the rate limit. Please retry after ${Math.ceil(waitMs / 1000)} seconds.`,
          },
        },
        { ...this.#quota(), "retry-after-ms": String(waitMs), "retry-after": String(Math.ceil(waitMs / 1000)) },
      );
      return;
    }
    this.#admitted++;
    this.counts.admittedAtMs.push(now - this.#start);
    if (stream) {
      this.#stream(response, latency);
      return;
    }
    this.#later(latency, () => {
      if (response.destroyed) return;
      this.counts.successes++;
      response.writeHead(200, { ...this.#quota(), "content-type": "application/json", "content-length": chat.length });
      response.end(chat);
    });
  }

  /** Headers at once (as Azure sends them for a stream), the first content after `latency`, then the rest. */
  #stream(response: http.ServerResponse, latency: number): void {
    response.writeHead(200, { ...this.#quota(), "content-type": "text/event-stream", "cache-control": "no-cache" });
    response.flushHeaders();
    let sent = 0;
    const next = (): void => {
      if (response.destroyed) return;
      if (sent < STREAM_CHUNKS) {
        response.write(chunk(sent === 0 ? "Hi" : " there", null));
        sent++;
        this.#later(STREAM_CHUNK_INTERVAL_MS, next);
        return;
      }
      this.counts.successes++;
      response.end(`${chunk(null, "stop")}data: [DONE]\n\n`);
    };
    this.#later(latency, next);
  }

  #json(response: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (response.destroyed) return;
    const bytes = Buffer.from(JSON.stringify(body));
    response.writeHead(status, { ...headers, "content-type": "application/json", "content-length": bytes.length });
    response.end(bytes);
  }
}
