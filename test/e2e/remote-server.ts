import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { createServer as createVite } from "vite";
import type { LoadBalancer } from "../../src/index.js";
import { eventsHandler, toNodeListener } from "../../src/server/index.js";

/**
 * One `node:http` server on a random loopback port: `eventsHandler(lb, { token })` at `/events`,
 * and the page of `remote-page/` (built by Vite) everywhere else, so the page streams from its own origin.
 */
export async function serveRemoteDashboard(
  lb: LoadBalancer,
  token: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
  const vite = await createVite({
    configFile: false,
    root: here("./remote-page"),
    cacheDir: here("../../node_modules/.vite/remote-dashboard"),
    optimizeDeps: {
      include: ["preact", "preact/hooks", "preact/jsx-runtime", "preact/jsx-dev-runtime", "@preact/signals"],
    },
    server: { middlewareMode: true, hmr: false, watch: null },
    appType: "spa",
    logLevel: "error",
  });
  const events = toNodeListener(eventsHandler(lb, { token, snapshotDelayMs: 50 }));
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith("/events")) events(req, res);
    else vite.middlewares(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  let closed = false;
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await vite.close();
    },
  };
}
