// One version number: package.json (npm) and deno.json (JSR) must agree.
import { readFileSync } from "node:fs";

const read = (file) => JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), "utf8"));
const npm = read("package.json").version;
const jsr = read("deno.json").version;
const semver = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

if (!semver.test(npm ?? "")) {
  console.error(`package.json has no valid version: ${npm}`);
  process.exit(1);
}
if (npm !== jsr) {
  console.error(`version mismatch: package.json ${npm}, deno.json ${jsr}`);
  process.exit(1);
}
console.log(`version ${npm} in package.json and deno.json`);
