// Node (any version): the shared-state cases against the built package, imported by its name like a
// user would: redisState with node-redis and ioredis, broadcastChannelState between worker threads.
import { Worker } from "node:worker_threads";
import { sharedBundles } from "./bundle-paths.mjs";
import { startControlledRedis } from "./redis-control.mjs";

const peerScript = new URL("node-worker-peer.mjs", import.meta.url);
let failed = 1;
let server;
try {
  const { redisState } = await import("openai-priority-loadbalancer/redis");
  const { runTests, redisCases, broadcastCases, peerClient } = await import(sharedBundles.suite);
  const { nodeRedisPlatform, ioredisPlatform } = await import(sharedBundles.nodePlatforms);
  server = await startControlledRedis();
  const label = `node ${process.version}`;
  const spawn = async () => {
    const worker = new Worker(peerScript, {
      workerData: { suiteUrl: sharedBundles.suite, libUrl: "openai-priority-loadbalancer/shared" },
    });
    const { peer, onAnswer } = peerClient(
      (command) => worker.postMessage(command),
      () => worker.terminate().then(() => {}),
    );
    await new Promise((resolve, reject) => {
      worker.once("error", reject);
      worker.on("message", (answer) => (answer.id === -1 ? resolve() : onAnswer(answer)));
    });
    return peer;
  };
  const tests = [
    ...redisCases(nodeRedisPlatform(server, redisState, label)),
    ...redisCases(ioredisPlatform(server, redisState, label)),
    ...broadcastCases({ name: `${label} worker threads`, spawn }),
  ];
  console.log(`shared-state suite on node ${process.version}: ${tests.length} tests`);
  ({ failed } = await runTests(tests, (line) => console.log(line)));
} catch (error) {
  console.error("the Node runner could not start:", error);
  console.log("0 passed, 1 failed");
} finally {
  await server?.close();
}
process.exit(failed === 0 ? 0 : 1);
