// A balancer with broadcastChannelState in a worker thread of its own, driven by messages: `fetch` sends one
// chat request and answers with the status and the body; `cooldowns` answers the cooldown events so far.
import { parentPort, workerData } from "node:worker_threads";

const { createLoadBalancer } = await import(workerData.indexUrl);
const { broadcastChannelState } = await import(workerData.sharedUrl);
const lb = createLoadBalancer({
  backends: workerData.backends,
  shared: broadcastChannelState({ name: workerData.channel }),
  defaultCooldownMs: 1000,
});
const cooldowns = [];
lb.on("cooldown", (event) => cooldowns.push({ backend: event.backend, remote: event.remote, reason: event.reason }));

async function run(op) {
  if (op === "fetch") {
    const response = await lb.fetch("http://client.invalid/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
    });
    return { status: response.status, body: await response.text() };
  }
  if (op === "cooldowns") return cooldowns;
  if (op === "close") return lb.close();
  throw new Error(`unknown op ${op}`);
}
parentPort.on("message", ({ id, op }) => {
  run(op).then(
    (result) => parentPort.postMessage({ id, result }),
    (error) => parentPort.postMessage({ id, error: String(error) }),
  );
});
parentPort.postMessage({ id: -1 });
