// One BroadcastChannel peer in a frame of its own (a browsing context like a tab), driven by the test
// page through `peerCall`.
import * as lib from "openai-priority-loadbalancer/shared";
import { type PeerAnswer, type PeerCommand, servePeer } from "../cases/peer.js";

declare global {
  interface Window {
    peerCall?: (command: PeerCommand) => Promise<PeerAnswer>;
  }
}

const pending = new Map<number, (answer: PeerAnswer) => void>();
const handle = servePeer(lib, (answer) => {
  pending.get(answer.id)?.(answer);
  pending.delete(answer.id);
});
window.peerCall = (command) =>
  new Promise((resolve) => {
    pending.set(command.id, resolve);
    handle(command);
  });
