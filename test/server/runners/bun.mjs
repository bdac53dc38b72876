// Bun: eventsHandler served by Bun.serve, through the built package imported by its name.
import { countListeners, createWatchedBalancer, runChecks, TOKEN } from "./checks.mjs";

let failed = 1;
try {
  const lib = await import("openai-priority-loadbalancer");
  const { eventsHandler } = await import("openai-priority-loadbalancer/server");
  const real = createWatchedBalancer(lib);
  const { lb, listeners } = countListeners(real);
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: eventsHandler(lb, { token: TOKEN }) });
  console.log(`events endpoint on bun ${Bun.version}`);
  try {
    ({ failed } = await runChecks({ url: `http://127.0.0.1:${server.port}/lb`, lb: real, listeners }, console.log));
  } finally {
    server.stop(true);
  }
} catch (error) {
  console.error("the Bun runner could not start:", error);
  console.log("0 passed, 1 failed");
}
process.exit(failed === 0 ? 0 : 1);
