// Deno (`deno test`): the shared-state cases against the built package through npm:, redisState with
// node-redis (npm:redis), broadcastChannelState between Deno workers.
import { after } from "node:test";
import { sharedBundles } from "./bundle-paths.mjs";
import { startControlledRedis } from "./redis-control.mjs";
import { webWorkerSpawner } from "./web-workers.mjs";

const { redisCases, broadcastCases, peerClient, expectResolved, runtimeName } = await import(sharedBundles.suite);
for (const entry of ["index", "redis", "shared"]) {
  const specifier =
    entry === "index" ? "npm:openai-priority-loadbalancer" : `npm:openai-priority-loadbalancer/${entry}`;
  expectResolved(specifier, import.meta.resolve(specifier), `/dist/${entry}.js`);
}
const { redisState } = await import("npm:openai-priority-loadbalancer/redis");
const { createLoadBalancer } = await import("npm:openai-priority-loadbalancer");
const { createClient } = await import("npm:redis");
const runtime = runtimeName();
console.log(`shared-state suite on ${runtime}`);

// A server that cannot start throws here: the file fails, and with it the run.
const server = await startControlledRedis();
after(() => server.close());

redisCases({
  name: `${runtime} npm:redis`,
  redisState,
  createLoadBalancer,
  server,
  async connect(url) {
    const client = createClient({ url, socket: { reconnectStrategy: (retries) => Math.min(50 * retries, 300) } });
    client.on("error", () => {});
    return client.connect();
  },
  command: (client, args) => client.sendCommand(args),
  async disconnect(client) {
    client.destroy();
  },
});
const spawn = webWorkerSpawner(peerClient, sharedBundles.suite, "npm:openai-priority-loadbalancer/shared");
broadcastCases({ name: `${runtime} workers`, spawn });
