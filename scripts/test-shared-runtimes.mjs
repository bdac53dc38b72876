// The shared-state adapter cases (test/shared/cases) in every runtime, against the built package and a real
// redis-server each run starts: node:test cases run natively by `node --test` (Node 20 and 24: node-redis,
// ioredis, worker threads), `deno test` (npm:redis, workers) and `bun test` (RedisClient, workers), and
// vitest's browser mode for Chromium (frames). `npm test` builds before; run `npm run build` first when alone.
// A runtime that cannot start, or runs no case, fails the run: nothing is skipped.
import { existsSync, writeFileSync } from "node:fs";
import { bundleSharedSuite } from "./lib/bundle-shared-suite.mjs";
import { bin, chromiumRuntime, counts, nodeRuntimes, root, runRuntimes } from "./lib/runtime-runner.mjs";
import { redisServerPath } from "./redis-server.mjs";

const runner = (name) => `${root}test/shared/runners/${name}`;
const out = `${root}test-results/shared`;
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

const runtimes = [
  ...nodeRuntimes([runner("node.test.mjs")]),
  { name: "deno (npm:)", command: bin("deno"), args: [...denoTest, runner("deno.test.mjs")], count: counts.deno },
  {
    name: "bun",
    command: bin("bun"),
    // Bun resolves bare names through tsconfig paths, which map the package to src/: not for this run.
    // Its runner's default 5 s per case is shorter than a Redis restart may take.
    args: [`--tsconfig-override=${out}/tsconfig.json`, "test", "--timeout=30000", runner("bun.test.mjs")],
    count: counts.bun,
  },
  chromiumRuntime("test/shared/browser/vitest.config.ts"),
];

if (!existsSync(`${root}dist/redis.js`) || !existsSync(`${root}dist/shared.js`)) {
  console.error("dist/redis.js or dist/shared.js is missing: run `npm run build` first (npm test does).");
  process.exit(1);
}
// The cases as one plain ES module, the same file for every runtime (Node 20 runs no TypeScript).
console.log("=== bundling test/shared/suite.ts to test-results/shared");
await bundleSharedSuite();
writeFileSync(`${out}/tsconfig.json`, "{}\n");

await runRuntimes(runtimes, { said: /shared-state suite on /, nameWidth: 14 });
