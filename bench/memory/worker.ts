// Child process (node --expose-gc): sends a million requests through a balancer over a stub fetch,
// prints one JSON line with heap, cost and leftover figures, then ends by itself: no process.exit,
// so a timer or listener the balancer left behind would keep it alive (the parent times the exit).
import { getEventListeners } from "node:events";
import { createLoadBalancer } from "../../src/index.js";
import type { FetchFunction } from "../../src/index.js";
import { chatInit } from "../lib/requests.js";
import { median } from "../lib/stats.js";

const TOTAL = Number(process.env.BENCH_MEMORY_REQUESTS ?? 1_000_000);
const BATCH = 10_000;
const URL_IN = "https://sdk-base.example/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

const ok = new Response(null, { status: 200 });
const throttled = (): Response => new Response(null, { status: 429, headers: { "retry-after-ms": "2" } });
let sent = 0;
// Every 100th answer is a 429 (a 2 ms cooldown): cooldowns, timers and recoveries run all along.
const stub: FetchFunction = async () => (++sent % 100 === 0 ? throttled() : ok);

const controller = new AbortController(); // one signal shared by every request, as a long-lived caller would
const init = chatInit(controller.signal);
const lb = createLoadBalancer({
  backends: Array.from({ length: 10 }, (_, index) => ({ url: `https://backend-${index}.example`, name: `b${index}` })),
  fetch: stub,
  attemptTimeoutMs: 60_000,
  maxWaitMs: 50,
});
let events = 0;
lb.on("*", () => void events++);

let done = 0;
async function batch(): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < BATCH; i++) {
    const response = await lb.fetch(URL_IN, init);
    if (response.status !== 200 && response.status !== 429) throw new Error(`status ${response.status}`);
  }
  done += BATCH;
  return Number(process.hrtime.bigint() - started) / BATCH;
}

function snapshotNs(): number {
  const count = 2000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) lb.snapshot();
  return Number(process.hrtime.bigint() - started) / count;
}

// AbortSignal.any (used per attempt with attemptTimeoutMs) frees its links through weak references
// cleaned up in macrotasks, which a loop of already-resolved fetches never reaches: let them run.
async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 5; i++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return process.memoryUsage().heapUsed;
}

/** Cost per request and per snapshot now: medians of five batches and five snapshot runs. */
async function costs(): Promise<{ requestNs: number; snapshotNs: number }> {
  const requests: number[] = [];
  const snapshots: number[] = [];
  for (let i = 0; i < 5; i++) {
    requests.push(await batch());
    snapshots.push(snapshotNs());
  }
  return { requestNs: median(requests), snapshotNs: median(snapshots) };
}

const early = await costs(); // the first 50k requests (JIT warm-up included)
const heapBefore = await heapAfterGc();
const atRequests = done;
while (done < TOTAL - 5 * BATCH) await batch();
gc();
const heapUnsettled = process.memoryUsage().heapUsed;
const heapAfter = await heapAfterGc();
const late = await costs();
// End on a long cooldown: its timer must not keep the process alive.
const longCooldown = createLoadBalancer({
  backends: [{ url: "https://long.example" }],
  fetch: async () => new Response(null, { status: 429, headers: { "retry-after-ms": "120000" } }),
});
await longCooldown.fetch(URL_IN, init);
await new Promise((resolve) => setImmediate(resolve));

process.stdout.write(
  `${JSON.stringify({
    requests: done,
    eventsSeen: events,
    heapBeforeBytes: heapBefore,
    heapAfterBytes: heapAfter,
    heapGrowthBytes: heapAfter - heapBefore,
    heapGrowthBeforeYieldBytes: heapUnsettled - heapBefore,
    heapMeasuredFromRequest: atRequests,
    requestNsAt50k: early.requestNs,
    requestNsAt1M: late.requestNs,
    snapshotNsAt50k: early.snapshotNs,
    snapshotNsAt1M: late.snapshotNs,
    abortListenersLeft: getEventListeners(controller.signal, "abort").length,
    activeResources: process.getActiveResourcesInfo(),
  })}\n`,
);
