// `npm run bench`: every benchmark in one run (per-request overhead, capacity under overload, memory and
// timers; see docs/benchmarks.md); a table on stdout, every figure in bench/results/latest.json.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, relative } from "node:path";
import { measureCapacity } from "./capacity/suite.js";
import { fleetTargets, measureFleet, printFleet } from "./fleet/run.js";
import { machineInfo } from "./lib/machine.js";
import { RESULTS_FILE, repositoryRoot } from "./lib/paths.js";
import { measureBodies } from "./memory/bodies.js";
import { measureMemory } from "./memory/run.js";
import { measureLoopback } from "./overhead/loopback.js";
import { measureStubOverhead } from "./overhead/stub.js";
import { measureOverload, overloadTargets, printOverload } from "./overload/suite.js";
import { printBodies, printCapacity, printLoopback, printMemory, printStub, printTargets, targets } from "./report.js";

// BENCH_ONLY=stub,loopback,capacity,overload,memory,bodies,fleet runs a subset; BENCH_QUICK=1 shrinks every section (a
// smoke run). BENCH_OUT=<file> writes the JSON of a partial or quick run there (latest.json is for full runs only).
// The overload section (about 3.5 min): BENCH_OVERLOAD_SCENARIOS=1,2 picks scenarios, BENCH_OVERLOAD_REPEATS runs each
// more than once, BENCH_HUNG_DEADLINE_S (default 660: past the SDK's 10-minute timeout, so the default header timeout of 300 s
// shows whole) is where the hung scenario is cut off.
const SECTIONS = "stub,loopback,capacity,overload,memory,bodies,fleet";
const only = new Set((process.env.BENCH_ONLY ?? SECTIONS).split(","));
const quick = process.env.BENCH_QUICK === "1";
const started = Date.now();
const machine = machineInfo();
console.log(
  `openai-priority-loadbalancer benchmarks: Node ${machine.node}, ${machine.cpuModel}, ${machine.logicalCores} cores, ${machine.memoryGiB} GiB, load ${machine.loadAverageAtStart.join(" ")}`,
);

const stub = only.has("stub")
  ? await measureStubOverhead({
      rounds: quick ? 3 : 15,
      requestsPerRound: quick ? 5000 : 50_000,
      backendCounts: [1, 10, 100],
    })
  : undefined;
if (stub) printStub(stub);
const loopback = only.has("loopback")
  ? await measureLoopback({ rounds: quick ? 3 : 25, requestsPerRound: quick ? 300 : 1500, concurrency: 32 })
  : undefined;
if (loopback) printLoopback(loopback);
const capacity = only.has("capacity") ? await measureCapacity(quick ? 1 : 3) : undefined;
if (capacity) printCapacity(capacity.summaries);
const overload = only.has("overload")
  ? await measureOverload({
      quick,
      repeats: Number(process.env.BENCH_OVERLOAD_REPEATS ?? 1),
      hungDeadlineMs: Number(process.env.BENCH_HUNG_DEADLINE_S ?? (quick ? 20 : 660)) * 1000,
      only: process.env.BENCH_OVERLOAD_SCENARIOS?.split(","),
    })
  : undefined;
if (overload) printOverload(overload);
const memory = only.has("memory") ? await measureMemory() : undefined;
if (memory) printMemory(memory);
const bodies = only.has("bodies") ? await measureBodies() : undefined;
if (bodies) printBodies(bodies);
const fleet = only.has("fleet") ? await measureFleet(quick) : undefined;
if (fleet) printFleet(fleet);

const met = {
  ...targets({ stub, loopback, capacity: capacity?.summaries, memory, bodies }),
  ...(overload ? overloadTargets(overload) : {}),
  ...(fleet ? fleetTargets(fleet) : {}),
};
printTargets(met);
const results = {
  command: "npm run bench",
  date: new Date(started).toISOString(),
  durationSeconds: Math.round((Date.now() - started) / 1000),
  quick,
  machine,
  runtime: { node: process.version, v8: process.versions.v8, openaiSdk: (await import("openai/version")).VERSION },
  targets: met,
  overhead: { stub, loopback },
  capacity,
  overload,
  memory,
  bodies,
  fleet,
};
if (!quick && only.size === SECTIONS.split(",").length) {
  await mkdir(dirname(RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nEvery figure: ${relative(repositoryRoot(), RESULTS_FILE)} (${results.durationSeconds} s)`);
} else {
  console.log(`\nPartial or quick run (${results.durationSeconds} s): bench/results/latest.json left as it was.`);
  if (process.env.BENCH_OUT) {
    await writeFile(process.env.BENCH_OUT, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`Its figures: ${process.env.BENCH_OUT}`);
  }
}
