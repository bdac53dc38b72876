// `npm run demo:server`: the balancer runs in this Node process (the OpenAI SDK against simulated
// backends on real sockets) and serves its events; the page shows them with remoteBalancer.
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { createServer as createVite } from "vite";

const port = Number(process.env.PORT ?? 5174);
const token = process.env.LB_EVENTS_TOKEN ?? "demo-token";
const vite = await createVite({
  configFile: fileURLToPath(new URL("vite.config.ts", import.meta.url)),
  // A cache of its own, so it never invalidates the one of `npm run demo` (or its e2e test).
  cacheDir: fileURLToPath(new URL("../../node_modules/.vite/demo-server", import.meta.url)),
  server: { middlewareMode: true },
});
const { startDemoBalancer } = await vite.ssrLoadModule("/server/balancer.ts");
const { eventsHandler, toNodeListener } = await vite.ssrLoadModule("/../../src/server/index.ts");
const demo = await startDemoBalancer();
const events = toNodeListener(eventsHandler(demo.lb, { token }));

const server = createServer((req, res) => {
  if (req.url?.startsWith("/lb/events")) return events(req, res);
  if (req.url === "/api/burst" && req.method === "POST") {
    void demo.burst(20);
    return res.writeHead(202).end();
  }
  if (req.url === "/" || req.url === "/index.html") return res.writeHead(302, { location: "/server.html" }).end();
  vite.middlewares(req, res);
});
server.listen(port, "127.0.0.1", () => {
  console.log(`demo (server mode): http://127.0.0.1:${port}/server.html  (events at /lb/events, token "${token}")`);
});
const stop = () => {
  demo.close();
  server.closeAllConnections();
  server.close();
  void vite.close();
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
