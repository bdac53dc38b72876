import type { Logger } from "../types/options.js";
import type { Emitter } from "./events.js";

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/** Writes the Python package's log lines through the events, so a balancer without a logger does no logging work. */
export function attachLogger(events: Emitter, logger: Logger): void {
  events.on("*", (event) => {
    switch (event.type) {
      case "attempt":
        logger.info?.(`Request ${event.requestId}: attempt ${event.attempt} to backend ${event.backend.name} (${event.method} ${event.url})`);
        break;
      case "response":
        logger.debug?.(`Request ${event.requestId}: ${event.status} from backend ${event.backend.name} after ${event.attempt} attempt(s), ${Math.round(event.latencyMs)} ms`);
        break;
      case "throttle":
        logger.warn?.(
          `Backend ${event.backend.name} is throttling (${event.reason}${event.status === undefined ? "" : ` ${event.status}`}) ` +
            `for ${seconds(event.cooldownMs)}, until ${new Date(event.until).toISOString()}`,
        );
        break;
      case "recovery":
        logger.info?.(`Backend ${event.backend.name} is no longer throttling (out for ${seconds(event.downMs)})`);
        break;
      case "exhausted":
        logger.warn?.(
          `Request ${event.requestId}: no backend available; soonest retry in ${seconds(event.retryAfterMs)}` +
            (event.waiting ? ", waiting for it" : ", answering 429"),
        );
        break;
    }
  });
}
