import type { LoadBalancer, Snapshot } from "../types/balancer.ts";
import type { LoadBalancerEvent } from "../types/events.ts";
import { unrefTimer } from "../utils/timers.ts";
import { sseComment, sseEvent } from "./sse.ts";

/** What one events stream needs of the balancer. */
export type WatchedBalancer = Pick<LoadBalancer, "on" | "snapshot">;

/** Settings of one events stream; see {@link EventsHandlerOptions}. */
export interface EventStreamSettings {
  readonly heartbeatMs: number;
  readonly maxBufferedEvents: number;
  readonly snapshotDelayMs: number;
}

/** The longest delay a timer accepts (2^31-1 ms); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** When the soonest cooling backend of `snapshot` comes back, ms from its `at`; `undefined` when none cools. */
function soonestUntilMs(snapshot: Snapshot): number | undefined {
  let soonest: number | undefined;
  for (const backend of snapshot.backends) {
    // `deployments` may be missing from a snapshot of a balancer of an older version.
    for (const until of [backend.until, ...(backend.deployments ?? []).map((deployment) => deployment.until)]) {
      if (until !== null && until > snapshot.at) soonest = Math.min(soonest ?? Infinity, until - snapshot.at);
    }
  }
  return soonest;
}

/**
 * The server-sent events of one client: `snapshot` first, then every balancer event as it comes,
 * and a fresh `snapshot` shortly after events and when a cooldown is due to end (so a client's
 * view needs no state machine of its own). A client that reads slower than events come cannot
 * grow memory: once `maxBufferedEvents` chunks wait unread, further events are dropped, and when
 * it catches up it gets a `dropped` event with their count followed by a fresh `snapshot`.
 * Everything is released when the client goes (`signal` aborts or the body is cancelled).
 */
export function eventStream(
  lb: WatchedBalancer,
  settings: EventStreamSettings,
  signal: AbortSignal | undefined,
): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let unsubscribe: (() => void) | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let snapshotTimer: ReturnType<typeof setTimeout> | undefined;
  let snapshotDueAt = Infinity;
  let dropped = 0;
  let closed = false;

  const release = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe?.();
    clearInterval(heartbeat);
    clearTimeout(snapshotTimer);
    signal?.removeEventListener("abort", onAbort);
  };
  const onAbort = (): void => {
    release();
    try {
      controller.close();
    } catch {
      // already closed or errored by the runtime
    }
  };
  const hasRoom = (): boolean => (controller.desiredSize ?? 0) > 0;

  const scheduleSnapshot = (delayMs: number): void => {
    const dueAt = Date.now() + delayMs;
    if (closed || dueAt >= snapshotDueAt) return;
    clearTimeout(snapshotTimer);
    snapshotDueAt = dueAt;
    snapshotTimer = setTimeout(sendSnapshot, Math.min(Math.max(0, delayMs), MAX_TIMER_MS));
    unrefTimer(snapshotTimer);
  };
  function sendSnapshot(): void {
    snapshotDueAt = Infinity;
    snapshotTimer = undefined;
    if (closed) return;
    const snapshot = lb.snapshot();
    controller.enqueue(sseEvent("snapshot", snapshot));
    // A few ms late, so the server's balancer has ended the cooldown when the snapshot is taken.
    const untilMs = soonestUntilMs(snapshot);
    if (untilMs !== undefined) scheduleSnapshot(untilMs + 20);
  }
  const catchUp = (): void => {
    if (dropped === 0 || closed || !hasRoom()) return;
    controller.enqueue(sseEvent("dropped", { count: dropped, at: Date.now() }));
    dropped = 0;
    sendSnapshot();
  };
  const onEvent = (event: LoadBalancerEvent): void => {
    if (!hasRoom()) {
      dropped++;
      return;
    }
    catchUp();
    controller.enqueue(sseEvent(event.type, event));
    scheduleSnapshot(settings.snapshotDelayMs);
  };

  return new ReadableStream<Uint8Array>(
    {
      start(streamController) {
        controller = streamController;
        if (signal?.aborted) {
          closed = true;
          controller.close();
          return;
        }
        signal?.addEventListener("abort", onAbort, { once: true });
        sendSnapshot();
        unsubscribe = lb.on("*", onEvent);
        heartbeat = setInterval(
          () => {
            if (hasRoom()) controller.enqueue(sseComment("heartbeat"));
          },
          Math.min(settings.heartbeatMs, MAX_TIMER_MS),
        );
        unrefTimer(heartbeat);
      },
      // Called as the client reads: the moment to tell it what it missed.
      pull: catchUp,
      cancel: release,
    },
    new CountQueuingStrategy({ highWaterMark: settings.maxBufferedEvents }),
  );
}
