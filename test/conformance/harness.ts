/** One registered test. */
export interface TestCase {
  readonly name: string;
  readonly fn: () => void | Promise<void>;
}

/** What a run ends with; every runner prints `N passed, N failed` from it. */
export interface Summary {
  readonly passed: number;
  readonly failed: number;
}

/** A hung test must fail the run rather than hang it. */
const TEST_TIMEOUT_MS = 15_000;

/** Collects tests; `test(name, fn)` as in node:test, without a dependency on any runtime. */
export class Registry {
  readonly tests: TestCase[] = [];
  #prefix = "";

  /** Registers the tests `define` declares, their names prefixed with `group`. */
  group(group: string, define: () => void): void {
    const outer = this.#prefix;
    this.#prefix = `${outer}${group} › `;
    try {
      define();
    } finally {
      this.#prefix = outer;
    }
  }

  test(name: string, fn: () => void | Promise<void>): void {
    this.tests.push({ name: this.#prefix + name, fn });
  }
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`test did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

/** Runs the tests one after another, writing one line per test and the closing `N passed, N failed`. */
export async function runTests(tests: readonly TestCase[], log: (line: string) => void): Promise<Summary> {
  let passed = 0;
  let failed = 0;
  for (const { name, fn } of tests) {
    try {
      await withTimeout(Promise.resolve().then(fn), TEST_TIMEOUT_MS);
      passed++;
      log(`ok   ${name}`);
    } catch (error) {
      failed++;
      log(`FAIL ${name}\n     ${describe(error).replaceAll("\n", "\n     ")}`);
    }
  }
  if (tests.length === 0) {
    failed++;
    log("FAIL no tests were registered");
  }
  log(`${passed} passed, ${failed} failed`);
  return { passed, failed };
}
