import { Worker } from "node:worker_threads";
import { beforeAll, describe, it } from "vitest";
import { bundleSharedSuite, sharedBundles } from "../../scripts/lib/bundle-shared-suite.mjs";
import { broadcastCases, peerClient, type Peer } from "./cases/broadcast-cases.js";

const peerScript = new URL("runners/node-worker-peer.mjs", import.meta.url);

/** A peer in its own worker thread, running the adapter bundled from src/. */
async function spawnWorkerPeer(): Promise<Peer> {
  const worker = new Worker(peerScript, {
    workerData: { suiteUrl: sharedBundles.suite, libUrl: sharedBundles.shared },
  });
  const { peer, onAnswer } = peerClient(
    (command) => worker.postMessage(command),
    async () => {
      await worker.terminate();
    },
  );
  await new Promise<void>((resolve, reject) => {
    worker.once("error", reject);
    worker.on("message", (answer: { id: number }) => {
      if (answer.id === -1) resolve();
      else onAnswer(answer);
    });
  });
  return peer;
}

beforeAll(async () => {
  await bundleSharedSuite();
}, 60_000);

const platform = { name: `node ${process.version} worker threads`, spawn: spawnWorkerPeer };
describe(platform.name, () => {
  for (const { name, fn } of broadcastCases(platform)) it(name.replace(`${platform.name} › `, ""), fn, 30_000);
});
