// Everything the shared-state cases need outside vitest, bundled into one plain ES module
// (test-results/shared/suite.js) by scripts/test-shared-runtimes.mjs, so every runtime runs the same code.
export { runTests } from "../conformance/harness.js";
export { redisCases } from "./cases/redis-cases.js";
export { broadcastCases, peerClient } from "./cases/broadcast-cases.js";
export { servePeer } from "./cases/peer.js";
