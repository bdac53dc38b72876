import { STREAM_CHUNK_INTERVAL_MS, STREAM_CHUNKS, type Behaviour } from "./server.js";

/** One simulated Azure deployment of a scenario. */
export interface OverloadBackendSpec {
  readonly name: string;
  readonly priority: number;
  /** Requests admitted per window. */
  readonly limit: number;
  readonly behaviour: Behaviour;
}

/** What the targets of a scenario are (issue 12); printed next to the figures. */
export interface OverloadTargets {
  /** Backend calls per success at most. */
  readonly callsPerSuccess?: number;
  /** Time efficiency at least (counted only when every request succeeded). */
  readonly timeEfficiency?: number;
  /** Every request answered within the SDK's own timeout (the hung scenario). */
  readonly withinSdkTimeout?: boolean;
  /** The recovered primary serves again within this many ms of its recovery (the flapping scenario). */
  readonly primaryBackWithinMs?: number;
}

/** An overload scenario: its backends, its load, and what it must reach. */
export interface OverloadScenario {
  readonly id: string;
  readonly title: string;
  readonly backends: readonly OverloadBackendSpec[];
  /** Requests in all, sent by `concurrency` callers back to back; `undefined`: callers keep going until `loadForMs`. */
  readonly requests?: number;
  /** With `requests` undefined: no request starts after this many ms. */
  readonly loadForMs?: number;
  readonly concurrency: number;
  readonly stream: boolean;
  readonly quotaHeaders: boolean;
  /** The scenario is cut off here: requests still running are aborted and count as failures, like those never started. */
  readonly deadlineMs: number;
  readonly targets: OverloadTargets;
}

/** Every backend's quota window (Azure counts per minute; 2 s keeps the run short with the same shape). */
export const WINDOW_MS = 2000;
/** Latency of an admitted request: the whole answer, or a stream's first content (uniform). */
export const LATENCY_MS = [20, 50] as const;

/** The shortest time from admission to the end of a request: the ideal's last step. */
export function minimumDurationMs(stream: boolean): number {
  return LATENCY_MS[0] + (stream ? STREAM_CHUNKS * STREAM_CHUNK_INTERVAL_MS : 0);
}

const healthy: Behaviour = { kind: "healthy" };
/** The fleet: one PTU at 10 per 2 s at priority 1, two pay-as-you-go at 5 each at priority 2. */
const fleet = (ptu: Behaviour = healthy): OverloadBackendSpec[] => [
  { name: "ptu", priority: 1, limit: 10, behaviour: ptu },
  { name: "paygo-1", priority: 2, limit: 5, behaviour: healthy },
  { name: "paygo-2", priority: 2, limit: 5, behaviour: healthy },
];

/** The SDK's default request timeout (`openai` 4+): 10 minutes. */
export const SDK_DEFAULT_TIMEOUT_MS = 600_000;

/** When the flapping primary recovers, ms after the start. */
export const FLAP_OUTAGE_MS = 60_000;

/**
 * The five scenarios of issue 12. `quick` (BENCH_QUICK=1) shrinks them for a smoke run: fewer requests, and the
 * flapping outage scaled down to 10 s (labelled as such). `hungDeadlineMs` caps the hung scenario.
 */
export function overloadScenarios(quick: boolean, hungDeadlineMs: number): OverloadScenario[] {
  const requests = quick ? 40 : 120;
  const outageMs = quick ? 10_000 : FLAP_OUTAGE_MS;
  /** The flapping scenario's callers keep going this long after the recovery: long enough to see a late return. */
  const afterMs = quick ? 10_000 : 30_000;
  return [
    {
      id: "1-plain",
      title: "no quota headers (429s carry retry-after-ms / retry-after)",
      backends: fleet(),
      requests,
      concurrency: 16,
      stream: false,
      quotaHeaders: false,
      deadlineMs: 60_000,
      targets: { callsPerSuccess: 1.3, timeEfficiency: 0.97 },
    },
    {
      id: "2-quota",
      title: "x-ratelimit-limit/remaining/reset (requests and tokens) on every success and 429",
      backends: fleet(),
      requests,
      concurrency: 16,
      stream: false,
      quotaHeaders: true,
      deadlineMs: 60_000,
      targets: { callsPerSuccess: 1.1, timeEfficiency: 0.97 },
    },
    {
      id: "3-stream",
      title: "streamed chat completions (SSE, stream: true), no quota headers",
      backends: fleet(),
      requests,
      concurrency: 16,
      stream: true,
      quotaHeaders: false,
      deadlineMs: 60_000,
      targets: { callsPerSuccess: 1.3, timeEfficiency: 0.95 },
    },
    {
      id: "4-hung",
      title: `hung tier 1 (accepts, never answers), tier 2 healthy; cut off at ${hungDeadlineMs / 1000} s`,
      backends: fleet({ kind: "hung" }),
      requests: quick ? 20 : 40,
      concurrency: 16,
      stream: false,
      quotaHeaders: false,
      deadlineMs: hungDeadlineMs,
      targets: { withinSdkTimeout: true },
    },
    {
      id: "5-flap",
      title: `primary answers 500 for ${outageMs / 1000} s${quick ? " (TIME-SCALED, quick run)" : ""}, then healthy; callers keep going until ${(outageMs + afterMs) / 1000} s`,
      backends: fleet({ kind: "down-until", untilMs: outageMs }),
      loadForMs: outageMs + afterMs,
      concurrency: 16,
      stream: false,
      quotaHeaders: false,
      deadlineMs: outageMs + 90_000,
      targets: { primaryBackWithinMs: 5000, timeEfficiency: 0.9 },
    },
  ];
}
