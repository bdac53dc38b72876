import { createLoadBalancer } from "../../src/index.js";
import type { FetchFunction } from "../../src/index.js";
import { startChild } from "../lib/child.js";
import { chatInit } from "../lib/requests.js";
import { skeletonBalancer } from "./skeleton.js";
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
  /** Every side: direct `fetch`, an await-only wrapper, the skeleton balancer, `lb.fetch`. */
  readonly sides: readonly LoopbackSide[];
  /** Median over rounds of `await fetch()` in an async function ÷ direct: what a wrapper that does nothing else measures. */
  readonly wrapperThroughputRatio: number;
  /** The CPU per request that wrapper adds, µs. */
  readonly wrapperAddedCpuUsPerRequest: number;
  /** Median over rounds of the essentials of balancing alone (see skeleton.ts) ÷ direct. */
  readonly skeletonThroughputRatio: number;
  /** The CPU per request those essentials add, µs. */
  readonly skeletonAddedCpuUsPerRequest: number;
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

/** One side of the loopback comparison, as reported. */
export interface LoopbackSide {
  readonly name: string;
  /** Median over rounds. */
  readonly requestsPerSecond: number;
  /** Median over rounds of this side ÷ direct, each round's runs paired. */
  readonly ratio: number;
  /** This process's CPU (user + system) per request, µs: median over rounds. */
  readonly cpuUsPerRequest: number;
  /** Median over rounds of this side's CPU per request less direct's, µs. */
  readonly addedCpuUsPerRequest: number;
}

/** One side of the loopback comparison: its throughput and CPU per request, round by round. */
interface Side {
  readonly name: string;
  readonly fetch: FetchFunction;
  readonly url: string;
  readonly rate: number[];
  readonly cpu: number[];
}

/** Median over rounds of `side / direct`, each round's runs paired. */
const pairedRatio = (side: Side, direct: Side): number =>
  median(side.rate.map((value, index) => value / direct.rate[index]!));

/**
 * The global `fetch` against `lb.fetch` (default options, three backends that are all the same server, so
 * selection runs) to a server in a child process, and two sides for scale: `await fetch()` in an async function and
 * nothing else, the least any wrapper that looks at the response adds; and a balancer cut down to the work every
 * request needs (skeleton.ts). The order of the sides turns every round, so a slow phase of the shared machine does
 * not always hit the same side.
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
    const path = "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21";
    const side = (name: string, fetch: FetchFunction, url: string): Side => ({ name, fetch, url, rate: [], cpu: [] });
    const direct = side("fetch", (input, init) => fetch(input, init), origin + path);
    const wrapper = side(
      "await fetch() in an async function",
      async (input, init) => await fetch(input, init),
      origin + path,
    );
    const skeleton = side(
      "skeleton balancer (bench/overhead/skeleton.ts)",
      skeletonBalancer([origin, origin, origin]),
      `https://sdk-base.example${path}`,
    );
    const balancer = side("lb.fetch", lb.fetch, `https://sdk-base.example${path}`);
    const sides = [direct, wrapper, skeleton, balancer];
    const run = (s: Side, cpu: number[]) =>
      throughput(s.fetch, s.url, options.requestsPerRound, options.concurrency, cpu);
    for (const s of sides) await run(s, []); // warm-up
    for (let r = 0; r < options.rounds; r++) {
      for (let k = 0; k < sides.length; k++) {
        const s = sides[(r + k) % sides.length]!;
        s.rate.push(await run(s, s.cpu));
      }
    }
    return {
      concurrency: options.concurrency,
      requestsPerRound: options.requestsPerRound,
      rounds: options.rounds,
      backends: backends.length,
      directRequestsPerSecond: round(median(direct.rate), 0),
      balancerRequestsPerSecond: round(median(balancer.rate), 0),
      throughputRatio: round(pairedRatio(balancer, direct), 3),
      roundRatios: balancer.rate.map((value, index) => round(value / direct.rate[index]!, 3)),
      sides: sides.map((s) => ({
        name: s.name,
        requestsPerSecond: round(median(s.rate), 0),
        ratio: round(pairedRatio(s, direct), 3),
        cpuUsPerRequest: round(median(s.cpu), 1),
        addedCpuUsPerRequest: round(median(s.cpu.map((value, index) => value - direct.cpu[index]!)), 1),
      })),
      wrapperThroughputRatio: round(pairedRatio(wrapper, direct), 3),
      directCpuUsPerRequest: round(median(direct.cpu), 1),
      balancerCpuUsPerRequest: round(median(balancer.cpu), 1),
      addedCpuUsPerRequest: round(median(balancer.cpu.map((value, index) => value - direct.cpu[index]!)), 1),
      wrapperAddedCpuUsPerRequest: round(median(wrapper.cpu.map((value, index) => value - direct.cpu[index]!)), 1),
      skeletonThroughputRatio: round(pairedRatio(skeleton, direct), 3),
      skeletonAddedCpuUsPerRequest: round(median(skeleton.cpu.map((value, index) => value - direct.cpu[index]!)), 1),
    };
  } finally {
    child.kill();
  }
}
