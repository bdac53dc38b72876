import { signal, type Signal } from "@preact/signals";

/** One simulated Azure OpenAI deployment and the knobs the page exposes. */
export interface SimulatedBackend {
  readonly name: string;
  readonly url: string;
  readonly priority: number;
  readonly label: string;
  /** Requests allowed per window; the next one gets a 429 until the window ends. */
  readonly limit: number;
  readonly windowMs: number;
  /** Time to the response headers (and, streamed, to the first token), ms. */
  readonly latencyMs: Signal<number>;
  /** Share of requests answered with a 500, 0–1. */
  readonly errorRate: Signal<number>;
  /** Taken down: every request fails with a network error. */
  readonly down: Signal<boolean>;
}

function backend(
  name: string,
  priority: number,
  label: string,
  limit: number,
  windowMs: number,
  latencyMs: number,
): SimulatedBackend {
  return {
    name,
    url: `https://${name}.openai.azure.com`,
    priority,
    label,
    limit,
    windowMs,
    latencyMs: signal(latencyMs),
    errorRate: signal(0),
    down: signal(false),
  };
}

/** The demo's backends: a PTU first, two pay-as-you-go deployments, and a far region as the last resort. */
export const simulatedBackends: readonly SimulatedBackend[] = [
  backend("ptu-swedencentral", 1, "PTU (provisioned)", 10, 15_000, 350),
  backend("paygo-eastus", 2, "pay-as-you-go", 20, 10_000, 600),
  backend("paygo-westus", 2, "pay-as-you-go", 20, 10_000, 700),
  backend("far-australiaeast", 3, "far region", 60, 10_000, 1500),
];
