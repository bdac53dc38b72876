// What the runtime runs (scripts/test-runtimes.mjs, scripts/test-shared-runtimes.mjs) share: the runtimes
// every suite runs in, running each, reading its counts, and the table. A runtime that cannot start, or
// runs no case, fails the run: nothing is skipped.
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hostNode } from "./host-node.mjs";
import { runCommand } from "./run-command.mjs";
import { versionOf } from "./versions.mjs";

/** The repository root, with a trailing slash. */
export const root = fileURLToPath(new URL("../..", import.meta.url));
/** The path of a dev dependency's binary. */
export const bin = (name) => `${root}node_modules/.bin/${name}`;
const node24 = realpathSync(`${root}node_modules/node24/bin/node`);
const host = hostNode();
/** No update checks, prompts or colours: CI has no stdin, and the counts are read from the output. */
export const env = {
  ...process.env,
  DENO_NO_UPDATE_CHECK: "1",
  DENO_NO_PROMPT: "1",
  DO_NOT_TRACK: "1",
  NO_COLOR: "1",
};

/** How many cases passed and failed, from each runner's closing lines. */
export const counts = {
  node: (text) => [/^ℹ pass (\d+)$/m.exec(text)?.[1], /^ℹ fail (\d+)$/m.exec(text)?.[1]],
  // Deno counts each file's top-level test once and the cases as its steps.
  deno: (text) => [/passed \((\d+) steps?\)/.exec(text)?.[1], /\| (\d+) failed/.exec(text)?.[1]],
  bun: (text) => [/^\s*(\d+) pass$/m.exec(text)?.[1], /^\s*(\d+) fail$/m.exec(text)?.[1]],
  vitest: (text) => [
    /Tests\s+(?:(\d+) failed \| )?(\d+) passed/.exec(text)?.[2],
    /Tests\s+(\d+) failed/.exec(text)?.[1] ?? "0",
  ],
};

/** The machine's Node and the Node 24 of node_modules, each running `node --test` with `args`. */
export function nodeRuntimes(args) {
  const nodeTest = ["--test", "--test-reporter=spec", ...args];
  return [
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
  ];
}

/** Chromium, through vitest's browser mode with the config at `config` (relative to the root). */
export function chromiumRuntime(config) {
  return {
    name: "chromium",
    command: node24,
    args: [`${root}node_modules/vitest/vitest.mjs`, "run", "--config", config],
    version: [process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", ["--version"]],
    before: ["bash", [`${root}scripts/ensure-tool.sh`, "chromium", "/usr/bin/chromium", "CHROMIUM_PATH"]],
    count: counts.vitest,
  };
}

/**
 * Runs every runtime in turn, prints the table and exits: 0 when each started, ran at least one case,
 * failed none and printed `said` (the line naming the runtime that ran the cases), 1 otherwise.
 */
export async function runRuntimes(runtimes, { said, nameWidth }) {
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
    if (problem === undefined && !said.test(text)) problem = "did not say which runtime ran the cases";
    results.push({ name, version, passed, failed, problem });
  }

  console.log(`\n${"runtime".padEnd(nameWidth)} ${"version".padEnd(62)} passed  failed`);
  for (const { name, version, passed, failed, problem } of results) {
    const verdict = problem ? `  FAILED: ${problem}` : "";
    console.log(
      `${name.padEnd(nameWidth)} ${version.padEnd(62)} ${String(passed).padStart(6)}  ${String(failed).padStart(6)}${verdict}`,
    );
  }
  const bad = results.filter((result) => result.problem !== undefined || result.failed > 0);
  const total = results.reduce((sum, { passed }) => sum + passed, 0);
  console.log(`${results.length - bad.length} of ${results.length} runtimes green; ${total} cases passed`);
  process.exit(bad.length === 0 ? 0 : 1);
}
