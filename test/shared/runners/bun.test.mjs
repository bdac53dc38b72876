// Bun (`bun test`): the shared-state cases against the built package, redisState with Bun's built-in
// RedisClient, broadcastChannelState between Bun workers.
import { after } from "node:test";
import { RedisClient } from "bun";
import { sharedBundles } from "./bundle-paths.mjs";
import { startControlledRedis } from "./redis-control.mjs";
import { webWorkerSpawner } from "./web-workers.mjs";

const { redisCases, broadcastCases, peerClient, expectResolved, runtimeName } = await import(sharedBundles.suite);
for (const entry of ["index", "redis", "shared"]) {
  const specifier = entry === "index" ? "openai-priority-loadbalancer" : `openai-priority-loadbalancer/${entry}`;
  expectResolved(specifier, import.meta.resolve(specifier), `/dist/${entry}.js`);
}
const { redisState } = await import("openai-priority-loadbalancer/redis");
const { createLoadBalancer } = await import("openai-priority-loadbalancer");
const runtime = runtimeName();
console.log(`shared-state suite on ${runtime}`);

// A server that cannot start throws here: the file fails, and with it the run.
const server = await startControlledRedis();
after(() => server.close());

redisCases({
  name: `${runtime} RedisClient`,
  redisState,
  createLoadBalancer,
  server,
  async connect(url) {
    const client = new RedisClient(url, { autoReconnect: true, maxRetries: 1000, enableOfflineQueue: true });
    await client.connect();
    return client;
  },
  command: (client, [name, ...args]) => client.send(name, args),
  async disconnect(client) {
    client.close();
  },
});
const spawn = webWorkerSpawner(peerClient, sharedBundles.suite, "openai-priority-loadbalancer/shared");
broadcastCases({ name: `${runtime} workers`, spawn });
