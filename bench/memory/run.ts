import { startChild } from "../lib/child.js";
import { round } from "../lib/stats.js";

/** A million requests through the stub in a child process: heap growth, flat costs, nothing left behind. */
export interface MemoryResult {
  readonly requests: number;
  readonly heapGrowthMiB: number;
  /** The same right after the loop, before yielding to the event loop once (see worker.ts). */
  readonly heapGrowthBeforeYieldMiB: number;
  readonly requestNsAt50k: number;
  readonly requestNsAt1M: number;
  /** Per-request cost near the end over near the start: 1 is flat. */
  readonly requestCostRatio: number;
  readonly snapshotNsAt50k: number;
  readonly snapshotNsAt1M: number;
  readonly snapshotCostRatio: number;
  /** `abort` listeners left on the signal every request shared. */
  readonly abortListenersLeft: number;
  /** What `process.getActiveResourcesInfo()` listed after the work (the stdout pipe is expected). */
  readonly activeResources: readonly string[];
  /** From the result line to the child's exit, ms: a leftover timer or listener would hold it. */
  readonly exitAfterMs: number;
  readonly exitedByItself: boolean;
}

const EXIT_LIMIT_MS = 5000;

/** Runs memory/worker.js with --expose-gc and waits (bounded) for it to exit by itself. */
export async function measureMemory(): Promise<MemoryResult> {
  const { child, firstLine } = await startChild(new URL("./worker.js", import.meta.url), ["--expose-gc"], 300_000);
  const printed = performance.now();
  const result = JSON.parse(firstLine) as Record<string, number> & { activeResources: string[] };
  child.stdin?.end();
  const exited = await new Promise<boolean>((resolve) => {
    if (child.exitCode !== null) return resolve(true);
    const timer = setTimeout(() => {
      child.kill();
      resolve(false);
    }, EXIT_LIMIT_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  return {
    requests: result.requests!,
    heapGrowthMiB: round(result.heapGrowthBytes! / 2 ** 20, 3),
    heapGrowthBeforeYieldMiB: round(result.heapGrowthBeforeYieldBytes! / 2 ** 20, 1),
    requestNsAt50k: round(result.requestNsAt50k!, 1),
    requestNsAt1M: round(result.requestNsAt1M!, 1),
    requestCostRatio: round(result.requestNsAt1M! / result.requestNsAt50k!, 2),
    snapshotNsAt50k: round(result.snapshotNsAt50k!, 1),
    snapshotNsAt1M: round(result.snapshotNsAt1M!, 1),
    snapshotCostRatio: round(result.snapshotNsAt1M! / result.snapshotNsAt50k!, 2),
    abortListenersLeft: result.abortListenersLeft!,
    activeResources: result.activeResources,
    exitAfterMs: round(performance.now() - printed, 0),
    exitedByItself: exited,
  };
}
