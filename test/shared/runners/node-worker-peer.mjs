// A Node worker thread running one BroadcastChannel peer: workerData names the suite and the adapter modules.
import { parentPort, workerData } from "node:worker_threads";

const { servePeer } = await import(workerData.suiteUrl);
const lib = await import(workerData.libUrl);
const handle = servePeer(lib, (answer) => parentPort.postMessage(answer));
parentPort.on("message", handle);
parentPort.postMessage({ id: -1, result: "ready" });
