// Everything the shared-state cases need, bundled into one plain ES module (test-results/shared/suite.js)
// by scripts/lib/bundle-shared-suite.mjs, so that every runtime runs the very same code. The cases
// register with node:test, which stays an import: each runtime's own runner runs them.
export { expectResolved, runtimeName } from "../conformance/runtime.js";
export { broadcastCases, peerClient } from "./cases/broadcast-cases.js";
export { servePeer } from "./cases/peer.js";
export { redisCases } from "./cases/redis-cases.js";
