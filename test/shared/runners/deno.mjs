// Deno: the shared-state cases against the built package through npm:, redisState with node-redis
// (npm:redis), broadcastChannelState between Deno workers.
import { sharedBundles } from "./bundle-paths.mjs";
import { startControlledRedis } from "./redis-control.mjs";
import { webWorkerSpawner } from "./web-workers.mjs";

let failed = 1;
let server;
try {
  const { redisState } = await import("npm:openai-priority-loadbalancer/redis");
  const { createClient } = await import("npm:redis");
  const { runTests, redisCases, broadcastCases, peerClient } = await import(sharedBundles.suite);
  server = await startControlledRedis();
  const label = `deno ${Deno.version.deno}`;
  const redis = {
    name: `${label} npm:redis`,
    redisState,
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
  };
  const spawn = webWorkerSpawner(peerClient, sharedBundles.suite, "npm:openai-priority-loadbalancer/shared");
  const tests = [...redisCases(redis), ...broadcastCases({ name: `${label} workers`, spawn })];
  console.log(`shared-state suite on deno ${Deno.version.deno}: ${tests.length} tests`);
  ({ failed } = await runTests(tests, (line) => console.log(line)));
} catch (error) {
  console.error("the Deno runner could not start:", error);
  console.log("0 passed, 1 failed");
} finally {
  await server?.close();
}
Deno.exit(failed === 0 ? 0 : 1);
