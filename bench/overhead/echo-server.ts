// Child process: a loopback HTTP server that answers every request with a small chat completion.
// Prints its port as the first stdout line; exits when killed or when its parent goes (stdin closes).
import http from "node:http";
import { CHAT_RESPONSE } from "../lib/requests.js";

const body = Buffer.from(CHAT_RESPONSE);
const server = http.createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    response.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    response.end(body);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  process.stdout.write(`${address.port}\n`);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
