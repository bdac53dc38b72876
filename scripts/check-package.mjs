// The npm and JSR packages, as their checkers see them. Run through `npm run check:package`,
// which builds first. Every check runs; any failure fails the script.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { checkPackContents } from "./lib/pack-contents.mjs";
import { runCommand } from "./lib/run-command.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const read = (file) => JSON.parse(readFileSync(`${root}${file}`, "utf8"));
const bin = (name) => `${root}node_modules/.bin/${name}`;
const env = { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" };
const manifest = read("package.json");
const deno = read("deno.json");
const REQUIRED_EXPORTS = [".", "./dashboard"];

const denoEntries = Object.values(deno.exports ?? {});
// deno lint the directories the JSR entries live in (src/, dashboard/), not the repository's tests and tools.
const denoDirs = [...new Set(denoEntries.map((entry) => entry.replace(/^\.\//, "").split("/")[0]))];

const checks = [
  ["one version in package.json and deno.json", process.execPath, [`${root}scripts/check-versions.mjs`]],
  ["publint --strict", process.execPath, [bin("publint"), "--strict"]],
  [
    "attw --pack . --profile esm-only",
    process.execPath,
    [bin("attw"), "--pack", ".", "--profile", "esm-only", "--format", "table-flipped"],
  ],
  ["deno publish --dry-run (no slow types)", bin("deno"), ["publish", "--dry-run", "--allow-dirty"]],
  ["deno check of the JSR entries", bin("deno"), ["check", ...denoEntries]],
  [`deno lint ${denoDirs.join(" ")}`, bin("deno"), ["lint", ...denoDirs]],
];

let passed = 0;
let failed = 0;
const verdict = (name, problems) => {
  if (problems.length === 0) passed++;
  else failed++;
  console.log(problems.length === 0 ? `PASS ${name}` : `FAIL ${name}\n     ${problems.join("\n     ")}`);
};

console.log("=== exports for . and ./dashboard, in package.json (with types) and deno.json");
verdict(
  "exports",
  REQUIRED_EXPORTS.flatMap((key) => [
    ...(manifest.exports?.[key] === undefined ? [`package.json exports has no "${key}"`] : []),
    ...(deno.exports?.[key] === undefined ? [`deno.json exports has no "${key}"`] : []),
  ]),
);

console.log("=== npm pack --dry-run: only built ESM, .d.ts, README and LICENSE; every chunk an entry imports");
const { problems, files } = checkPackContents(root, manifest);
console.log(files.map((file) => `  ${file}`).join("\n"));
verdict("npm pack contents", problems);

for (const [name, command, args] of checks) {
  console.log(`=== ${name}`);
  const { code } = await runCommand(command, args, { prefix: "  ", env, cwd: root });
  verdict(name, code === 0 ? [] : [`exited with ${code}`]);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
