// Node (20 and 24, `node --test`): the shared-state cases against the built package, imported by its name
// as a user would: redisState with node-redis and ioredis, broadcastChannelState between worker threads.
import { after } from "node:test";
import { Worker } from "node:worker_threads";
import { sharedBundles } from "./bundle-paths.mjs";
import { startControlledRedis } from "./redis-control.mjs";

const { redisCases, broadcastCases, peerClient, expectResolved, runtimeName } = await import(sharedBundles.suite);
const { nodeRedisPlatform, ioredisPlatform } = await import(sharedBundles.nodePlatforms);
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

const peerScript = new URL("node-worker-peer.mjs", import.meta.url);
async function spawn() {
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
}

redisCases({ ...nodeRedisPlatform(server, redisState, runtime), createLoadBalancer });
redisCases({ ...ioredisPlatform(server, redisState, runtime), createLoadBalancer });
broadcastCases({ name: `${runtime} worker threads`, spawn });
