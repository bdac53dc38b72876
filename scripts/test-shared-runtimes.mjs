// The shared-state adapters (test/shared/cases) in every runtime, against the built package and a real
// redis-server each runner starts: redisState with node-redis and ioredis (Node 20 and 24), Bun's RedisClient
// and npm:redis in Deno; broadcastChannelState between worker threads, Deno and Bun workers and Chromium pages.
// Run through `npm run test:shared`, which builds first. A runtime that cannot start counts as failed.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bundleSharedSuite } from "./lib/bundle-shared-suite.mjs";
import { redisServerPath } from "./redis-server.mjs";
import { hostNode as findHostNode } from "./lib/host-node.mjs";
import { runCommand } from "./lib/run-command.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name) => `${root}node_modules/.bin/${name}`;
const runner = (name) => `${root}test/shared/runners/${name}`;
// The machine's own Node (20 here), found outside npm's PATH: inside npm scripts `node` is Node 24.
const hostNode = findHostNode();
const node24 = `${root}node_modules/node24/bin/node`;
// --allow-run for redis-server only: the runner starts and kills it; --allow-sys for node-redis' os calls.
const denoFlags = [
  "run",
  "--cached-only",
  "--allow-net=127.0.0.1",
  "--allow-read",
  "--allow-env",
  `--allow-run=${redisServerPath}`,
  "--allow-sys",
];
const env = { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", DO_NOT_TRACK: "1", NO_COLOR: "1" };

const runtimes = [
  { name: "node (host)", command: hostNode, args: [runner("node.mjs")] },
  { name: "node 24", command: node24, args: [runner("node.mjs")], major: "v24." },
  { name: "deno (npm:)", command: bin("deno"), args: [...denoFlags, runner("deno.mjs")] },
  { name: "bun", command: bin("bun"), args: [runner("bun.mjs")] },
  {
    name: "chromium",
    command: node24,
    args: [runner("chromium.mjs")],
    before: ["bash", [`${root}scripts/ensure-chromium.sh`]],
  },
];

if (!existsSync(`${root}dist/redis.js`) || !existsSync(`${root}dist/shared.js`)) {
  console.error("dist/redis.js or dist/shared.js is missing: run `npm run build` first (npm run test:shared does).");
  process.exit(1);
}
await bundleSharedSuite();

const results = [];
for (const { name, command, args, major, before } of runtimes) {
  console.log(`\n=== ${name}: ${[command, ...args].map((part) => part.replace(root, "")).join(" ")}`);
  const prefix = `[${name}] `;
  let problem;
  if (before !== undefined && (await runCommand(before[0], before[1], { prefix, env })).code !== 0)
    problem = "could not be installed";
  const { code, lines } =
    problem === undefined ? await runCommand(command, args, { prefix, env, cwd: root }) : { code: 1, lines: [] };
  const header = lines.find((line) => line.startsWith("shared-state suite on "));
  const version = header?.replace(/^shared-state suite on /, "").replace(/: \d+ tests$/, "") ?? "?";
  const counts = lines.map((line) => /^(\d+) passed, (\d+) failed$/.exec(line)).findLast((match) => match !== null);
  const passed = Number(counts?.[1] ?? 0);
  const failed = Number(counts?.[2] ?? 0);
  if (problem === undefined && code !== 0) problem = code === null ? "timed out" : `exited with ${code}`;
  if (problem === undefined && (counts === undefined || passed === 0)) problem = "ran no tests";
  if (problem === undefined && major !== undefined && !version.includes(major)) problem = `is not ${major}x`;
  results.push({ name, version, passed, failed, problem });
}

console.log("\nruntime        version                          passed  failed");
for (const { name, version, passed, failed, problem } of results) {
  console.log(
    `${name.padEnd(14)} ${version.padEnd(32)} ${String(passed).padStart(6)}  ${String(failed).padStart(6)}${problem ? `  FAILED: ${problem}` : ""}`,
  );
}
const bad = results.filter((result) => result.problem !== undefined || result.failed > 0);
const total = results.reduce((sum, { passed }) => sum + passed, 0);
console.log(`${results.length - bad.length} of ${results.length} runtimes green; ${total} passed`);
process.exit(bad.length === 0 ? 0 : 1);
