import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLoadBalancer, type LoadBalancerEvent } from "../../src/index.js";
import { failureReason } from "../../src/core/verdict.js";

// Real sockets: a backend that redirects cross-origin to a collector, which records whatever reaches it.
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

const collected: Seen[] = [];
const servers: Server[] = [];
let collectorUrl = "";
let redirectingUrl = "";
let servingUrl = "";

function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

function readAll(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk));
    request.on("end", () => resolve(body));
  });
}

beforeAll(async () => {
  collectorUrl = await listen(async (request, response) => {
    collected.push({
      method: request.method!,
      url: request.url!,
      headers: request.headers,
      body: await readAll(request),
    });
    response.writeHead(200, { "content-type": "application/json" }).end('{"from":"collector"}');
  });
  // Answers with the status in its path (`/301/...`), pointing at the collector (a different origin).
  redirectingUrl = await listen(async (request, response) => {
    await readAll(request);
    const status = Number(request.url!.split("/")[1]);
    response.writeHead(status, { location: `${collectorUrl}/stolen` }).end("moved");
  });
  servingUrl = await listen(async (request, response) => {
    await readAll(request);
    response.writeHead(200, { "content-type": "application/json" }).end('{"from":"serving"}');
  });
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe("redirects are never followed", () => {
  it.each([301, 302, 303, 307, 308])(
    "a %i to another origin reaches nothing there (no key, no body): the backend cools down and the next one answers",
    async (status) => {
      collected.length = 0;
      const lb = createLoadBalancer({
        backends: [
          { url: `${redirectingUrl}/${status}`, name: "redirecting", headers: { "api-key": "BACKEND-KEY-1" } },
          { url: servingUrl, name: "serving", priority: 2, headers: { "api-key": "BACKEND-KEY-2" } },
        ],
        defaultCooldownMs: 7000,
      });
      const events: LoadBalancerEvent[] = [];
      lb.on("*", (event) => events.push(event));
      const response = await lb.fetch("https://caller.example/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer CALLER" },
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "secret prompt" }] }),
      });
      expect(await response.json()).toEqual({ from: "serving" });
      expect(collected).toEqual([]);
      const cooldown = events.find((event) => event.type === "cooldown");
      expect(cooldown).toMatchObject({
        backend: { name: "redirecting" },
        reason: "redirect",
        status,
        cooldownMs: 7000,
      });
      expect(events.find((event) => event.type === "outcome")).toMatchObject({ result: "failure", reason: "redirect" });
      expect(lb.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "redirect" });
    },
  );

  it("a caller's own redirect: 'follow' does not turn it back on", async () => {
    collected.length = 0;
    const lb = createLoadBalancer({
      backends: [
        { url: `${redirectingUrl}/307`, name: "redirecting" },
        { url: servingUrl, name: "serving", priority: 2 },
      ],
    });
    const response = await lb.fetch(
      new Request("https://caller.example/v1/x", { method: "POST", body: "prompt", redirect: "follow" }),
    );
    expect(await response.json()).toEqual({ from: "serving" });
    expect(collected).toEqual([]);
  });

  it("a browser's opaque redirect (status 0) and every redirect status are the backend's failure; 304 and 300 are not", () => {
    expect(failureReason({ status: 0, type: "opaqueredirect" })).toBe("redirect");
    for (const status of [301, 302, 303, 307, 308]) expect(failureReason({ status, type: "basic" })).toBe("redirect");
    expect(failureReason({ status: 304, type: "basic" })).toBeUndefined();
    expect(failureReason({ status: 300, type: "basic" })).toBeUndefined();
  });
});
