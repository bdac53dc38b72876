import { context, type Span, SpanKind, SpanStatusCode, trace, type Tracer } from "@opentelemetry/api";
import type { LoadBalancerEvent } from "../types/events.ts";
import { genAiCall } from "./genai.ts";

/**
 * A span per attempt, from its `attempt` event to its `outcome` event. Started in the context
 * active when the event fires, which is the caller's: the balancer emits events synchronously in
 * the async context of `lb.fetch`. Returns the event listener and a function that ends open spans.
 */
export function recordSpans(
  tracer: Tracer,
  kindOf: (backend: string) => string | null,
): { onEvent: (event: LoadBalancerEvent) => void; remove: () => void } {
  const open = new Map<string, Span>();
  // An ended attempt's span stays reachable until the events emitted with its outcome (probe, cooldown) are in.
  const ending = new Map<number, Span>();
  const key = (requestId: number, attempt: number): string => `${requestId}:${attempt}`;

  const onEvent = (event: LoadBalancerEvent): void => {
    switch (event.type) {
      case "attempt": {
        const call = genAiCall(event.url, event.deployment, kindOf(event.backend.name));
        const span = tracer.startSpan(
          call.model === undefined ? call.operation : `${call.operation} ${call.model}`,
          {
            kind: SpanKind.CLIENT,
            startTime: event.at,
            attributes: {
              "gen_ai.operation.name": call.operation,
              "gen_ai.provider.name": call.provider,
              ...(call.model === undefined ? {} : { "gen_ai.request.model": call.model }),
              "server.address": call.address,
              "server.port": call.port,
              "http.request.method": event.method,
              "lb.backend.name": event.backend.name,
              "lb.backend.priority": event.backend.priority,
              "lb.attempt": event.attempt,
              "lb.request_id": event.requestId,
              ...(event.deployment === null ? {} : { "lb.deployment": event.deployment }),
            },
          },
          context.active(),
        );
        open.set(key(event.requestId, event.attempt), span);
        break;
      }
      case "outcome": {
        const span = open.get(key(event.requestId, event.attempt));
        if (span === undefined) return;
        open.delete(key(event.requestId, event.attempt));
        if (event.status !== undefined) span.setAttribute("http.response.status_code", event.status);
        span.setAttribute("lb.outcome", event.result);
        if (event.result !== "response") {
          const errorType = event.reason ?? "aborted";
          span.setAttribute("error.type", errorType);
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
        }
        if (event.reason !== undefined) span.setAttribute("lb.cooldown.reason", event.reason);
        ending.set(event.requestId, span);
        const at = event.at;
        queueMicrotask(() => {
          if (ending.get(event.requestId) === span) ending.delete(event.requestId);
          span.end(at);
        });
        break;
      }
      case "cooldown": {
        const span = event.requestId === undefined ? undefined : ending.get(event.requestId);
        span?.setAttribute("lb.cooldown.reason", event.reason);
        span?.addEvent(
          "lb.cooldown",
          {
            "lb.cooldown.reason": event.reason,
            "lb.cooldown.ms": event.cooldownMs,
            "lb.cooldown.ejected": event.ejected,
          },
          event.at,
        );
        break;
      }
      case "probe":
        ending.get(event.requestId)?.setAttribute("lb.probe.success", event.success);
        break;
    }
  };
  return {
    onEvent,
    remove: () => {
      for (const span of open.values()) span.end();
      open.clear();
    },
  };
}

/** The tracer used when none is given: the global provider's. */
export const defaultTracer = (name: string): Tracer => trace.getTracer(name);
