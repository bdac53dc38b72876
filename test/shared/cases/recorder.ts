import type { SharedStateContext } from "../../../src/types/shared.js";

/** A {@link SharedStateContext} that records what the adapter delivers and reports. */
export interface Recorder extends SharedStateContext {
  readonly received: unknown[];
  readonly reported: unknown[];
  /** Resolves with the first received update that `match` accepts, or rejects after `ms`. */
  next(match: (update: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
}

/** A recording context for `namespace`. */
export function recorder(namespace: string): Recorder {
  const received: unknown[] = [];
  const reported: unknown[] = [];
  const waiters = new Set<() => void>();
  return {
    namespace,
    received,
    reported,
    receive(update) {
      received.push(update);
      for (const wake of waiters) wake();
    },
    report(error) {
      reported.push(error);
    },
    next(match, ms = 5000) {
      const find = () =>
        received.find(
          (update): update is Record<string, unknown> =>
            update !== null && typeof update === "object" && match(update as Record<string, unknown>),
        );
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = find();
          if (found === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching update within ${ms} ms; received ${JSON.stringify(received)}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 20 ms until it holds, or throws after `ms` with `what`. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}
