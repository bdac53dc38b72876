// node-redis and ioredis under Node, for the Node runner of scripts/test-shared-runtimes.mjs (which adds the
// package's createLoadBalancer).
import { Redis } from "ioredis";
import { createClient } from "redis";
import type { RedisPlatform, ServerControl } from "./cases/redis-cases.js";

type Loose = Record<string, (...args: unknown[]) => unknown>;

/** node-redis (the `redis` package), reconnecting quickly so that tests do not wait on back-off. */
export function nodeRedisPlatform(
  server: ServerControl,
  redisState: RedisPlatform["redisState"],
  label = `node ${process.version}`,
): Omit<RedisPlatform, "createLoadBalancer"> {
  return {
    name: `${label} node-redis`,
    redisState,
    server,
    async connect(url) {
      const client = createClient({
        url,
        socket: { reconnectStrategy: (retries: number) => Math.min(50 * retries, 300) },
      });
      client.on("error", () => {});
      return client.connect();
    },
    command: (client, args) => (client as Loose).sendCommand!(args) as Promise<unknown>,
    async disconnect(client) {
      (client as Loose).destroy!();
    },
  };
}

/** ioredis, reconnecting quickly. */
export function ioredisPlatform(
  server: ServerControl,
  redisState: RedisPlatform["redisState"],
  label = `node ${process.version}`,
): Omit<RedisPlatform, "createLoadBalancer"> {
  return {
    name: `${label} ioredis`,
    redisState,
    server,
    async connect(url) {
      const client = new Redis(url, { retryStrategy: (times) => Math.min(50 * times, 300), maxRetriesPerRequest: 1 });
      client.on("error", () => {});
      await new Promise<void>((resolve, reject) => {
        client.once("ready", () => resolve());
        client.once("end", () => reject(new Error("ioredis could not connect")));
      });
      return client;
    },
    command: (client, [name, ...args]) => (client as Redis).call(name!, ...args),
    async disconnect(client) {
      (client as unknown as Redis).disconnect();
    },
  };
}
