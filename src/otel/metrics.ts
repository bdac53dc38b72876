import type { Attributes, Meter } from "@opentelemetry/api";
import type { LoadBalancer } from "../types/balancer.ts";
import type { LoadBalancerEvent } from "../types/events.ts";

const STATES = ["available", "cooling", "ejected", "probing"] as const;

/** Per request: the attempts' time on backends, to tell the time spent in the balancer. */
interface OpenRequest {
  backendMs: number;
}

/** Requests that never end (a caller that never aborts nor reads) must not grow this map without bound. */
const MAX_OPEN = 10_000;

/**
 * The balancer's metrics, fed by its events and its snapshot. Returns the event listener and a
 * function that removes the observable callbacks.
 */
export function recordMetrics(
  lb: Pick<LoadBalancer, "snapshot">,
  meter: Meter,
): { onEvent: (event: LoadBalancerEvent) => void; remove: () => void } {
  const attempts = meter.createCounter("lb.attempts", {
    description: "Attempts sent to backends",
    unit: "{attempt}",
  });
  const outcomes = meter.createCounter("lb.outcomes", {
    description: "Ends of attempts, by result (response, failure, aborted) and failure reason",
    unit: "{attempt}",
  });
  const attemptDuration = meter.createHistogram("lb.attempt.duration", {
    description: "From sending an attempt to its response headers or failure",
    unit: "s",
  });
  const cooldowns = meter.createCounter("lb.cooldowns", {
    description: "Transitions of a backend (or deployment) into a cooldown",
    unit: "{cooldown}",
  });
  const exhausted = meter.createCounter("lb.exhausted", {
    description: "Times no backend was available for a request, by whether the balancer waited",
    unit: "{event}",
  });
  const waited = meter.createHistogram("lb.request.wait", {
    description: "Time a request spent in the balancer and not on a backend (waits for a recovery, routing)",
    unit: "s",
  });
  const callsPerResponse = meter.createHistogram("lb.request.attempts", {
    description: "Backend calls made for each response handed back to the caller",
    unit: "{attempt}",
    advice: { explicitBucketBoundaries: [1, 2, 3, 4, 5, 8] },
  });
  const state = meter.createObservableGauge("lb.backend.state", {
    description:
      "1 for the state each backend (and each deployment with state of its own, `lb.deployment`) is in, 0 for the others",
  });
  const inFlight = meter.createObservableUpDownCounter("lb.backend.in_flight", {
    description: "Attempts sent that have not received response headers yet",
    unit: "{attempt}",
  });
  const observe = (result: Parameters<Parameters<typeof state.addCallback>[0]>[0]): void => {
    for (const backend of lb.snapshot().backends) {
      for (const name of STATES)
        result.observe(name === backend.state ? 1 : 0, { "lb.backend.name": backend.name, "lb.backend.state": name });
      // Quotas are per deployment: a deployment with state of its own is observed under its backend.
      for (const deployment of backend.deployments) {
        for (const name of STATES) {
          result.observe(name === deployment.state ? 1 : 0, {
            "lb.backend.name": backend.name,
            "lb.deployment": deployment.name,
            "lb.backend.state": name,
          });
        }
      }
    }
  };
  const observeInFlight = (result: Parameters<Parameters<typeof inFlight.addCallback>[0]>[0]): void => {
    for (const backend of lb.snapshot().backends) result.observe(backend.inFlight, { "lb.backend.name": backend.name });
  };
  state.addCallback(observe);
  inFlight.addCallback(observeInFlight);

  const open = new Map<number, OpenRequest>();
  const onEvent = (event: LoadBalancerEvent): void => {
    switch (event.type) {
      case "attempt": {
        const attributes: Attributes = {
          "lb.backend.name": event.backend.name,
          "lb.backend.priority": event.backend.priority,
        };
        attempts.add(1, attributes);
        if (!open.has(event.requestId)) {
          if (open.size >= MAX_OPEN) open.delete(open.keys().next().value as number);
          open.set(event.requestId, { backendMs: 0 });
        }
        break;
      }
      case "outcome": {
        const attributes: Attributes = { "lb.backend.name": event.backend.name, "lb.outcome": event.result };
        if (event.reason !== undefined) attributes["lb.cooldown.reason"] = event.reason;
        outcomes.add(1, attributes);
        attemptDuration.record(event.durationMs / 1000, attributes);
        const request = open.get(event.requestId);
        if (request !== undefined) request.backendMs += event.durationMs;
        if (event.result === "aborted") open.delete(event.requestId);
        break;
      }
      case "cooldown":
        cooldowns.add(1, {
          "lb.backend.name": event.backend.name,
          "lb.cooldown.reason": event.reason,
          "lb.cooldown.remote": event.remote,
        });
        break;
      case "exhausted":
        exhausted.add(1, { "lb.waiting": event.waiting });
        if (!event.waiting) open.delete(event.requestId);
        break;
      case "response": {
        const backendMs = open.get(event.requestId)?.backendMs ?? 0;
        open.delete(event.requestId);
        const attributes: Attributes = { "http.response.status_code": event.status };
        waited.record(Math.max(0, event.latencyMs - backendMs) / 1000, attributes);
        callsPerResponse.record(event.attempt, attributes);
        break;
      }
    }
  };
  return {
    onEvent,
    remove: () => {
      state.removeCallback(observe);
      inFlight.removeCallback(observeInFlight);
      open.clear();
    },
  };
}
