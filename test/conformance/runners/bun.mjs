// Bun: the suite against the built package, imported by its name like a user would.
import { suiteUrl } from "./suite-path.mjs";

let failed = 1;
try {
  const lib = await import("openai-priority-loadbalancer");
  const { runConformance, handleBackendRequest } = await import(suiteUrl);
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handleBackendRequest });
  const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const closedUrl = `http://127.0.0.1:${closed.port}`;
  closed.stop(true);
  try {
    const platform = { runtime: `bun ${Bun.version}`, serverUrl: `http://127.0.0.1:${server.port}`, closedUrl };
    ({ failed } = await runConformance(lib, platform, (line) => console.log(line)));
  } finally {
    server.stop(true);
  }
} catch (error) {
  console.error("the Bun runner could not start:", error);
  console.log("0 passed, 1 failed");
}
process.exit(failed === 0 ? 0 : 1);
