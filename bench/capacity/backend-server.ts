import http from "node:http";
import type { AddressInfo } from "node:net";
import { CHAT_RESPONSE } from "../lib/requests.js";
import { formatResetDuration } from "./duration.js";

/** How a simulated backend tells the client to wait: setting A or setting B of the benchmark. */
export type RetryHeaders = "retry-after" | "x-ratelimit-reset";

/** One simulated Azure OpenAI deployment. */
export interface SimulatedBackendOptions {
  /** Requests admitted per window; the rest get 429 until the window ends. */
  readonly limit: number;
  readonly windowMs: number;
  /** A successful (or 500) answer takes a uniform time in [min, max] ms; a 429 is immediate. */
  readonly latencyMs: readonly [number, number];
  /** Share of requests answered 500 (after the latency), before the limiter: a 500 uses no quota. */
  readonly failureRate: number;
  readonly retryHeaders: RetryHeaders;
  readonly random: () => number;
}

/** What one backend saw during a run, counted on the server. */
export interface BackendCounts {
  successes: number;
  throttled: number;
  errors: number;
  /** When each successful request was admitted, ms after the run's start. */
  readonly admittedAtMs: number[];
}

const chat = Buffer.from(CHAT_RESPONSE);

/**
 * A loopback HTTP server with a fixed-window request limit (windows start at the run's start, so
 * the ideal schedule is known exactly), latency, and optional random 500s.
 */
export class SimulatedBackend {
  readonly options: SimulatedBackendOptions;
  counts: BackendCounts = { successes: 0, throttled: 0, errors: 0, admittedAtMs: [] };
  #start = 0;
  #window = 0;
  #admitted = 0;
  readonly #server: http.Server;

  constructor(options: SimulatedBackendOptions) {
    this.options = options;
    this.#server = http.createServer((request, response) => {
      request.resume();
      request.on("end", () => this.#answer(response));
    });
  }

  /** Listens on a free loopback port; resolves with the origin. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Starts a run: windows count from `start` (epoch ms), counters from zero. */
  reset(start: number): void {
    this.#start = start;
    this.#window = 0;
    this.#admitted = 0;
    this.counts = { successes: 0, throttled: 0, errors: 0, admittedAtMs: [] };
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #answer(response: http.ServerResponse): void {
    const { limit, windowMs, latencyMs, failureRate, random } = this.options;
    const latency = latencyMs[0] + random() * (latencyMs[1] - latencyMs[0]);
    if (random() < failureRate) {
      this.counts.errors++;
      setTimeout(
        () => this.#json(response, 500, { error: { message: "Internal server error", type: "server_error" } }),
        latency,
      );
      return;
    }
    const now = Date.now();
    const window = Math.floor((now - this.#start) / windowMs);
    if (window !== this.#window) {
      this.#window = window;
      this.#admitted = 0;
    }
    if (this.#admitted >= limit) {
      this.counts.throttled++;
      const waitMs = Math.max(1, Math.ceil(this.#start + (window + 1) * windowMs - now));
      this.#json(
        response,
        429,
        { error: { message: "Rate limit reached", type: "rate_limit_exceeded", code: "429" } },
        this.#retryHeaders(waitMs),
      );
      return;
    }
    this.#admitted++;
    this.counts.admittedAtMs.push(now - this.#start);
    setTimeout(() => {
      this.counts.successes++;
      response.writeHead(200, { "content-type": "application/json", "content-length": chat.length });
      response.end(chat);
    }, latency);
  }

  #retryHeaders(waitMs: number): Record<string, string> {
    const limits = { "x-ratelimit-limit-requests": String(this.options.limit), "x-ratelimit-remaining-requests": "0" };
    if (this.options.retryHeaders === "x-ratelimit-reset") {
      return { ...limits, "x-ratelimit-reset-requests": formatResetDuration(waitMs) };
    }
    return { ...limits, "retry-after-ms": String(waitMs), "retry-after": String(Math.ceil(waitMs / 1000)) };
  }

  #json(response: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const bytes = Buffer.from(JSON.stringify(body));
    response.writeHead(status, { ...headers, "content-type": "application/json", "content-length": bytes.length });
    response.end(bytes);
  }
}
