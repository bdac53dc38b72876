/** The runtime running this code and its version, e.g. `node v20.20.2`, `deno 2.9.5`, `bun 1.4.5`. */
export function runtimeName(): string {
  const { Deno, Bun, process } = globalThis as {
    Deno?: { version: { deno: string } };
    Bun?: { version: string };
    process?: { version: string };
  };
  if (Deno !== undefined) return `deno ${Deno.version.deno}`;
  if (Bun !== undefined) return `bun ${Bun.version}`;
  if (process !== undefined) return `node ${process.version}`;
  return globalThis.navigator?.userAgent ?? "unknown runtime";
}

/** Fails unless `specifier` resolves to a file ending in `expected`: each runtime must test the package it claims to. */
export function expectResolved(specifier: string, resolved: string, expected: string): void {
  if (!resolved.endsWith(expected)) {
    throw new Error(
      `${specifier} resolved to ${resolved}, expected …${expected}: this run would not test that package`,
    );
  }
}
