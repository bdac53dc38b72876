import { fileURLToPath } from "node:url";
import { createServer, type ViteDevServer } from "vite";

/** The demo's Vite dev server, as `npm run demo` starts it, on a free port. */
export async function startDemo(): Promise<{ url: string; close(): Promise<void> }> {
  const server: ViteDevServer = await createServer({
    configFile: fileURLToPath(new URL("../../examples/demo/vite.config.ts", import.meta.url)),
    // No file watching or hot reload: an edit elsewhere in the repository must not reload the page mid-test.
    server: { port: 0, host: "127.0.0.1", hmr: false, watch: null },
    logLevel: "error",
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (url === undefined) throw new Error("the demo server did not report its URL");
  return { url, close: () => server.close() };
}
