import type { Logger } from "../types/options.js";
import type { Emitter } from "./events.js";

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/** Writes the Python package's log lines through the events, so a balancer without a logger does no logging work. */
export function attachLogger(events: Emitter, logger: Logger): void {
  const refused = new Set<string>(); // backends whose refused credentials were logged: once each
  events.on("*", (event) => {
    if (event.type === "cooldown" && event.reason === "credentials" && event.status !== undefined) {
      if (!refused.has(event.backend.name))
        logger.error?.(
          `Backend ${event.backend.name} refused its credentials (${event.status}); check its key or token`,
        );
      refused.add(event.backend.name);
    }
    if (event.type === "attempt") logger.info?.(`Sending request ${event.requestId} to ${event.url}`);
    if (event.type === "cooldown")
      logger.warn?.(`Backend ${event.backend.name} is throttling (${event.reason}) for ${seconds(event.cooldownMs)}`);
    if (event.type === "recovery") logger.info?.(`Backend ${event.backend.name} is no longer throttling`);
    if (event.type === "stream")
      logger.warn?.(
        `Backend ${event.backend.name}: stream ${event.kind} ${event.cause ?? "event"} (request ${event.requestId})`,
      );
    if (event.type === "exhausted")
      logger.warn?.(`No backend available; soonest retry in ${seconds(event.retryAfterMs)}`);
  });
}
