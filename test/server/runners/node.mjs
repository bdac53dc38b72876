// Node: eventsHandler on node:http through toNodeListener, from the built package imported by its name.
import { createServer } from "node:http";
import { countListeners, createWatchedBalancer, runChecks, TOKEN } from "./checks.mjs";

let failed = 1;
try {
  const lib = await import("openai-priority-loadbalancer");
  const { eventsHandler, toNodeListener } = await import("openai-priority-loadbalancer/server");
  const real = createWatchedBalancer(lib);
  const { lb, listeners } = countListeners(real);
  const server = createServer(toNodeListener(eventsHandler(lb, { token: TOKEN })));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  console.log(`events endpoint on node ${process.version}`);
  try {
    const url = `http://127.0.0.1:${server.address().port}/lb`;
    ({ failed } = await runChecks({ url, lb: real, listeners }, console.log));
  } finally {
    server.closeAllConnections();
    server.close();
  }
} catch (error) {
  console.error("the Node runner could not start:", error);
  console.log("0 passed, 1 failed");
}
process.exit(failed === 0 ? 0 : 1);
