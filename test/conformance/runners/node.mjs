// Node (any version): the suite against the built package, imported by its name like a user would.
import { closedOrigin, serveWithNodeHttp } from "./node-server.mjs";
import { suiteUrl } from "./suite-path.mjs";

let failed = 1;
try {
  const lib = await import("openai-priority-loadbalancer");
  const { runConformance, handleBackendRequest } = await import(suiteUrl);
  const server = await serveWithNodeHttp(handleBackendRequest);
  try {
    const platform = { runtime: `node ${process.version}`, serverUrl: server.url, closedUrl: await closedOrigin() };
    ({ failed } = await runConformance(lib, platform, (line) => console.log(line)));
  } finally {
    server.close();
  }
} catch (error) {
  console.error("the Node runner could not start:", error);
  console.log("0 passed, 1 failed");
}
process.exit(failed === 0 ? 0 : 1);
