import { createLoadBalancer } from "../../src/index.js";
import type { FetchFunction } from "../../src/index.js";
import { alternate } from "../lib/alternate.js";
import { startChild } from "../lib/child.js";
import { chatInit } from "../lib/requests.js";
import { median, round } from "../lib/stats.js";

/** Throughput over loopback HTTP, balancer against direct `fetch`. */
export interface LoopbackResult {
  readonly concurrency: number;
  readonly requestsPerRound: number;
  readonly rounds: number;
  readonly backends: number;
  readonly directRequestsPerSecond: number;
  readonly balancerRequestsPerSecond: number;
  /** Median over rounds of balancer / direct throughput. */
  readonly throughputRatio: number;
  /** Every round's ratio, to show the noise. */
  readonly roundRatios: readonly number[];
  /** This process's CPU time (user + system) per request through direct `fetch`, µs: median over rounds. */
  readonly directCpuUsPerRequest: number;
  /** The same through `lb.fetch`. */
  readonly balancerCpuUsPerRequest: number;
  /**
   * Median over rounds of the CPU per request `lb.fetch` adds (each round's two runs paired): a steadier figure
   * than throughput, which the two processes sharing the machine's cores move by ±10% from round to round.
   */
  readonly addedCpuUsPerRequest: number;
}

/**
 * Sends `total` requests with `concurrency` in flight, reading every body; returns requests per second, and
 * pushes this process's CPU time per request (µs) onto `cpu`.
 */
async function throughput(
  fetch: FetchFunction,
  url: string,
  total: number,
  concurrency: number,
  cpu: number[],
): Promise<number> {
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < total) {
      issued++;
      const response = await fetch(url, chatInit());
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`status ${response.status}`);
    }
  };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpuBefore);
  cpu.push((used.user + used.system) / total);
  return total / seconds;
}

/**
 * The global `fetch` against `lb.fetch` (default options, three backends that are all the same
 * server, so selection runs) to a server in a child process, alternating rounds.
 */
export async function measureLoopback(options: {
  rounds: number;
  requestsPerRound: number;
  concurrency: number;
}): Promise<LoopbackResult> {
  const { child, firstLine } = await startChild(new URL("./echo-server.js", import.meta.url));
  try {
    const origin = `http://127.0.0.1:${Number(firstLine)}`;
    const backends = ["a", "b", "c"].map((name) => ({ url: origin, name }));
    const lb = createLoadBalancer({ backends });
    const direct: FetchFunction = (input, init) => fetch(input, init);
    const path = "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21";
    const directCpu: number[] = [];
    const balancerCpu: number[] = [];
    const run = (f: FetchFunction, url: string, cpu: number[]) => () =>
      throughput(f, url, options.requestsPerRound, options.concurrency, cpu);
    await run(direct, origin + path, [])();
    await run(lb.fetch, `https://sdk-base.example${path}`, [])();
    const result = await alternate(
      options.rounds,
      run(direct, origin + path, directCpu),
      run(lb.fetch, `https://sdk-base.example${path}`, balancerCpu),
    );
    return {
      concurrency: options.concurrency,
      requestsPerRound: options.requestsPerRound,
      rounds: options.rounds,
      backends: backends.length,
      directRequestsPerSecond: round(result.baselineMedian, 0),
      balancerRequestsPerSecond: round(result.candidateMedian, 0),
      throughputRatio: round(result.ratioMedian, 3),
      roundRatios: result.candidate.map((value, index) => round(value / result.baseline[index]!, 3)),
      directCpuUsPerRequest: round(median(directCpu), 1),
      balancerCpuUsPerRequest: round(median(balancerCpu), 1),
      addedCpuUsPerRequest: round(median(balancerCpu.map((value, index) => value - directCpu[index]!)), 1),
    };
  } finally {
    child.kill();
  }
}
