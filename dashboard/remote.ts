import type { LoadBalancerEvent, Snapshot } from "../src/index.ts";
import { sseParser } from "./sse.ts";
import type { DashboardBalancer } from "./types.ts";

/** Where a {@link RemoteBalancer}'s stream stands. */
export type ConnectionState = "connecting" | "connected" | "disconnected" | "unauthorized";

/** Options of {@link remoteBalancer}. */
export interface RemoteBalancerOptions {
  /** Sent as `Authorization: Bearer <token>`, as `eventsHandler(lb, { token })` expects. */
  token?: string | undefined;
  /** The first reconnect waits this long, doubling up to `maxBackoffMs`, ms. Default `500`. */
  minBackoffMs?: number;
  /** The longest wait between reconnects, ms. Default `15_000`. */
  maxBackoffMs?: number;
  /** The `fetch` to use. Default: the global one. */
  fetch?: typeof fetch;
}

/** A balancer served elsewhere by `eventsHandler`, seen through its events stream. */
export interface RemoteBalancer extends DashboardBalancer {
  /** Where the stream stands now. */
  readonly connection: ConnectionState;
  /** Calls `listener` when the connection state or the snapshot changes; returns the unsubscribe. */
  watch(listener: () => void): () => void;
  /** Stops streaming (aborts the request, clears the reconnect timer) until a listener subscribes again. */
  close(): void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`remoteBalancer: ${name} must be a positive number, got ${String(value)}`);
  return value;
}

/**
 * A balancer's `on`/`snapshot` read from another process's `eventsHandler` (server-sent events over
 * `fetch`, since `EventSource` cannot send an `Authorization` header). It streams while anything
 * listens (so `mountDashboard`'s unmount ends it) and reconnects on its own with capped backoff.
 *
 * @example
 * const unmount = mountDashboard(remoteBalancer("/lb/events", { token }));
 *
 * @throws {TypeError} when an option is invalid.
 */
export function remoteBalancer(url: string | URL, options: RemoteBalancerOptions = {}): RemoteBalancer {
  const minBackoffMs = positive("minBackoffMs", options.minBackoffMs, 500);
  const maxBackoffMs = Math.max(minBackoffMs, positive("maxBackoffMs", options.maxBackoffMs, 15_000));
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;

  const listeners = new Set<(event: LoadBalancerEvent) => void>();
  const watchers = new Set<() => void>();
  let connection: ConnectionState = "disconnected";
  let latest: Snapshot = { at: Date.now(), backends: [], queue: { waiting: 0, oldestWaitMs: 0, maxWaitedMs: 0 } };
  // The snapshot's clock is the server's: it is moved on by the time elapsed here (monotonic), so countdowns hold under skew.
  let receivedAt = performance.now();
  let abort: AbortController | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;
  let failures = 0;

  const notify = (): void => {
    for (const watcher of [...watchers]) watcher();
  };
  const setConnection = (next: ConnectionState): void => {
    if (next === connection) return;
    connection = next;
    notify();
  };
  const receive = (type: string, data: string): void => {
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      return;
    }
    if (type === "snapshot") {
      latest = value as Snapshot;
      receivedAt = performance.now();
      notify();
    } else if (type !== "dropped") {
      for (const listener of [...listeners]) listener(value as LoadBalancerEvent);
    }
  };

  async function stream(signal: AbortSignal): Promise<void> {
    const response = await (options.fetch ?? fetch)(url, { headers, signal, cache: "no-store" });
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      setConnection("unauthorized");
      return;
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      throw new Error(`events stream answered ${response.status}`);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const push = sseParser();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || signal.aborted) return;
        for (const message of push(value)) {
          if (message.type === "snapshot") {
            failures = 0;
            setConnection("connected");
          }
          receive(message.type, message.data);
        }
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  function connect(): void {
    retry = null;
    const controller = new AbortController();
    abort = controller;
    if (connection !== "unauthorized") setConnection("connecting");
    stream(controller.signal)
      .catch(() => {})
      .then(() => {
        if (abort !== controller) return;
        abort = null;
        if (connection !== "unauthorized") setConnection("disconnected");
        const delay = Math.min(minBackoffMs * 2 ** failures, maxBackoffMs, MAX_TIMER_MS);
        failures++;
        retry = setTimeout(connect, delay);
      });
  }

  function start(): void {
    if (abort === null && retry === null) connect();
  }

  function close(): void {
    abort?.abort();
    abort = null;
    if (retry !== null) clearTimeout(retry);
    retry = null;
    setConnection("disconnected");
  }

  const subscribe = <T>(set: Set<T>, item: T): (() => void) => {
    set.add(item);
    start();
    return () => {
      set.delete(item);
      if (listeners.size === 0 && watchers.size === 0) close();
    };
  };

  return {
    get connection() {
      return connection;
    },
    on(type: string, listener: (event: LoadBalancerEvent) => void): () => void {
      return subscribe(listeners, (event: LoadBalancerEvent) => {
        if (type === "*" || type === event.type) listener(event);
      });
    },
    snapshot: (): Snapshot => {
      const elapsed = performance.now() - receivedAt;
      const queue = { ...latest.queue };
      // The oldest waiter (if it still waits) has waited as much longer as the snapshot is old.
      if (queue.waiting > 0) queue.oldestWaitMs += elapsed;
      return { ...latest, at: latest.at + elapsed, queue };
    },
    watch: (listener) => subscribe(watchers, listener),
    close,
  } as RemoteBalancer;
}
