/** Options of {@link redisState}. */
export interface RedisStateOptions {
  /**
   * Names the keys and the channel: balancers with the same namespace share. Defaults to the balancer's
   * own, derived from its backends' names and URLs, so two different configurations never share by accident.
   */
  readonly namespace?: string;
  /** Put before every key and channel name, e.g. `"myapp:"`. Default `""`. Use this, not ioredis' `keyPrefix`. */
  readonly keyPrefix?: string;
  /** How long a store command may take before it counts as failed, ms. Default 1000. */
  readonly timeoutMs?: number;
  /** At most this many updates wait while the store is unreachable; the oldest goes first. Default 100. */
  readonly maxPending?: number;
}

/** {@link RedisStateOptions} after validation, with every default applied. */
export interface ResolvedRedisOptions {
  readonly namespace: string | undefined;
  readonly keyPrefix: string;
  readonly timeoutMs: number;
  readonly maxPending: number;
}

function fail(field: string, value: unknown, expected: string): never {
  const shown = typeof value === "string" ? JSON.stringify(value) : typeof value === "number" ? value : typeof value;
  throw new TypeError(`redisState: option ${field} must be ${expected}, got ${shown}`);
}

const isName = (value: unknown): value is string =>
  typeof value === "string" && value.length <= 200 && !/[\s\0]/.test(value);

/** Validates the options; a `TypeError` names the field and the value. */
export function resolveRedisOptions(options: RedisStateOptions | undefined): ResolvedRedisOptions {
  const { namespace, keyPrefix = "", timeoutMs = 1000, maxPending = 100 } = options ?? {};
  if (namespace !== undefined && (!isName(namespace) || namespace === ""))
    fail("namespace", namespace, "a non-empty string of at most 200 characters without spaces");
  if (!isName(keyPrefix)) fail("keyPrefix", keyPrefix, "a string of at most 200 characters without spaces");
  if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0)
    fail("timeoutMs", timeoutMs, "a positive number of milliseconds");
  if (!Number.isSafeInteger(maxPending) || maxPending < 1) fail("maxPending", maxPending, "a positive integer");
  return { namespace, keyPrefix, timeoutMs, maxPending };
}
