/** Peers in Web Workers (Deno, Bun): each worker imports the suite and the adapter entry `libUrl`. */
export function webWorkerSpawner(peerClient, suiteUrl, libUrl) {
  const script = new URL("web-worker-peer.mjs", import.meta.url);
  return async () => {
    const worker = new Worker(script, { type: "module" });
    const { peer, onAnswer } = peerClient(
      (command) => worker.postMessage(command),
      async () => worker.terminate(),
    );
    await new Promise((resolve, reject) => {
      worker.onerror = (event) => reject(new Error(`worker failed: ${event.message ?? event}`));
      worker.onmessage = ({ data }) => (data.id === -1 ? resolve() : onAnswer(data));
      worker.postMessage({ suiteUrl, libUrl });
    });
    return peer;
  };
}
