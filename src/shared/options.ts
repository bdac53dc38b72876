/** Options of {@link broadcastChannelState}. */
export interface BroadcastChannelStateOptions {
  /**
   * The channel's name: balancers of one origin (or one process) with the same name share. Defaults to
   * the balancer's namespace, derived from its backends' names and URLs.
   */
  readonly name?: string;
  /**
   * How long a probe claim waits for an objection before it counts as won, ms. Default 50. Longer is
   * safer on a busy main thread; the probe waits that long.
   */
  readonly claimWindowMs?: number;
}

/** {@link BroadcastChannelStateOptions} after validation, with every default applied. */
export interface ResolvedBroadcastOptions {
  readonly name: string | undefined;
  readonly claimWindowMs: number;
}

function fail(field: string, value: unknown, expected: string): never {
  const shown = typeof value === "string" ? JSON.stringify(value) : typeof value === "number" ? value : typeof value;
  throw new TypeError(`broadcastChannelState: option ${field} must be ${expected}, got ${shown}`);
}

/** Validates the options; a `TypeError` names the field and the value. */
export function resolveBroadcastOptions(options: BroadcastChannelStateOptions | undefined): ResolvedBroadcastOptions {
  const { name, claimWindowMs = 50 } = options ?? {};
  if (name !== undefined && (typeof name !== "string" || name === "" || name.length > 200))
    fail("name", name, "a non-empty string of at most 200 characters");
  if (
    typeof claimWindowMs !== "number" ||
    !Number.isFinite(claimWindowMs) ||
    claimWindowMs < 0 ||
    claimWindowMs > 10_000
  )
    fail("claimWindowMs", claimWindowMs, "a number of milliseconds from 0 to 10000");
  return { name, claimWindowMs };
}
