import type { FetchFunction } from "../../src/index.js";

/** What a fake backend received, read the way a server would read it. */
export interface Received {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: Uint8Array<ArrayBuffer>;
  /** The signal the balancer passed to fetch. */
  readonly signal: AbortSignal | undefined;
}

/** How one fake backend answers. Throwing is a network error. */
export type Behaviour = (received: Received) => Response | Promise<Response>;

/** A fixed instant, so cooldowns derived from headers are exact. */
export const T0: number = Date.UTC(2025, 0, 1, 0, 0, 0);

/** A clock the tests move by hand. */
export interface Clock {
  now: number;
  readonly read: () => number;
}

/** A {@link Clock} starting at {@link T0}. */
export function clock(): Clock {
  const state = { now: T0, read: (): number => state.now };
  return state;
}

/**
 * Backends without a network: an injected `fetch` that routes by origin to a {@link Behaviour}
 * and records every request it received, in order.
 */
export class FakeNetwork {
  readonly received: Received[] = [];
  readonly #routes = new Map<string, Behaviour>();

  /** Serves `origin` (e.g. `https://a.test`) with `behaviour`. */
  route(origin: string, behaviour: Behaviour): this {
    this.#routes.set(origin, behaviour);
    return this;
  }

  /** The origins of the requests received so far, in order. */
  origins(): string[] {
    return this.received.map(({ url }) => new URL(url).origin);
  }

  readonly fetch: FetchFunction = async (input, init) => {
    const request = new Request(input, init);
    const received: Received = {
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: new Uint8Array(await request.arrayBuffer()),
      signal: init?.signal ?? undefined,
    };
    this.received.push(received);
    const behaviour = this.#routes.get(new URL(request.url).origin);
    if (behaviour === undefined) throw new TypeError(`fetch failed: nothing listens at ${request.url}`);
    return behaviour(received);
  };
}

/** A response with `status` and `headers`, body `status`. */
export const reply =
  (status: number, headers?: Record<string, string>): Behaviour =>
  () =>
    new Response(String(status), { status, headers });

/** Always a network error, as fetch reports it. */
export const unreachable: Behaviour = () => {
  throw new TypeError("fetch failed");
};

/** Never answers; rejects with the signal's reason once the balancer or the caller aborts. */
export const hang: Behaviour = ({ signal }) =>
  new Promise((_, reject) => {
    if (signal === undefined) return;
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

/** `array[index]`, failing when it is missing (the tests index into what backends received). */
export function at<T>(array: readonly T[], index: number): T {
  const item = array[index];
  if (item === undefined) throw new Error(`expected an item at index ${index}, have ${array.length}`);
  return item;
}

/** Resolves after the pending microtasks and one macrotask. */
export const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
