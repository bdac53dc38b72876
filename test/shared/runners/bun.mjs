// Bun: the shared-state cases against the built package: redisState with Bun's built-in RedisClient,
// broadcastChannelState between Bun workers.
import { RedisClient } from "bun";
import { sharedBundles } from "./bundle-paths.mjs";
import { startControlledRedis } from "./redis-control.mjs";
import { webWorkerSpawner } from "./web-workers.mjs";

let failed = 1;
let server;
try {
  const { redisState } = await import("openai-priority-loadbalancer/redis");
  const { runTests, redisCases, broadcastCases, peerClient } = await import(sharedBundles.suite);
  server = await startControlledRedis();
  const label = `bun ${Bun.version}`;
  const redis = {
    name: `${label} RedisClient`,
    redisState,
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
  };
  const spawn = webWorkerSpawner(peerClient, sharedBundles.suite, "openai-priority-loadbalancer/shared");
  const tests = [...redisCases(redis), ...broadcastCases({ name: `${label} workers`, spawn })];
  console.log(`shared-state suite on bun ${Bun.version}: ${tests.length} tests`);
  ({ failed } = await runTests(tests, (line) => console.log(line)));
} catch (error) {
  console.error("the Bun runner could not start:", error);
  console.log("0 passed, 1 failed");
} finally {
  await server?.close();
}
process.exit(failed === 0 ? 0 : 1);
