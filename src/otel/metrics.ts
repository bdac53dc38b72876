import type { Attributes, BatchObservableResult, Meter, Observable } from "@opentelemetry/api";
import type { LoadBalancer, PacingSnapshot } from "../types/balancer.ts";
import type { LoadBalancerEvent } from "../types/events.ts";

const STATES = ["available", "cooling", "ejected", "probing"] as const;

/** Per request: the attempts' time on backends, to tell the time spent in the balancer. */
interface OpenRequest {
  backendMs: number;
}

/** Requests that never end (a caller that never aborts nor reads) must not grow this map without bound. */
const MAX_OPEN = 10_000;

/** An instrument: its name, description, unit, and for a histogram its bucket boundaries. */
type Spec = readonly [name: string, description: string, unit: string, boundaries?: number[]];

/** The counters, fed by events. */
const COUNTERS = {
  attempts: ["lb.attempts", "Attempts sent to backends", "{attempt}"],
  outcomes: ["lb.outcomes", "Ends of attempts, by result (response, failure, aborted) and failure reason", "{attempt}"],
  cooldowns: ["lb.cooldowns", "Transitions of a backend (or deployment) into a cooldown", "{cooldown}"],
  exhausted: [
    "lb.exhausted",
    "Times no backend was available for a request, by whether the balancer waited",
    "{event}",
  ],
} as const satisfies Record<string, Spec>;

/** The histograms, fed by events. */
const HISTOGRAMS = {
  attemptDuration: ["lb.attempt.duration", "From sending an attempt to its response headers or failure", "s"],
  waited: [
    "lb.request.wait",
    "Time a request spent in the balancer and not on a backend (waits for a recovery, routing)",
    "s",
  ],
  callsPerResponse: [
    "lb.request.attempts",
    "Backend calls made for each response handed back to the caller",
    "{attempt}",
    [1, 2, 3, 4, 5, 8],
  ],
  queueWait: [
    "lb.queue.wait",
    "Time a request waited in the balancer's queue, by how it left it (resumed, timed-out, aborted)",
    "s",
  ],
} as const satisfies Record<string, Spec>;

/** The observable instruments, read from one `snapshot()` per collection. */
const OBSERVED = {
  state: [
    "lb.backend.state",
    "1 for the state each backend (and each deployment with state of its own, `lb.deployment`) is in, 0 for the others",
    "",
  ],
  inFlight: ["lb.backend.in_flight", "Attempts sent that have not received response headers yet", "{attempt}"],
  waiting: ["lb.queue.waiting", "Requests waiting in the balancer's queue", "{request}"],
  allowed: [
    "lb.pacing.allowed",
    "Requests pacing lets be in flight at once to a backend (or deployment, `lb.deployment`) that is paced",
    "{request}",
  ],
  reserved: [
    "lb.pacing.reserved",
    "Requests in flight holding a reservation on a backend (or deployment, `lb.deployment`) that is paced",
    "{request}",
  ],
} as const satisfies Record<string, Spec>;

function table<K extends string, T>(specs: Record<K, Spec>, make: (spec: Spec) => T): Record<K, T> {
  return Object.fromEntries(Object.entries<Spec>(specs).map(([key, spec]) => [key, make(spec)])) as Record<K, T>;
}

/**
 * The balancer's metrics, fed by its events and its snapshot. Returns the event listener and a
 * function that removes the observable callback.
 */
export function recordMetrics(
  lb: Pick<LoadBalancer, "snapshot">,
  meter: Meter,
): { onEvent: (event: LoadBalancerEvent) => void; remove: () => void } {
  const counter = table(COUNTERS, ([name, description, unit]) => meter.createCounter(name, { description, unit }));
  const histogram = table(HISTOGRAMS, ([name, description, unit, boundaries]) =>
    meter.createHistogram(name, {
      description,
      unit,
      ...(boundaries && { advice: { explicitBucketBoundaries: boundaries } }),
    }),
  );
  const observed: Record<keyof typeof OBSERVED, Observable> = table(OBSERVED, ([name, description, unit]) =>
    name === "lb.backend.in_flight"
      ? meter.createObservableUpDownCounter(name, { description, unit })
      : meter.createObservableGauge(name, unit === "" ? { description } : { description, unit }),
  );

  const observePacing = (result: BatchObservableResult, pacing: PacingSnapshot | null | undefined, at: Attributes) => {
    if (pacing == null) return;
    if (pacing.allowed !== null) result.observe(observed.allowed, pacing.allowed, at);
    result.observe(observed.reserved, pacing.reserved, at);
  };
  const observe = (result: BatchObservableResult): void => {
    const snapshot = lb.snapshot();
    // `queue`, `pacing` and `deployments` may be missing from the snapshot of a balancer of an older version.
    if (snapshot.queue) result.observe(observed.waiting, snapshot.queue.waiting);
    for (const backend of snapshot.backends) {
      const at: Attributes = { "lb.backend.name": backend.name };
      for (const name of STATES)
        result.observe(observed.state, name === backend.state ? 1 : 0, { ...at, "lb.backend.state": name });
      result.observe(observed.inFlight, backend.inFlight, at);
      observePacing(result, backend.pacing, at);
      // Quotas are per deployment: a deployment with state of its own is observed under its backend.
      for (const deployment of backend.deployments ?? []) {
        const of: Attributes = { ...at, "lb.deployment": deployment.name };
        for (const name of STATES)
          result.observe(observed.state, name === deployment.state ? 1 : 0, { ...of, "lb.backend.state": name });
        observePacing(result, deployment.pacing, of);
      }
    }
  };
  const observables = Object.values(observed);
  meter.addBatchObservableCallback(observe, observables);

  const open = new Map<number, OpenRequest>();
  const onEvent = (event: LoadBalancerEvent): void => {
    switch (event.type) {
      case "attempt": {
        const attributes: Attributes = {
          "lb.backend.name": event.backend.name,
          "lb.backend.priority": event.backend.priority,
        };
        counter.attempts.add(1, attributes);
        if (!open.has(event.requestId)) {
          if (open.size >= MAX_OPEN) open.delete(open.keys().next().value as number);
          open.set(event.requestId, { backendMs: 0 });
        }
        break;
      }
      case "outcome": {
        const attributes: Attributes = { "lb.backend.name": event.backend.name, "lb.outcome": event.result };
        if (event.reason !== undefined) attributes["lb.cooldown.reason"] = event.reason;
        counter.outcomes.add(1, attributes);
        histogram.attemptDuration.record(event.durationMs / 1000, attributes);
        const request = open.get(event.requestId);
        if (request !== undefined) request.backendMs += event.durationMs;
        if (event.result === "aborted") open.delete(event.requestId);
        break;
      }
      case "cooldown":
        counter.cooldowns.add(1, {
          "lb.backend.name": event.backend.name,
          "lb.cooldown.reason": event.reason,
          "lb.cooldown.remote": event.remote,
        });
        break;
      case "exhausted":
        counter.exhausted.add(1, { "lb.waiting": event.waiting });
        if (!event.waiting) open.delete(event.requestId);
        break;
      case "dequeued":
        histogram.queueWait.record(event.waitedMs / 1000, { "lb.queue.result": event.result });
        // A request the caller gave up while it waited ends here; one that timed out ends with its `exhausted` event.
        if (event.result === "aborted") open.delete(event.requestId);
        break;
      case "response": {
        const backendMs = open.get(event.requestId)?.backendMs ?? 0;
        open.delete(event.requestId);
        const attributes: Attributes = { "http.response.status_code": event.status };
        histogram.waited.record(Math.max(0, event.latencyMs - backendMs) / 1000, attributes);
        histogram.callsPerResponse.record(event.attempt, attributes);
        break;
      }
    }
  };
  return {
    onEvent,
    remove: () => {
      meter.removeBatchObservableCallback(observe, observables);
      open.clear();
    },
  };
}
