// The conformance cases (test/conformance) in every runtime the package supports, against the
// built package: node:test cases that Node, Deno and Bun run with their own runners, and vitest's
// browser mode for Chromium. `npm test` builds before; run `npm run build` first when alone.
// A runtime that cannot start, or runs no case, fails the run: nothing is skipped.
import { existsSync, writeFileSync } from "node:fs";
import { runCommand } from "./lib/run-command.mjs";
import { bin, chromiumRuntime, counts, env, nodeRuntimes, root, runRuntimes } from "./lib/runtime-runner.mjs";

const out = `${root}test-results/conformance`;
const cases = (entry) => `${out}/conformance/${entry}`;
const denoTest = ["test", "--allow-net=127.0.0.1", "--allow-read", "--allow-env"];

const runtimes = [
  ...nodeRuntimes([cases("package.test.js")]),
  {
    name: "deno (npm build)",
    command: bin("deno"),
    // Deno resolves the package name to this repository's files, not to an installed npm package, so it
    // would type-check dist/'s declarations as local modules, whose `./x.js` → `./x.d.ts` mapping only
    // sloppy imports allow. Types are checked by `npm run check:package` (attw, publint, deno check).
    args: [...denoTest, "--no-check", cases("package.test.js")],
    count: counts.deno,
  },
  { name: "deno (JSR entry)", command: bin("deno"), args: [...denoTest, cases("jsr.test.js")], count: counts.deno },
  {
    name: "bun",
    command: bin("bun"),
    // Bun resolves bare names through tsconfig paths, which map the package to src/: not for this run.
    args: [`--tsconfig-override=${out}/tsconfig.json`, "test", cases("package.test.js")],
    count: counts.bun,
  },
  chromiumRuntime("test/conformance/vitest.config.ts"),
];

if (!existsSync(`${root}dist/index.js`)) {
  console.error("dist/index.js is missing: run `npm run build` first (npm test does).");
  process.exit(1);
}
// The cases as JavaScript, the same files for every runtime (Node 20 runs no TypeScript).
console.log("=== emitting test/conformance to test-results/conformance");
const emit = await runCommand(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "test/conformance"], {
  prefix: "  ",
  env,
  cwd: root,
});
if (emit.code !== 0) process.exit(1);
writeFileSync(`${out}/tsconfig.json`, "{}\n");

await runRuntimes(runtimes, { said: /conformance on /, nameWidth: 18 });
