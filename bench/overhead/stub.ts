import { createLoadBalancer } from "../../src/index.js";
import type { FetchFunction } from "../../src/index.js";
import { alternate } from "../lib/alternate.js";
import { chatInit } from "../lib/requests.js";
import { round } from "../lib/stats.js";

/** The cost of `lb.fetch` over the fetch it wraps, for one configuration. */
export interface StubOverheadResult {
  readonly backends: number;
  readonly listeners: boolean;
  /** `attemptTimeoutMs` set: a timer and an AbortSignal per attempt. */
  readonly attemptTimeout: boolean;
  readonly directNsPerRequest: number;
  readonly balancerNsPerRequest: number;
  /** Median over rounds of (balancer − direct), ns per request: what the balancer adds. */
  readonly addedNsPerRequest: number;
  /** Median over rounds of balancer / direct time per request. */
  readonly timeRatio: number;
  readonly rounds: number;
  readonly requestsPerRound: number;
}

const URL_IN = "https://sdk-base.example/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21";

async function timeBatch(fetch: FetchFunction, init: RequestInit, count: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await fetch(URL_IN, init);
  return Number(process.hrtime.bigint() - started) / count;
}

/** Backends all in one tier: the selection scans the whole tier, the costliest case. */
function backends(count: number): { url: string; name: string }[] {
  return Array.from({ length: count }, (_, index) => ({ url: `https://backend-${index}.example`, name: `b${index}` }));
}

/** The configurations measured: every backend count with and without a listener, then 10 backends with an attempt timeout. */
function configurations(
  backendCounts: readonly number[],
): { count: number; listeners: boolean; attemptTimeout: boolean }[] {
  const all = backendCounts.flatMap((count) =>
    [false, true].map((listeners) => ({ count, listeners, attemptTimeout: false })),
  );
  return [...all, { count: 10, listeners: false, attemptTimeout: true }];
}

/**
 * `lb.fetch` against an in-process stub that answers a prebuilt 200 at once: the pure cost of the
 * balancer per request, at several backend counts, with and without an event listener.
 */
export async function measureStubOverhead(options: {
  rounds: number;
  requestsPerRound: number;
  backendCounts: readonly number[];
}): Promise<StubOverheadResult[]> {
  const response = new Response(null, { status: 200 });
  const stub: FetchFunction = async () => response;
  const init = chatInit();
  const results: StubOverheadResult[] = [];
  for (const { count, listeners, attemptTimeout } of configurations(options.backendCounts)) {
    const lb = createLoadBalancer({
      backends: backends(count),
      fetch: stub,
      ...(attemptTimeout ? { attemptTimeoutMs: 60_000 } : {}),
    });
    let seen = 0;
    if (listeners) lb.on("*", () => void seen++);
    await timeBatch(stub, init, options.requestsPerRound);
    await timeBatch(lb.fetch, init, options.requestsPerRound);
    const result = await alternate(
      options.rounds,
      () => timeBatch(stub, init, options.requestsPerRound),
      () => timeBatch(lb.fetch, init, options.requestsPerRound),
    );
    if (listeners && seen === 0) throw new Error("the listener saw no event");
    results.push({
      backends: count,
      listeners,
      attemptTimeout,
      directNsPerRequest: round(result.baselineMedian, 1),
      balancerNsPerRequest: round(result.candidateMedian, 1),
      addedNsPerRequest: round(result.differenceMedian, 1),
      timeRatio: round(result.ratioMedian, 2),
      rounds: options.rounds,
      requestsPerRound: options.requestsPerRound,
    });
  }
  return results;
}
