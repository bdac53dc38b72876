/**
 * Simulated backends for every suite: one record of what each backend received, and one set of
 * behaviours (answers) that the same backends play in three ways:
 *
 * - in process, as the balancer's injected `fetch` ({@link SimulatedBackends.fetch}): no network, works
 *   in Node, Deno, Bun and browsers (this file uses WHATWG APIs only);
 * - behind msw, which intercepts the global `fetch` (`test/support/msw.ts`);
 * - on real loopback sockets with `node:http` (`test/support/server.ts`).
 *
 * A backend is named by its route: an origin (`https://ptu.example.com`) or an origin and path prefix
 * (`https://gw.example.com/paygo`). A request goes to the longest route its URL starts with.
 *
 * @module
 */

/** What one simulated backend received, read the way a server reads it. */
export interface Received {
  /** The route (see {@link SimulatedBackends}) that received it. */
  readonly backend: string;
  readonly method: string;
  /** The full URL, query included. */
  readonly url: string;
  /** Header names in lower case, as servers see them. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body decoded as UTF-8; `""` when there was none. */
  readonly body: string;
  /** The raw body, for binary and multipart payloads. */
  readonly bytes: Uint8Array<ArrayBuffer>;
}

/** What an {@link Answer} is given. */
export interface Exchange {
  /** The request, with its body re-readable and the caller's signal. */
  readonly request: Request;
  /** The record already added to {@link SimulatedBackends.received}. */
  readonly received: Received;
  /** Aborts when the client gives up (its signal, or a closed socket). */
  readonly signal: AbortSignal;
}

/**
 * How a backend answers. Throwing, or returning `Response.error()`, is a network error: `fetch`
 * rejects with a `TypeError`, msw fails the request, the socket server destroys the connection.
 */
export type Answer = (exchange: Exchange) => Response | Promise<Response>;

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const never: AbortSignal = new AbortController().signal;

/** Thrown (or returned by `fetch`'s rejection) for a network error, as undici words it. */
const networkError = (url: string): TypeError => new TypeError(`fetch failed: nothing answered at ${url}`);

/**
 * A set of simulated backends sharing one record, {@link received}, in arrival order.
 *
 * ```ts
 * const backends = new SimulatedBackends({ "https://ptu.test": answer(429), "https://paygo.test": () => ok() });
 * const lb = createLoadBalancer({ backends: [...], fetch: backends.fetch });
 * expect(backends.calls("https://paygo.test")).toHaveLength(1);
 * ```
 */
export class SimulatedBackends {
  /** Every request any of these backends received, in order. */
  readonly received: Received[] = [];
  readonly #routes = new Map<string, Answer>();
  readonly #ids = new Map<string, string>();

  constructor(routes: Readonly<Record<string, Answer>> = {}) {
    for (const [route, answer] of Object.entries(routes)) this.route(route, answer);
  }

  /** Adds (or replaces) the backend at `route`. */
  route(route: string, answer: Answer): this {
    this.#routes.set(route.replace(/\/+$/, ""), answer);
    return this;
  }

  /** The routes served, in the order they were added. */
  routes(): string[] {
    return [...this.#routes.keys()];
  }

  /** What was received at URLs starting with `prefix` (a route, or any part of a URL). */
  calls(prefix: string): Received[] {
    return this.received.filter((received) => received.url.startsWith(prefix));
  }

  /** The backend (route) of each request received, in order. */
  order(): string[] {
    return this.received.map(({ backend }) => backend);
  }

  /** The origin of each request received, in order. */
  origins(): string[] {
    return this.received.map(({ url }) => new URL(url).origin);
  }

  /** The route that serves `url`: the longest route it starts with. */
  routeOf(url: string): string | undefined {
    let best: string | undefined;
    for (const route of this.#routes.keys()) {
      const matches = url === route || url.startsWith(`${route}/`) || url.startsWith(`${route}?`);
      if (matches && (best === undefined || route.length > best.length)) best = route;
    }
    return best;
  }

  /**
   * A new id (`{prefix}_{n}`) that `route` issued, e.g. for a stored response or an uploaded file;
   * {@link issuerOf} says which backend owns it, as a stateful API would.
   */
  issueId(route: string, prefix: string): string {
    const id = `${prefix}_${this.#ids.size + 1}`;
    this.#ids.set(id, route.replace(/\/+$/, ""));
    return id;
  }

  /** The route that issued `id` with {@link issueId}, if any. */
  issuerOf(id: string): string | undefined {
    return this.#ids.get(id);
  }

  /**
   * Records `request` as received by `route` (default: the route its URL matches), then answers it.
   * Rejects with a `TypeError` for a network error. The transport adapters (msw, the socket server)
   * call this; tests use {@link fetch}.
   */
  async handle(
    request: Request,
    signal: AbortSignal = request.signal,
    route = this.routeOf(request.url),
  ): Promise<Response> {
    const answer = route === undefined ? undefined : this.#routes.get(route);
    if (route === undefined || answer === undefined) throw networkError(request.url);
    // Headers first: Bun drops the content-type it derives from the body once the body is read.
    const headers = Object.fromEntries(request.headers);
    const bytes = new Uint8Array(await request.arrayBuffer());
    const received: Received = {
      backend: route,
      method: request.method,
      url: request.url,
      headers,
      body: decoder.decode(bytes),
      bytes,
    };
    this.received.push(received);
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    const replay = new Request(request.url, {
      method: request.method,
      headers: request.headers,
      body: hasBody ? bytes : null,
    });
    const response = await answer({ request: replay, received, signal });
    if (response.type === "error") throw networkError(request.url);
    return response;
  }

  /**
   * These backends as an injected `fetch`: no network; the request the network would carry is
   * built with `new Request(input, init)`, recorded and answered.
   */
  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    // undici links a Request's signal to the caller's by a weak reference: keep the caller's own.
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ?? never;
    return this.handle(request, signal);
  };
}

// Answers -----------------------------------------------------------------------------------------

/** A JSON answer, 200 unless `init` says otherwise. */
export const ok = (body: unknown = { ok: true }, init: ResponseInit = {}): Response =>
  Response.json(body, { status: 200, ...init });

/** An answer with `status`, `headers` and the status as its body. */
export const answer =
  (status: number, headers?: Record<string, string>): Answer =>
  () =>
    new Response(String(status), { status, headers });

/** A 429 with exactly `headers` (e.g. `{ "retry-after": "2" }`). */
export const tooMany = (headers: Record<string, string> = {}): Response =>
  Response.json({ error: { code: "429", message: "Rate limit" } }, { status: 429, headers });

/** A 429 in Azure OpenAI's shape, asking for `retryAfterMs` of rest in both retry headers. */
export const throttled = (retryAfterMs = 60_000): Response =>
  Response.json(
    { error: { code: "429", message: "Requests to the deployment have exceeded the rate limit." } },
    {
      status: 429,
      headers: { "retry-after-ms": String(retryAfterMs), "retry-after": String(Math.ceil(retryAfterMs / 1000)) },
    },
  );

/** Azure OpenAI's and OpenAI's remaining-quota headers, to spread over a response's headers. */
export const quotaHeaders = (quota: {
  remainingRequests?: number;
  remainingTokens?: number;
  resetRequests?: string;
  resetTokens?: string;
}): Record<string, string> => {
  const headers: Record<string, string> = {};
  if (quota.remainingRequests !== undefined)
    headers["x-ratelimit-remaining-requests"] = String(quota.remainingRequests);
  if (quota.remainingTokens !== undefined) headers["x-ratelimit-remaining-tokens"] = String(quota.remainingTokens);
  if (quota.resetRequests !== undefined) headers["x-ratelimit-reset-requests"] = quota.resetRequests;
  if (quota.resetTokens !== undefined) headers["x-ratelimit-reset-tokens"] = quota.resetTokens;
  return headers;
};

/** Answers with what it received, as JSON (a {@link Received} without `bytes`), for tests that see only the response. */
export const echo: Answer = ({ received }) => {
  const { bytes: _bytes, ...rest } = received;
  return Response.json(rest);
};

/** Always a network error (connection refused or reset). */
export const unreachable: Answer = ({ request }) => {
  throw networkError(request.url);
};

/**
 * `answer` for POST requests; any other method gets Azure's 404 for an unknown route. The openai
 * package probes its `fetch` with a GET of `data:,` before its first multipart upload, which the
 * balancer forwards to a backend as `GET {backend}/data:,`.
 */
export const onlyPost =
  (answer: Answer): Answer =>
  (exchange) =>
    exchange.request.method === "POST" ? answer(exchange) : new Response("Resource not found", { status: 404 });

/** Never answers; rejects with the signal's reason once the client aborts. */
export const hang: Answer = ({ signal }) =>
  new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

/** Waits `ms` (on the timers, so fake timers drive it), or rejects when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/**
 * A server-sent event stream: `data: JSON` per event (strings as they are), then `data: [DONE]`,
 * each chunk after `delayMs` (0: all at once).
 */
export function eventStream(
  events: readonly unknown[],
  {
    delayMs = 0,
    done = true,
    signal = never,
    headers = {},
  }: {
    /** The wait before each chunk. */
    delayMs?: number;
    /** Whether `data: [DONE]` ends the stream, as OpenAI's does. */
    done?: boolean;
    /** Stops the waits when the client aborts (pass the exchange's). */
    signal?: AbortSignal;
    headers?: Record<string, string>;
  } = {},
): Response {
  const data = events.map((event) => (typeof event === "string" ? event : JSON.stringify(event)));
  const chunks = done ? [...data, "[DONE]"] : data;
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (delayMs > 0) await sleep(delayMs, signal);
      controller.enqueue(encoder.encode(`data: ${chunks[next++]}\n\n`));
      if (next === chunks.length) controller.close();
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-store", ...headers },
  });
}

/**
 * A server-sent event stream of `events` that holds the last one until `release()` is called,
 * so a test can prove that earlier events reached the caller while the backend was still streaming.
 */
export function heldEventStream(events: readonly unknown[]): {
  response: () => Response;
  release: () => void;
  isFinished: () => boolean;
} {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let finished = false;
  let next = 0;
  const response = (): Response =>
    new Response(
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

/**
 * Answers held until the test opens them, to have requests in flight at once:
 * `gate.hold(() => ok())` answers only after `gate.open()` / `gate.openAll()`.
 */
export class Gate {
  readonly #waiting: Array<() => void> = [];

  /** How many answers are held. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** `answer`, held until opened. */
  hold(answer: Answer): Answer {
    return async (exchange) => {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
      return answer(exchange);
    };
  }

  /** Releases the held answer at `index` (arrival order). */
  open(index = 0): void {
    const release = this.#waiting[index];
    if (release === undefined) throw new Error(`no held answer at ${index}; ${this.#waiting.length} held`);
    release();
  }

  /** Releases every answer held so far. */
  openAll(): void {
    for (const release of this.#waiting.splice(0)) release();
  }
}

// Reading what was received ------------------------------------------------------------------------

/** Parses a received JSON body. */
export const json = (received: Received | undefined): unknown => JSON.parse(received?.body ?? "");

/** Parses a received multipart body. */
export const formData = (received: Received | undefined): Promise<FormData> =>
  new Response(received?.bytes, { headers: { "content-type": received?.headers["content-type"] ?? "" } }).formData();

/** `array[index]`, failing when it is missing (tests index into what backends received). */
export function at<T>(array: readonly T[], index: number): T {
  const item = array[index];
  if (item === undefined) throw new Error(`expected an item at index ${index}, have ${array.length}`);
  return item;
}
