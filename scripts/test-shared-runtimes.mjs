// The shared-state adapter cases (test/shared/cases) in every runtime, against the built package and a real
// redis-server each run starts: node:test cases run natively by `node --test` (Node 20 and 24: node-redis,
// ioredis, worker threads), `deno test` (npm:redis, workers) and `bun test` (RedisClient, workers), and
// vitest's browser mode for Chromium (frames). `npm test` builds before; run `npm run build` first when alone.
// A runtime that cannot start, or runs no case, fails the run: nothing is skipped.
import { existsSync, realpathSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bundleSharedSuite } from "./lib/bundle-shared-suite.mjs";
import { hostNode } from "./lib/host-node.mjs";
import { runCommand } from "./lib/run-command.mjs";
import { versionOf } from "./lib/versions.mjs";
import { redisServerPath } from "./redis-server.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name) => `${root}node_modules/.bin/${name}`;
const runner = (name) => `${root}test/shared/runners/${name}`;
const out = `${root}test-results/shared`;
const node24 = realpathSync(`${root}node_modules/node24/bin/node`);
const host = hostNode();
// --allow-run for redis-server only: the cases start and kill it; --allow-sys for node-redis' os calls.
const denoTest = [
  "test",
  "--no-check",
  "--cached-only",
  "--allow-net=127.0.0.1",
  "--allow-read",
  "--allow-env",
  `--allow-run=${redisServerPath}`,
  "--allow-sys",
];
// No update checks, prompts or colours: CI has no stdin, and the counts below are read from the output.
const env = { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", DO_NOT_TRACK: "1", NO_COLOR: "1" };

/** How many cases passed and failed, from each runner's closing lines. */
const counts = {
  node: (text) => [/^ℹ pass (\d+)$/m.exec(text)?.[1], /^ℹ fail (\d+)$/m.exec(text)?.[1]],
  // Deno counts each file's top-level test once and the cases as its steps.
  deno: (text) => [/passed \((\d+) steps?\)/.exec(text)?.[1], /\| (\d+) failed/.exec(text)?.[1]],
  bun: (text) => [/^\s*(\d+) pass$/m.exec(text)?.[1], /^\s*(\d+) fail$/m.exec(text)?.[1]],
  vitest: (text) => [
    /Tests\s+(?:(\d+) failed \| )?(\d+) passed/.exec(text)?.[2],
    /Tests\s+(\d+) failed/.exec(text)?.[1] ?? "0",
  ],
};

const nodeTest = ["--test", "--test-reporter=spec", runner("node.test.mjs")];
const runtimes = [
  {
    name: "node (host)",
    command: host,
    args: nodeTest,
    count: counts.node,
    problem: (version) =>
      host === node24 || version === versionOf(node24)
        ? "is the Node 24 of node_modules, not the machine's"
        : undefined,
  },
  {
    name: "node 24",
    command: node24,
    args: nodeTest,
    count: counts.node,
    problem: (version) => (version.startsWith("v24.") ? undefined : "is not Node 24"),
  },
  { name: "deno (npm:)", command: bin("deno"), args: [...denoTest, runner("deno.test.mjs")], count: counts.deno },
  {
    name: "bun",
    command: bin("bun"),
    // Bun resolves bare names through tsconfig paths, which map the package to src/: not for this run.
    // Its runner's default 5 s per case is shorter than a Redis restart may take.
    args: [`--tsconfig-override=${out}/tsconfig.json`, "test", "--timeout=30000", runner("bun.test.mjs")],
    count: counts.bun,
  },
  {
    name: "chromium",
    command: node24,
    args: [`${root}node_modules/vitest/vitest.mjs`, "run", "--config", "test/shared/browser/vitest.config.ts"],
    version: [process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", ["--version"]],
    before: ["bash", [`${root}scripts/ensure-chromium.sh`]],
    count: counts.vitest,
  },
];

if (!existsSync(`${root}dist/redis.js`) || !existsSync(`${root}dist/shared.js`)) {
  console.error("dist/redis.js or dist/shared.js is missing: run `npm run build` first (npm test does).");
  process.exit(1);
}
// The cases as one plain ES module, the same file for every runtime (Node 20 runs no TypeScript).
console.log("=== bundling test/shared/suite.ts to test-results/shared");
await bundleSharedSuite();
writeFileSync(`${out}/tsconfig.json`, "{}\n");

const results = [];
for (const { name, command, args, count, problem: check, before, version: versionCommand } of runtimes) {
  const prefix = `[${name}] `;
  let problem;
  if (before !== undefined && (await runCommand(before[0], before[1], { prefix, env })).code !== 0)
    problem = "could not be installed";
  const version = versionCommand ? versionOf(...versionCommand) : versionOf(command);
  console.log(`\n=== ${name}: ${version} (${command.replace(root, "")})`);
  problem ??= check?.(version);
  const { code, lines } =
    problem === undefined ? await runCommand(command, args, { prefix, env, cwd: root }) : { code: 1, lines: [] };
  const text = lines.join("\n");
  const [passed, failed] = count(text).map((n) => Number(n ?? 0));
  if (problem === undefined && code !== 0) problem = code === null ? "timed out" : `exited with ${code}`;
  if (problem === undefined && passed === 0) problem = "ran no case";
  if (problem === undefined && !/shared-state suite on /.test(text))
    problem = "did not say which runtime ran the cases";
  results.push({ name, version, passed, failed, problem });
}

console.log(`\n${"runtime".padEnd(14)} ${"version".padEnd(62)} passed  failed`);
for (const { name, version, passed, failed, problem } of results) {
  const verdict = problem ? `  FAILED: ${problem}` : "";
  console.log(
    `${name.padEnd(14)} ${version.padEnd(62)} ${String(passed).padStart(6)}  ${String(failed).padStart(6)}${verdict}`,
  );
}
const bad = results.filter((result) => result.problem !== undefined || result.failed > 0);
const total = results.reduce((sum, { passed }) => sum + passed, 0);
console.log(`${results.length - bad.length} of ${results.length} runtimes green; ${total} cases passed`);
process.exit(bad.length === 0 ? 0 : 1);
