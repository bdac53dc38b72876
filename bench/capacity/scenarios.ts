/** One simulated backend of a scenario. */
export interface ScenarioBackend {
  readonly name: string;
  readonly priority: number;
  /** Requests admitted per window. */
  readonly limit: number;
  /** Nothing listens on its port: every connection is refused. */
  readonly down?: boolean;
  /** Share of requests answered 500 (a 500 uses no quota). */
  readonly failureRate?: number;
}

/** A capacity scenario: the backends, how many requests are offered at once, where the standard approach sends them. */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly backends: readonly ScenarioBackend[];
  readonly requests: number;
  /** The one backend the standard approach (the SDK straight to one endpoint) uses. */
  readonly directTo: string;
}

/** Every backend's window; the same for all so a balancer's retry lands on every backend's fresh window. */
export const WINDOW_MS = 1000;
/** Latency of an admitted request (uniform); a 429 is immediate. */
export const LATENCY_MS = [20, 50] as const;

/**
 * The three overload scenarios (docs/benchmarks.md, "Capacity use under overload"). Each offers all its requests at once, several windows' worth of
 * the combined capacity: (a) and (b) exactly what the combined capacity serves over the SDK's three
 * attempts (the hardest case where every request can still succeed), (c) two windows' worth of
 * what the live backends serve.
 */
export const SCENARIOS: readonly Scenario[] = [
  {
    id: "a",
    title: "PTU at priority 1 (12/s) + two pay-as-you-go at priority 2 (4/s each)",
    backends: [
      { name: "ptu", priority: 1, limit: 12 },
      { name: "paygo-1", priority: 2, limit: 4 },
      { name: "paygo-2", priority: 2, limit: 4 },
    ],
    requests: 60,
    directTo: "ptu",
  },
  {
    id: "b",
    title: "three equal backends (8/s each)",
    backends: [
      { name: "east", priority: 1, limit: 8 },
      { name: "west", priority: 1, limit: 8 },
      { name: "north", priority: 1, limit: 8 },
    ],
    requests: 72,
    directTo: "east",
  },
  {
    id: "c",
    title: "one down (refused), one failing 30% with 500, one healthy (8/s each)",
    backends: [
      { name: "down", priority: 1, limit: 8, down: true },
      { name: "flaky", priority: 1, limit: 8, failureRate: 0.3 },
      { name: "healthy", priority: 1, limit: 8 },
    ],
    requests: 32,
    directTo: "flaky",
  },
];
