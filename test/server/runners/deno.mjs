// Deno: eventsHandler served by Deno.serve, through the JSR entries (TypeScript sources).
import { countListeners, createWatchedBalancer, runChecks, TOKEN } from "./checks.mjs";

let failed = 1;
try {
  const lib = await import("@plb/openai-priority-loadbalancer");
  const { eventsHandler } = await import("@plb/openai-priority-loadbalancer/server");
  const real = createWatchedBalancer(lib);
  const { lb, listeners } = countListeners(real);
  const listening = Promise.withResolvers();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: listening.resolve },
    eventsHandler(lb, { token: TOKEN }),
  );
  const { port } = await listening.promise;
  console.log(`events endpoint on deno ${Deno.version.deno}`);
  try {
    ({ failed } = await runChecks({ url: `http://127.0.0.1:${port}/lb`, lb: real, listeners }, console.log));
  } finally {
    await server.shutdown();
  }
} catch (error) {
  console.error("the Deno runner could not start:", error);
  console.log("0 passed, 1 failed");
}
Deno.exit(failed === 0 ? 0 : 1);
