// eventsHandler (openai-priority-loadbalancer/server) on a real socket in each server runtime:
// node:http through toNodeListener, Deno.serve, Bun.serve. Run through `npm run test:server`,
// which builds first. A runtime that cannot start counts as failed: nothing is skipped.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hostNode as findHostNode } from "./lib/host-node.mjs";
import { runCommand } from "./lib/run-command.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name) => `${root}node_modules/.bin/${name}`;
const runner = (name) => `${root}test/server/runners/${name}`;
// The machine's own Node (20 here), found outside npm's PATH: inside npm scripts `node` is Node 24.
const hostNode = findHostNode();
const node24 = `${root}node_modules/node24/bin/node`;
const denoFlags = ["run", "--cached-only", "--allow-net=127.0.0.1", "--allow-read", "--allow-env"];
const env = { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", DO_NOT_TRACK: "1", NO_COLOR: "1" };

const runtimes = [
  { name: "node (host)", command: hostNode, args: [runner("node.mjs")] },
  { name: "node 24", command: node24, args: [runner("node.mjs")] },
  { name: "deno", command: bin("deno"), args: [...denoFlags, runner("deno.mjs")] },
  { name: "bun", command: bin("bun"), args: [runner("bun.mjs")] },
];

if (!existsSync(`${root}dist/server.js`)) {
  console.error("dist/server.js is missing: run `npm run build` first (npm run test:server does).");
  process.exit(1);
}

const results = [];
for (const { name, command, args } of runtimes) {
  console.log(`\n=== ${name}: ${[command, ...args].map((part) => part.replace(root, "")).join(" ")}`);
  const { code, lines } = await runCommand(command, args, { prefix: `[${name}] `, env, cwd: root, timeoutMs: 60_000 });
  const version =
    lines.find((line) => line.startsWith("events endpoint on "))?.replace("events endpoint on ", "") ?? "?";
  const counts = lines.map((line) => /^(\d+) passed, (\d+) failed$/.exec(line)).findLast((match) => match !== null);
  const passed = Number(counts?.[1] ?? 0);
  const failed = Number(counts?.[2] ?? 0);
  let problem;
  if (code !== 0) problem = code === null ? "timed out" : `exited with ${code}`;
  else if (counts === undefined || passed === 0) problem = "ran no checks";
  results.push({ name, version, passed, failed, problem });
}

console.log("\nruntime        version                          passed  failed");
for (const { name, version, passed, failed, problem } of results) {
  console.log(
    `${name.padEnd(14)} ${version.padEnd(32)} ${String(passed).padStart(6)}  ${String(failed).padStart(6)}${problem ? `  FAILED: ${problem}` : ""}`,
  );
}
const bad = results.filter((result) => result.problem !== undefined || result.failed > 0);
console.log(`${results.length - bad.length} of ${results.length} runtimes green`);
process.exit(bad.length === 0 ? 0 : 1);
