import { metrics, type Meter, type Tracer } from "@opentelemetry/api";
import type { LoadBalancer } from "../types/balancer.ts";
import { recordMetrics } from "./metrics.ts";
import { defaultTracer, recordSpans } from "./traces.ts";

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /** Where spans go; default the global tracer provider's tracer for this package. `false`: no spans. */
  tracer?: Tracer | false;
  /** Where metrics go; default the global meter provider's meter for this package. `false`: no metrics. */
  meter?: Meter | false;
}

const SCOPE = "openai-priority-loadbalancer";

/**
 * Instruments a balancer: a CLIENT span per attempt (a child of the caller's active span), named and
 * attributed per the OpenTelemetry GenAI semantic conventions, and the `lb.*` metrics (attempts,
 * outcomes, cooldowns, backend state, in flight, time waited, calls per response, the queue and pacing). See
 * docs/server-visibility.md for every name.
 *
 * @returns A function that removes the instrumentation (ends open spans, unregisters callbacks). Idempotent.
 *
 * @example
 * const uninstrument = instrument(lb, { tracer: trace.getTracer("my-app") });
 */
export function instrument(lb: Pick<LoadBalancer, "on" | "snapshot">, options: InstrumentOptions = {}): () => void {
  const kinds = new Map(lb.snapshot().backends.map((backend) => [backend.name, backend.kind]));
  const parts: Array<{ onEvent: Parameters<LoadBalancer["on"]>[1]; remove: () => void }> = [];
  if (options.tracer !== false)
    parts.push(recordSpans(options.tracer ?? defaultTracer(SCOPE), (name) => kinds.get(name) ?? null));
  if (options.meter !== false) parts.push(recordMetrics(lb, options.meter ?? metrics.getMeter(SCOPE)));
  const unsubscribe = parts.map((part) => lb.on("*", part.onEvent));
  let installed = true;
  return () => {
    if (!installed) return;
    installed = false;
    for (const off of unsubscribe) off();
    for (const part of parts) part.remove();
  };
}
