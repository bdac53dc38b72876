import type { SharedState, SharedStateConnection, SharedStateContext, SharedUpdate } from "../types/shared.ts";
import { MAX_TIMER_MS, randomId, withTimeout } from "../shared/clock.ts";
import { unrefTimer } from "../utils/timers.ts";
import { PendingUpdates } from "../shared/pending.ts";
import { detectClient, type RedisDriver, type RedisSubscriber } from "./client.ts";
import { redisKeys, type RedisKeys } from "./keys.ts";
import { resolveRedisOptions, type RedisStateOptions, type ResolvedRedisOptions } from "./options.ts";
import { KEEP_LATER_DEADLINE } from "./scripts.ts";

/** Writes still unanswered (timed out ones included) beyond which new ones wait in the pending queue. */
const MAX_UNSETTLED = 8;
/** Messages longer than this are not ours: names and a few numbers fit in far less. */
const MAX_MESSAGE_LENGTH = 16_384;
/** A late starter reads at most this many cooldown keys. */
const MAX_SCANNED_KEYS = 10_000;
const RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;
/**
 * How long an owner key lives. Responses are kept 30 days, but follow-ups come within a conversation:
 * a day covers those, and keys written by a configuration long gone expire on their own.
 */
const OWNER_TTL_MS = 86_400_000;
/** A late starter reads at most this many owner keys (the balancer's map keeps the latest `affinity.maxIds`). */
const MAX_SCANNED_OWNERS = 10_000;

/**
 * State shared through Redis between balancers in many processes and machines. Each cooldown is a key
 * with a TTL (a late starter reads them) and a message on the namespace's channel (the others hear of it
 * at once), and so is each owner of a stateful-API id (its key lives 24 h); the probe lease is a `SET NX PX` key. Accepts, without importing any of them, a connected
 * node-redis client (v5, v6), an ioredis instance or Bun's `RedisClient`; it opens one more connection
 * (`duplicate()`) to subscribe and leaves the user's client open on `close()`.
 *
 * The store is never awaited by a request: writes are queued (at most `maxPending`, the oldest dropped),
 * a claim that the store does not answer within `timeoutMs` is won locally, and faults go to the balancer's
 * `report`. After a reconnect the adapter writes what waited and reads the current cooldowns again.
 *
 * @example
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
 * const lb = createLoadBalancer({ backends, shared: redisState(redis, { namespace: "chat-prod" }) });
 */
export function redisState(client: unknown, options?: RedisStateOptions): SharedState {
  const driver = detectClient(client);
  if (driver === undefined) {
    throw new TypeError(
      `redisState: client must be a node-redis client, an ioredis instance or Bun's RedisClient, got ${client === null ? "null" : typeof client}`,
    );
  }
  const resolved = resolveRedisOptions(options);
  return { connect: (context) => new RedisConnection(driver, resolved, context) };
}

/** What a cooldown key holds; its TTL is the remaining time. */
interface StoredCooldown {
  readonly backend: string;
  readonly deployment: string | null;
  readonly reason: string;
  readonly failures: number;
}

class RedisConnection implements SharedStateConnection {
  readonly #driver: RedisDriver;
  readonly #options: ResolvedRedisOptions;
  readonly #context: SharedStateContext;
  readonly #keys: RedisKeys;
  readonly #id = randomId();
  readonly #pending: PendingUpdates;
  readonly #subscriber: Promise<RedisSubscriber | undefined>;
  #subscribed = false;
  #draining = false;
  #unsettled = 0;
  #healthy = true;
  #closed = false;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #retryMs = RETRY_MS;

  constructor(driver: RedisDriver, options: ResolvedRedisOptions, context: SharedStateContext) {
    this.#driver = driver;
    this.#options = options;
    this.#context = context;
    this.#keys = redisKeys(options.keyPrefix, options.namespace ?? context.namespace);
    this.#pending = new PendingUpdates(options.maxPending);
    this.#subscriber = this.#subscribe();
  }

  publish(update: SharedUpdate): void {
    if (this.#closed) return;
    this.#pending.add(update);
    void this.#drain();
  }

  async claimProbe(backend: string, deployment: string | null, ttlMs: number): Promise<boolean> {
    if (this.#closed) return false;
    const ttl = String(Math.min(Math.max(1, Math.ceil(ttlMs)), MAX_TIMER_MS));
    // The store cannot say who probes: this process does, as it would without sharing.
    if (!this.#driver.isReady()) return this.#fault(new Error("redisState: Redis is not connected"), true);
    try {
      const reply = await this.#command(["SET", this.#keys.probe(backend, deployment), this.#id, "NX", "PX", ttl]);
      this.#healthy = true;
      return reply !== null && reply !== undefined;
    } catch (error) {
      return this.#fault(error, true);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retry);
    const subscriber = await this.#subscriber;
    await withTimeout(subscriber?.close() ?? Promise.resolve(), this.#options.timeoutMs, "Redis").catch(() => {});
  }

  async #subscribe(): Promise<RedisSubscriber | undefined> {
    while (!this.#closed) {
      try {
        const subscriber = await this.#driver.subscribe(this.#keys.channel, {
          message: (message) => this.#receive(message),
          ready: () => {
            if (this.#subscribed) this.#reconnected();
          },
          error: (error) => this.#fault(error, undefined),
        });
        if (this.#closed) {
          await subscriber.close().catch(() => {});
          return undefined;
        }
        this.#subscribed = true;
        this.#reconnected();
        return subscriber;
      } catch (error) {
        this.#fault(error, undefined);
        await new Promise((resolve) => unrefTimer(setTimeout(resolve, this.#retryMs)));
        this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
      }
    }
    return undefined;
  }

  /** Catches up after a (re)connect: writes what waited, reads what the others wrote meanwhile. */
  #reconnected(): void {
    if (this.#closed) return;
    this.#healthy = true;
    void this.#drain();
    void this.#readCooldowns();
    void this.#readOwners();
  }

  #receive(message: string): void {
    if (this.#closed) return;
    let parsed: unknown;
    try {
      if (message.length > MAX_MESSAGE_LENGTH) throw new Error(`${message.length} characters`);
      parsed = JSON.parse(message);
    } catch (error) {
      this.#context.report(new Error(`redisState: malformed message on ${this.#keys.channel}`, { cause: error }));
      return;
    }
    const { from, update } = (parsed ?? {}) as { from?: unknown; update?: unknown };
    if (from !== this.#id) this.#context.receive(update);
  }

  async #readCooldowns(): Promise<void> {
    let cursor = "0";
    let read = 0;
    try {
      do {
        const reply = await this.#command(["SCAN", cursor, "MATCH", this.#keys.cooldownPattern, "COUNT", "100"]);
        const [next, keys] = parseScan(reply);
        cursor = next;
        for (const key of keys) {
          if (this.#closed || read++ >= MAX_SCANNED_KEYS) return;
          const [value, ttl] = await Promise.all([this.#command(["GET", key]), this.#command(["PTTL", key])]);
          const remainingMs = Number(ttl);
          if (typeof value !== "string" || !(remainingMs > 0)) continue;
          const stored = parseStored(value);
          if (stored === undefined) this.#context.report(new Error(`redisState: malformed value in ${key}`));
          else this.#context.receive({ type: "cooldown", ...stored, remainingMs });
        }
      } while (cursor !== "0" && !this.#closed);
    } catch (error) {
      this.#fault(error, undefined);
    }
  }

  /** Reads the owner keys, a SCAN page at a time with one MGET each. */
  async #readOwners(): Promise<void> {
    let cursor = "0";
    let read = 0;
    const prefix = this.#keys.owner("");
    try {
      do {
        const reply = await this.#command(["SCAN", cursor, "MATCH", this.#keys.ownerPattern, "COUNT", "100"]);
        const [next, keys] = parseScan(reply);
        cursor = next;
        if (this.#closed || keys.length === 0) continue;
        const values = await this.#command(["MGET", ...keys]);
        if (!Array.isArray(values)) throw new Error("redisState: unexpected MGET reply");
        for (let i = 0; i < keys.length; i++) {
          if (this.#closed || read++ >= MAX_SCANNED_OWNERS) return;
          const backend = values[i];
          if (typeof backend === "string")
            this.#context.receive({ type: "owner", id: keys[i]!.slice(prefix.length), backend });
        }
      } while (cursor !== "0" && !this.#closed);
    } catch (error) {
      this.#fault(error, undefined);
    }
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (!this.#closed && this.#pending.size > 0 && this.#unsettled < MAX_UNSETTLED) {
        // A client that is offline would queue the command and send it, stale, on reconnect.
        if (!this.#driver.isReady()) {
          this.#fault(new Error("redisState: Redis is not connected"), undefined);
          break;
        }
        const update = this.#pending.take();
        if (update === undefined) break;
        try {
          await this.#write(update);
          this.#healthy = true;
          this.#retryMs = RETRY_MS;
        } catch (error) {
          this.#pending.restore(update);
          this.#fault(error, undefined);
          break;
        }
      }
    } finally {
      this.#draining = false;
    }
    if (this.#pending.size > 0) this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#retry !== undefined || this.#closed) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.#drain();
    }, this.#retryMs);
    unrefTimer(this.#retry);
  }

  async #write(update: SharedUpdate): Promise<void> {
    const message = JSON.stringify({ v: 1, from: this.#id, update });
    if (update.type === "owner") {
      await Promise.all([
        this.#command(["SET", this.#keys.owner(update.id), update.backend, "PX", String(OWNER_TTL_MS)]),
        this.#command(["PUBLISH", this.#keys.channel, message]),
      ]);
      return;
    }
    const { backend, deployment } = update;
    if (update.type === "cooldown") {
      const stored: StoredCooldown = { backend, deployment, reason: update.reason, failures: update.failures };
      const ms = String(Math.min(Math.max(1, Math.ceil(update.remainingMs)), MAX_TIMER_MS));
      const key = this.#keys.cooldown(backend, deployment);
      await Promise.all([
        this.#command(["EVAL", KEEP_LATER_DEADLINE, "1", key, JSON.stringify(stored), ms]),
        this.#command(["PUBLISH", this.#keys.channel, message]),
      ]);
    } else {
      await Promise.all([
        this.#command(["DEL", this.#keys.cooldown(backend, deployment), this.#keys.probe(backend, deployment)]),
        this.#command(["PUBLISH", this.#keys.channel, message]),
      ]);
    }
  }

  /** One command, bounded in time; a command that times out still counts until the client settles it. */
  #command(args: readonly string[]): Promise<unknown> {
    this.#unsettled++;
    const sent = this.#driver.command(args).finally(() => {
      this.#unsettled--;
    });
    return withTimeout(sent, this.#options.timeoutMs, `Redis ${args[0]}`);
  }

  /** Reports the first fault of an outage (not every failed write of it) and returns `result`. */
  #fault<T>(error: unknown, result: T): T {
    if (this.#healthy) {
      this.#healthy = false;
      this.#context.report(error);
    }
    return result;
  }
}

function parseScan(reply: unknown): [string, string[]] {
  if (Array.isArray(reply) && reply.length === 2 && Array.isArray(reply[1]))
    return [String(reply[0]), reply[1].filter((key): key is string => typeof key === "string")];
  // node-redis' typed scan() answers { cursor, keys }; sendCommand answers the raw array.
  const { cursor, keys } = (reply ?? {}) as { cursor?: unknown; keys?: unknown };
  if (Array.isArray(keys)) return [String(cursor), keys.filter((key): key is string => typeof key === "string")];
  throw new Error("redisState: unexpected SCAN reply");
}

function parseStored(value: string): StoredCooldown | undefined {
  try {
    const parsed = JSON.parse(value) as Partial<StoredCooldown> | null;
    if (parsed === null || typeof parsed !== "object" || typeof parsed.backend !== "string") return undefined;
    return {
      backend: parsed.backend,
      deployment: typeof parsed.deployment === "string" ? parsed.deployment : null,
      reason: String(parsed.reason),
      failures: Number(parsed.failures),
    };
  } catch {
    return undefined;
  }
}
