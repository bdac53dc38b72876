/**
 * The few things the adapter needs from a Redis client, whichever library made it. No library is
 * imported: the client is recognised by its shape.
 */
export interface RedisDriver {
  /** `node-redis`, `ioredis` or `bun`, for messages. */
  readonly kind: RedisClientKind;
  /** Whether the user's client is connected now: commands are not queued while it is offline. */
  isReady(): boolean;
  /** Sends one command with string arguments and resolves with the reply. */
  command(args: readonly string[]): Promise<unknown>;
  /** Opens a second connection subscribed to `channel`; `onReady` runs on every (re)connect of it. */
  subscribe(channel: string, hooks: SubscriberHooks): Promise<RedisSubscriber>;
}

/** The libraries whose clients {@link redisState} accepts. */
export type RedisClientKind = "node-redis" | "ioredis" | "bun";

/** What the subscriber connection calls back. */
export interface SubscriberHooks {
  message(message: string): void;
  ready(): void;
  error(error: unknown): void;
}

/** The subscriber connection the adapter opened (never the user's own client). */
export interface RedisSubscriber {
  close(): Promise<void>;
}

type Fn = (...args: never[]) => unknown;
type Loose = Record<string, unknown>;
type Emitter = { on(event: string, listener: (...args: never[]) => void): unknown };

const isFunction = (value: unknown): value is Fn => typeof value === "function";
const has = (client: Loose, ...names: string[]): boolean => names.every((name) => isFunction(client[name]));
const call = (target: Loose, name: string, ...args: unknown[]): unknown => (target[name] as Fn)(...(args as never[]));

/**
 * The subscriber after `subscribe` resolved, its connection ended by `end` if it rejected; closing it
 * unsubscribes from `channel`, then ends the connection even if that failed.
 */
async function subscribed(
  sub: Loose,
  channel: string,
  subscribe: () => unknown,
  end: () => void,
): Promise<RedisSubscriber> {
  try {
    await subscribe();
  } catch (error) {
    end();
    throw error;
  }
  return {
    async close() {
      try {
        await call(sub, "unsubscribe", channel);
      } finally {
        end();
      }
    },
  };
}

/**
 * Recognises the client: ioredis has `call` and a `status` (and a `sendCommand` of its own, so it goes
 * first), node-redis `sendCommand`, Bun's `RedisClient` `send`.
 */
export function detectClient(client: unknown): RedisDriver | undefined {
  if (client === null || typeof client !== "object") return undefined;
  const loose = client as Loose;
  if (has(loose, "call", "duplicate", "subscribe", "on") && typeof loose.status === "string") return ioredis(loose);
  if (has(loose, "sendCommand", "duplicate", "subscribe")) return nodeRedis(loose);
  if (has(loose, "send", "duplicate", "subscribe")) return bun(loose);
  return undefined;
}

function nodeRedis(client: Loose): RedisDriver {
  return {
    kind: "node-redis",
    isReady: () => client.isReady !== false,
    command: (args) => Promise.resolve(call(client, "sendCommand", [...args])),
    async subscribe(channel, hooks) {
      const sub = call(client, "duplicate") as Loose & Emitter;
      // Without an 'error' listener node-redis rethrows connection errors and ends the process.
      sub.on("error", (error: never) => hooks.error(error));
      sub.on("ready", () => hooks.ready());
      return await subscribed(
        sub,
        channel,
        async () => {
          await call(sub, "connect");
          await call(sub, "subscribe", channel, (message: string) => hooks.message(message));
        },
        // destroy() ends the socket at once, also while it is reconnecting to a server that is gone.
        () => call(sub, isFunction(sub.destroy) ? "destroy" : "disconnect"),
      );
    },
  };
}

function ioredis(client: Loose): RedisDriver {
  return {
    kind: "ioredis",
    isReady: () => client.status === undefined || client.status === "ready",
    command: ([name, ...args]) => Promise.resolve(call(client, "call", name, ...args)),
    async subscribe(channel, hooks) {
      // duplicate() connects by itself; ioredis resubscribes after a reconnect.
      const sub = call(client, "duplicate") as Loose & Emitter;
      sub.on("error", (error: never) => hooks.error(error));
      sub.on("ready", () => hooks.ready());
      sub.on("message", (from: never, message: never) => {
        if (from === channel) hooks.message(message);
      });
      return await subscribed(
        sub,
        channel,
        () => call(sub, "subscribe", channel),
        () => call(sub, "disconnect"),
      );
    },
  };
}

function bun(client: Loose): RedisDriver {
  return {
    kind: "bun",
    isReady: () => client.connected !== false,
    command: ([name, ...args]) => Promise.resolve(call(client, "send", name, args)),
    async subscribe(channel, hooks) {
      const sub = (await call(client, "duplicate")) as Loose;
      const listener = (message: string): void => hooks.message(message);
      // Bun's client reconnects (its onconnect fires then, the first connect happened in duplicate())
      // but does not subscribe again on the server: the adapter does, with the same listener, then catches up.
      sub.onconnect = () => {
        Promise.resolve(call(sub, "subscribe", channel, listener)).then(() => hooks.ready(), hooks.error);
      };
      sub.onclose = (error: unknown) => {
        if (error !== undefined && error !== null) hooks.error(error);
      };
      return await subscribed(
        sub,
        channel,
        () => call(sub, "subscribe", channel, listener),
        () => call(sub, "close"),
      );
    },
  };
}
