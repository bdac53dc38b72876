// A Web Worker (Deno, Bun) running one BroadcastChannel peer: the first message names the suite and the adapter modules.
self.onmessage = async ({ data }) => {
  const { servePeer } = await import(data.suiteUrl);
  const lib = await import(data.libUrl);
  const handle = servePeer(lib, (answer) => self.postMessage(answer));
  self.onmessage = ({ data: command }) => handle(command);
  self.postMessage({ id: -1, result: "ready" });
};
