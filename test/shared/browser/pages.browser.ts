// The BroadcastChannel cases in Chromium: each peer is a same-origin frame importing the built package
// (dist/shared.js, through the alias in vitest.config.ts); the cases run in the test page and drive them.
import { broadcastCases, type Peer, peerClient } from "../cases/broadcast-cases.js";

const frameModule = new URL("./peer-frame.ts", import.meta.url).pathname;

async function spawn(): Promise<Peer> {
  const frame = document.createElement("iframe");
  frame.srcdoc = `<!doctype html><script type="module" src="${frameModule}"></script>`;
  const loaded = new Promise((resolve) => frame.addEventListener("load", resolve, { once: true }));
  document.body.append(frame);
  await loaded;
  const view = frame.contentWindow!;
  const deadline = Date.now() + 10_000;
  while (view.peerCall === undefined) {
    if (Date.now() > deadline) throw new Error("the peer frame did not start within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const call = view.peerCall;
  const { peer, onAnswer } = peerClient(
    (command) => void call(command as never).then(onAnswer),
    async () => frame.remove(),
  );
  return peer;
}

const version = /Chrome\/(\S+)/.exec(navigator.userAgent)?.[1] ?? navigator.userAgent;
console.log(`shared-state suite on chromium ${version}`);
broadcastCases({ name: `chromium ${version} frames`, spawn });
