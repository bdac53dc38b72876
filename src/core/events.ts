import type { LoadBalancerEvent } from "../types/events.js";

type Listener = (event: LoadBalancerEvent) => void;

/**
 * A small typed emitter. Not EventTarget: there, a listener that throws is reported as an
 * uncaught exception (which ends a Node process), and a listener must never break a request.
 */
export class Emitter {
  #listeners = new Map<string, Set<Listener>>();
  #count = 0;
  #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  /** `false` when nobody listens, so the hot path can skip building events at all. */
  get active(): boolean {
    return this.#count > 0;
  }

  on(type: string, listener: Listener): () => void {
    let set = this.#listeners.get(type);
    if (set === undefined) this.#listeners.set(type, (set = new Set()));
    // A wrapper per subscription, so the same function subscribed twice unsubscribes independently.
    const entry: Listener = (event) => listener(event);
    set.add(entry);
    this.#count++;
    return () => {
      if (set.delete(entry)) this.#count--;
    };
  }

  emit(event: LoadBalancerEvent): void {
    this.#call(this.#listeners.get(event.type), event);
    this.#call(this.#listeners.get("*"), event);
  }

  #call(set: Set<Listener> | undefined, event: LoadBalancerEvent): void {
    if (set === undefined) return;
    for (const listener of set) {
      try {
        listener(event);
      } catch (error) {
        // A listener's failure is its own: it is reported, and the request goes on.
        this.#onListenerError(error);
      }
    }
  }
}
