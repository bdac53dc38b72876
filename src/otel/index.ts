/**
 * OpenTelemetry traces and metrics for a balancer. Needs `@opentelemetry/api` (an optional peer
 * dependency: install it where you use this entry); the core never loads it.
 *
 * @example
 * import { instrument } from "openai-priority-loadbalancer/otel";
 * const uninstrument = instrument(lb);
 *
 * @module
 */
export { instrument, type InstrumentOptions } from "./instrument.ts";
export { genAiCall, type GenAiCall } from "./genai.ts";
