import type { LoadBalancerEvent } from "../types/events.ts";
import type { LogFields, Logger } from "../types/options.ts";
import type { Emitter } from "./events.ts";

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;
const iso = (at: number): string => new Date(at).toISOString();
const keyOf = (event: { backend: { name: string }; deployment: string | null }): string =>
  `${event.backend.name}\u0000${event.deployment ?? ""}`;
/** An event's fields for a log line: all but `type` and `at`, the backend by its name. */
const fieldsOf = ({
  type: _type,
  at: _at,
  backend,
  ...rest
}: {
  type: string;
  at: number;
  backend: { name: string };
}): LogFields => ({
  ...rest,
  backend: backend.name,
});
const where = (event: { backend: { name: string }; deployment: string | null }): string =>
  event.deployment === null ? event.backend.name : `${event.backend.name} (${event.deployment})`;

/**
 * Writes log lines from the events, so a balancer without a logger does no logging work. A
 * cooldown is logged once when it starts (a cooldown already logged and not yet over is not
 * logged again, wherever it comes from); synthetic 429s while every backend cools are logged once
 * until the soonest recovery, and the next line says how many were left out. Requests joining and
 * leaving the queue go to debug; pacing goes to info when a backend or deployment becomes limited
 * (it had no limit, or none logged), and to debug when an existing limit moves or is lifted, so a
 * limit read from every response's headers is one info line, not one per response.
 */
export function attachLogger(events: Emitter, logger: Logger): void {
  const cooling = new Map<string, number>(); // key → until, for cooldowns logged and not over
  let exhaustedUntil = Number.NEGATIVE_INFINITY;
  let exhaustedUnlogged = 0;
  const paced = new Set<string>(); // keys with a limit logged at info and not lifted since

  events.on("*", (event: LoadBalancerEvent) => {
    switch (event.type) {
      case "attempt":
        logger.debug?.(`Request ${event.requestId} attempt ${event.attempt} → ${where(event)}`, {
          requestId: event.requestId,
          attempt: event.attempt,
          backend: event.backend.name,
          deployment: event.deployment,
          method: event.method,
        });
        break;
      case "outcome":
        if (event.result === "response") break;
        logger.debug?.(
          `Request ${event.requestId} attempt ${event.attempt} on ${where(event)} ${event.result === "aborted" ? "aborted by the caller" : `failed: ${event.reason}${event.status === undefined ? "" : ` (${event.status})`}`}`,
          {
            requestId: event.requestId,
            attempt: event.attempt,
            backend: event.backend.name,
            deployment: event.deployment,
            status: event.status,
            reason: event.reason ?? event.result,
            durationMs: event.durationMs,
          },
        );
        break;
      case "cooldown": {
        const fields: LogFields = {
          backend: event.backend.name,
          deployment: event.deployment,
          status: event.status,
          reason: event.reason,
          cooldownMs: event.cooldownMs,
          until: iso(event.until),
          requestId: event.requestId,
          consecutiveFailures: event.consecutiveFailures,
          ejected: event.ejected,
          remote: event.remote,
        };
        const key = keyOf(event);
        const logged = cooling.get(key);
        cooling.set(key, Math.max(event.until, logged ?? event.until));
        if (logged !== undefined && event.at < logged) {
          logger.debug?.(`Backend ${where(event)} still cooling down (${event.reason}), until ${fields.until}`, fields);
          break;
        }
        const status = event.status === undefined ? "" : `, ${event.status}`;
        const ejected = event.ejected ? `; ejected after ${event.consecutiveFailures} failures in a row` : "";
        const remote = event.remote ? " (learned from another instance)" : "";
        logger.warn?.(
          `Backend ${where(event)} cooling down for ${seconds(event.cooldownMs)} (${event.reason}${status})${ejected}${remote}`,
          fields,
        );
        break;
      }
      case "recovery":
        cooling.delete(keyOf(event));
        logger.info?.(
          `Backend ${where(event)} back after ${seconds(event.downMs)}; ${event.hits} ${event.hits === 1 ? "attempt" : "attempts"} ran into the cooldown`,
          fieldsOf(event),
        );
        break;
      case "probe":
        if (event.success) logger.info?.(`Probe of ${where(event)} succeeded: back in rotation`, fieldsOf(event));
        break;
      case "exhausted": {
        const fields: LogFields = {
          requestId: event.requestId,
          attempt: event.attempt,
          retryAfterMs: event.retryAfterMs,
          until: iso(event.at + event.retryAfterMs),
          waiting: event.waiting,
        };
        if (event.waiting) {
          logger.debug?.(`No backend available; waiting ${seconds(event.retryAfterMs)} for the soonest`, fields);
        } else if (event.at < exhaustedUntil) {
          exhaustedUnlogged++;
        } else {
          const more = exhaustedUnlogged === 0 ? "" : ` (${exhaustedUnlogged} more since the last such line)`;
          logger.warn?.(`No backend available; answered 429, soonest retry in ${seconds(event.retryAfterMs)}${more}`, {
            ...fields,
            unlogged: exhaustedUnlogged,
          });
          exhaustedUntil = event.at + event.retryAfterMs;
          exhaustedUnlogged = 0;
        }
        break;
      }
      case "queued":
      case "dequeued": {
        const { type, at: _at, waiting, ...fields } = event;
        logger.debug?.(
          type === "queued"
            ? `Request ${event.requestId} queued (${event.reason}); ${waiting} waiting`
            : `Request ${event.requestId} ${event.result.replace("-", " ")} after ${seconds(event.waitedMs)} in the queue; ${waiting} still waiting`,
          { ...fields, queueLength: waiting },
        );
        break;
      }
      case "paced": {
        const key = keyOf(event);
        const fields = fieldsOf(event);
        if (event.allowed === null) {
          paced.delete(key);
          logger.debug?.(`Backend ${where(event)} no longer paced`, fields);
        } else {
          logger[paced.has(key) ? "debug" : "info"]?.(
            `Backend ${where(event)} paced: at most ${event.allowed} in flight (${event.basis})`,
            fields,
          );
          paced.add(key);
        }
        break;
      }
    }
  });
}
