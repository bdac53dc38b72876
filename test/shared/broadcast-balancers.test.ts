// Two balancers in worker threads of their own sharing state through broadcastChannelState, against
// simulated backends on real loopback sockets.
import { Worker } from "node:worker_threads";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { bundleSharedSuite, sharedBundles } from "../../scripts/lib/bundle-shared-suite.mjs";
import { ok, SimulatedBackends, tooMany } from "../support/backends.js";
import { serveBackends } from "../support/server.js";
import { eventually } from "./cases/recorder.js";

const PTU = "https://ptu.example.com";
const PAYGO = "https://paygo.example.com";
const workerScript = new URL("runners/balancer-worker.mjs", import.meta.url);

interface Cooldown {
  readonly backend: { readonly name: string };
  readonly remote: boolean;
}

/** A balancer in a worker thread, driven by messages (see runners/balancer-worker.mjs). */
async function balancerInWorker(backends: { name: string; url: string; priority: number }[], channel: string) {
  const worker = new Worker(workerScript, {
    workerData: { indexUrl: sharedBundles.index, sharedUrl: sharedBundles.shared, backends, channel },
  });
  const waiting = new Map<number, (answer: { result?: unknown; error?: string }) => void>();
  await new Promise<void>((resolve, reject) => {
    worker.once("error", reject);
    worker.on("message", (answer: { id: number; result?: unknown; error?: string }) => {
      if (answer.id === -1) resolve();
      waiting.get(answer.id)?.(answer);
      waiting.delete(answer.id);
    });
  });
  let next = 0;
  const call = (op: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, ({ result, error }) => (error === undefined ? resolve(result) : reject(new Error(error))));
      worker.postMessage({ id, op });
    });
  return {
    fetch: () => call("fetch") as Promise<{ status: number; body: string }>,
    cooldowns: () => call("cooldowns") as Promise<Cooldown[]>,
    async terminate() {
      await call("close");
      await worker.terminate();
    },
  };
}

beforeAll(async () => {
  await bundleSharedSuite();
}, 60_000);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

describe("balancers in worker threads sharing state through broadcastChannelState", () => {
  it("one balancer's 429 on the PTU cools it for the other: none of the other's requests reach the PTU", async () => {
    const state = { ptu: (): Response => ok({ by: "ptu" }) };
    const simulated = new SimulatedBackends({ [PTU]: () => state.ptu(), [PAYGO]: () => ok({ by: "paygo" }) });
    const served = await serveBackends(simulated);
    cleanups.push(() => served.close());
    const backends = [
      { name: "ptu", url: served.url(PTU), priority: 1 },
      { name: "paygo", url: served.url(PAYGO), priority: 2 },
    ];
    const channel = `e2e-${Date.now().toString(36)}`;
    const [a, b] = await Promise.all([balancerInWorker(backends, channel), balancerInWorker(backends, channel)]);
    cleanups.push(
      () => a.terminate(),
      () => b.terminate(),
    );

    state.ptu = () => tooMany({ "retry-after": "20" });
    expect(JSON.parse((await a.fetch()).body)).toEqual({ by: "paygo" });
    await eventually(
      async () => (await b.cooldowns()).some((event) => event.remote && event.backend.name === "ptu"),
      "b hears of the PTU's cooldown",
      5000,
    );
    for (let i = 0; i < 5; i++) expect(JSON.parse((await b.fetch()).body)).toEqual({ by: "paygo" });
    expect(simulated.calls(served.url(PTU))).toHaveLength(1);
    expect(await a.cooldowns()).toMatchObject([{ backend: { name: "ptu" }, remote: false }]);
  }, 30_000);
});
