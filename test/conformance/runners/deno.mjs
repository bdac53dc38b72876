// Deno: the suite through the JSR entry (deno.json's name → TypeScript sources) or through npm: (the built package).
import { suiteUrl } from "./suite-path.mjs";

const entry = Deno.args[0];
let failed = 1;
try {
  if (entry !== "jsr" && entry !== "npm") throw new Error(`usage: deno.mjs jsr|npm, got ${entry}`);
  const lib =
    entry === "jsr"
      ? await import("@plb/openai-priority-loadbalancer")
      : await import("npm:openai-priority-loadbalancer");
  const { runConformance, handleBackendRequest } = await import(suiteUrl);
  const listening = Promise.withResolvers();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: listening.resolve }, handleBackendRequest);
  const { port } = await listening.promise;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedUrl = `http://127.0.0.1:${listener.addr.port}`;
  listener.close();
  try {
    const platform = {
      runtime: `deno ${Deno.version.deno} via ${entry === "jsr" ? "the JSR entry (TypeScript sources)" : "npm:openai-priority-loadbalancer"}`,
      serverUrl: `http://127.0.0.1:${port}`,
      closedUrl,
    };
    ({ failed } = await runConformance(lib, platform, (line) => console.log(line)));
  } finally {
    await server.shutdown();
  }
} catch (error) {
  console.error("the Deno runner could not start:", error);
  console.log("0 passed, 1 failed");
}
Deno.exit(failed === 0 ? 0 : 1);
