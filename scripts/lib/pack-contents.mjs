import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { posix } from "node:path";

/** What users need and nothing else: built ESM, declarations, README, LICENSE (and the manifest npm always adds). */
const ALLOWED = [/^package\.json$/, /^README\.md$/, /^LICENSE$/, /^dist\/.+\.js$/, /^dist\/.+\.d\.ts$/];

const target = (value) => (typeof value === "string" ? [value] : Object.values(value ?? {}).flatMap(target));

/**
 * Checks the file list of `npm pack --dry-run` in `cwd` against the package's needs.
 * @returns the problems found (empty when the tarball is right) and the file list.
 */
export function checkPackContents(cwd, manifest) {
  const npm = process.env.npm_execpath;
  const [command, args] = npm ? [process.execPath, [npm]] : ["npm", []];
  const output = execFileSync(command, [...args, "pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd,
    encoding: "utf8",
  });
  const files = JSON.parse(output)[0]
    .files.map(({ path }) => path)
    .sort();
  const problems = [];
  for (const file of files) if (!ALLOWED.some((pattern) => pattern.test(file))) problems.push(`not for users: ${file}`);
  const exported = Object.values(manifest.exports)
    .flatMap(target)
    .map((path) => path.replace(/^\.\//, ""));
  for (const file of ["README.md", "LICENSE", ...exported])
    if (!files.includes(file)) problems.push(`missing: ${file}`);
  // The build splits what several entries share into chunks (dist/*-[hash].js): each must be packed too.
  for (const file of files.filter((path) => path.endsWith(".js"))) {
    const source = readFileSync(`${cwd}/${file}`, "utf8");
    for (const [, specifier] of source.matchAll(/^(?:import|export)\b[^"';]*?from\s*"(\.{1,2}\/[^"]+)"/gm)) {
      const imported = posix.join(posix.dirname(file), specifier);
      if (!files.includes(imported)) problems.push(`missing: ${imported}, imported by ${file}`);
    }
  }
  for (const [key, value] of Object.entries(manifest.exports)) {
    if (key !== "./package.json" && (typeof value !== "object" || typeof value.types !== "string"))
      problems.push(`export ${key} has no "types"`);
  }
  return { problems, files };
}
