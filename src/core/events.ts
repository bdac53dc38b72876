import type { LoadBalancerEvent } from "../types/events.ts";

type Listener = (event: LoadBalancerEvent) => void;

/**
 * A small typed emitter. Not EventTarget: there, a listener that throws is reported as an
 * uncaught exception (which ends a Node process), and a listener must never break a request.
 */
export class Emitter {
  // One entry per subscription, so the same function subscribed twice unsubscribes independently.
  readonly #entries = new Set<{ type: string; listener: Listener }>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  /** `false` when nobody listens, so the hot path can skip building events at all. */
  get active(): boolean {
    return this.#entries.size > 0;
  }

  on(type: string, listener: Listener): () => void {
    const entry = { type, listener };
    this.#entries.add(entry);
    return () => void this.#entries.delete(entry);
  }

  emit(event: LoadBalancerEvent): void {
    for (const { type, listener } of this.#entries) {
      if (type !== event.type && type !== "*") continue;
      try {
        listener(event);
      } catch (error) {
        // A listener's failure is its own: it is reported, and the request goes on.
        this.#onListenerError(error);
      }
    }
  }
}
