import { describe, expect, it } from "vitest";
import { createLoadBalancer } from "../../src/index.js";
import { answer, ok, SimulatedBackends } from "../support/backends.js";
import { serveBackends } from "../support/server.js";

const MiB = 1 << 20;

/**
 * Over real sockets: `a` answers `first` (a 503, or a 307 to `elsewhere`), `b` serves. Returns what each
 * backend received and the balancer's cooldown reasons.
 */
async function failover(init: RequestInit, first: "503" | "redirect" = "503") {
  const backends = new SimulatedBackends({
    "https://elsewhere.test": () => ok(),
    "https://a.test": () => new Response(null, { status: 503 }),
    "https://b.test": () => ok(),
  });
  const served = await serveBackends(backends);
  try {
    const a =
      first === "503"
        ? answer(503)
        : () => new Response(null, { status: 307, headers: { location: `${served.url("https://elsewhere.test")}/x` } });
    backends.route("https://a.test", a);
    const lb = createLoadBalancer({
      backends: [
        { url: served.url("https://a.test"), headers: { "api-key": "key-a" } },
        { url: served.url("https://b.test"), priority: 2 },
      ],
    });
    const reasons: string[] = [];
    lb.on("cooldown", (event) => reasons.push(event.reason));
    const response = await lb.fetch("https://caller.example/v1/embeddings", { method: "POST", ...init });
    expect(response.status).toBe(200);
    return { received: backends.received, reasons };
  } finally {
    await served.close();
  }
}

describe("a large request body (1 MiB and more)", () => {
  it("reaches every attempt byte for byte, with its length, not chunked, and the caller's content-type", async () => {
    const body = JSON.stringify({ model: "m", input: "é😀\u2028".repeat(MiB / 4) });
    const { received } = await failover({ headers: { "content-type": "application/json" }, body });
    expect(received).toHaveLength(2);
    for (const request of received) {
      expect(request.body).toBe(body);
      expect(request.headers["content-type"]).toBe("application/json");
      expect(request.headers["transfer-encoding"]).toBeUndefined();
      expect(Number(request.headers["content-length"])).toBe(new TextEncoder().encode(body).byteLength);
    }
  });

  it("is never sent where a redirect points: the redirecting backend cools and the next one serves", async () => {
    for (const body of ["x".repeat(MiB), new Uint8Array(MiB).fill(120), new Blob(["x".repeat(MiB)])]) {
      const { received, reasons } = await failover({ body }, "redirect");
      expect(received.map((request) => request.backend)).toEqual(["https://a.test", "https://b.test"]);
      expect(received.every((request) => request.body.length === MiB)).toBe(true);
      // Sent with redirect: "error" (no clone of the body is kept): the redirect surfaces as a network error.
      expect(reasons).toEqual(["network-error"]);
    }
  });

  it("below 1 MiB, a redirect is still told apart as `redirect`", async () => {
    const { reasons } = await failover({ body: "small" }, "redirect");
    expect(reasons).toEqual(["redirect"]);
  });
});
