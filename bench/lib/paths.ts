import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository's root: the nearest directory above this file whose package.json is this package's.
 * The benchmarks run compiled from bench/.dist, so a path relative to this file would depend on where
 * the compiler puts it.
 */
export function repositoryRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "openai-priority-loadbalancer")
      return dir;
    if (dirname(dir) === dir) throw new Error(`no openai-priority-loadbalancer package.json above ${from}`);
  }
}

/** Where `npm run bench` writes every figure. */
export const RESULTS_FILE: string = join(repositoryRoot(), "bench", "results", "latest.json");
