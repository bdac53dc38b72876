// Runs its arguments under the machine's own Node (see lib/host-node.mjs), printing which one, and
// fails if that is the Node 24 of node_modules: then "host Node" would mean Node 24 twice.
// Usage: node scripts/host-node.mjs node_modules/vitest/vitest.mjs run --project core
import { spawnSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hostNode } from "./lib/host-node.mjs";
import { versionOf } from "./lib/versions.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const node24 = realpathSync(`${root}node_modules/node24/bin/node`);
const host = hostNode();
const version = versionOf(host);
console.log(`=== host node: ${host} ${version}`);
if (host === node24 || version === versionOf(node24)) {
  console.error(
    `the host node is the Node 24 of node_modules (${node24}): this stage would not test the machine's Node`,
  );
  process.exit(1);
}
if (!version.startsWith("v20.")) console.log(`note: the host node is ${version}, not Node 20`);
const { status, signal } = spawnSync(host, process.argv.slice(2), { stdio: "inherit", cwd: root });
process.exit(status ?? (signal ? 1 : 0));
