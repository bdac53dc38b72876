// Child process of bodies-worker: the two backends, out of the measured process. Each reads and discards a
// request's body, then answers; the first 503, the second 200. Prints their URLs as one JSON line and exits
// when its stdin closes (when the worker exits).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const urls: string[] = [];
for (const status of [503, 200]) {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => response.writeHead(status, { "content-type": "application/json" }).end("{}"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}
process.stdin.on("end", () => process.exit(0)).resume();
process.stdout.write(`${JSON.stringify(urls)}\n`);
