import { afterEach, describe, expect, it, vi } from "vitest";
import { LEASE_PORT, type LeasePort, type PortAttempt, type Settlement } from "../../src/core/lease-port.js";
import type { LoadBalancer } from "../../src/index.js";
import { lease as leaseOf } from "../../src/lease/index.js";
import type { PreparedRequest } from "../../src/core/request.js";
import type { AttemptTarget } from "../../src/types/adapter.js";

const info = (name: string) => ({ name, url: `https://${name}.example`, priority: 1, weight: 1 });

/** A port over a script of answers: each `start` takes the next one. */
function scriptedPort(
  script: Array<
    | { retryAfterMs: number | undefined }
    | { name: string; target: () => AttemptTarget | Promise<AttemptTarget>; deployment?: string }
  >,
) {
  const settled: Array<[string, Settlement]> = [];
  const sent: string[] = [];
  const requests: PreparedRequest[] = [];
  const port: LeasePort = {
    now: () => Date.now(),
    maxWaitMs: 5000,
    start(request) {
      requests.push(request);
      const next = script.shift();
      if (next === undefined) throw new Error("script ran out");
      if (!("name" in next)) return next;
      const attempt: PortAttempt = {
        backend: info(next.name),
        deployment: next.deployment,
        target: next.target,
        sent: (url) => sent.push(url),
        settle: (settlement) => settled.push([next.name, settlement]),
      };
      return attempt;
    },
  };
  return { port, settled, sent, requests };
}

const azureTarget = (): AttemptTarget => ({
  url: "https://ptu.openai.azure.com/openai/v1/realtime",
  init: { method: "GET", headers: { "api-key": "K" }, body: JSON.stringify({ model: "rt-deployment" }) },
});

/** `lease()` over a bare port, as a balancer holds it. */
const lease = (port: LeasePort, options?: Parameters<typeof leaseOf>[1]) =>
  leaseOf({ [LEASE_PORT]: port } as unknown as LoadBalancer, options);

afterEach(() => {
  vi.useRealTimers();
});

describe("a lease", () => {
  it("gives the backend, a wss URL with the backend's model name, and its credentials", async () => {
    const { port, sent, requests } = scriptedPort([{ name: "ptu", target: azureTarget, deployment: "rt-deployment" }]);
    const leased = await lease(port, { model: "gpt-realtime" });
    expect(leased.backend.name).toBe("ptu");
    expect(leased.url).toBe("wss://ptu.openai.azure.com/openai/v1/realtime?model=rt-deployment");
    expect(leased.headers.get("api-key")).toBe("K");
    expect(sent).toEqual([leased.url]);
    expect(requests[0]).toMatchObject({ pathAndQuery: "/v1/realtime", init: { body: '{"model":"gpt-realtime"}' } });
  });

  it("keeps the scheme for http and ws for a plain-http backend", async () => {
    const target = (): AttemptTarget => ({ url: "http://127.0.0.1:9/v1/realtime/calls", init: {} });
    const http = await lease(scriptedPort([{ name: "local", target }]).port, {
      protocol: "http",
      path: "/v1/realtime/calls",
    });
    expect(http.url).toBe("http://127.0.0.1:9/v1/realtime/calls");
    const ws = await lease(scriptedPort([{ name: "local", target }]).port, {});
    expect(ws.url).toBe("ws://127.0.0.1:9/v1/realtime/calls");
  });

  it("hands the outcome back once: success, a 429 with its retry-after, a 5xx, an error, an abort", async () => {
    const outcomes = [
      [{ ok: true }, { result: "response", status: 101 }],
      [
        { status: 429, retryAfterMs: 3000 },
        { result: "failure", reason: "rate-limit", status: 429, cooldownMs: 3000 },
      ],
      [{ status: 503 }, { result: "failure", reason: "server-error", status: 503, cooldownMs: undefined }],
      [{ status: 401 }, { result: "response", status: 401 }],
      [{ error: new Error("ECONNREFUSED") }, { result: "failure", reason: "network-error" }],
      [{ aborted: true }, { result: "aborted" }],
    ] as const;
    for (const [outcome, settlement] of outcomes) {
      const { port, settled } = scriptedPort([{ name: "ptu", target: azureTarget }]);
      const leased = await lease(port, {});
      leased.release(outcome);
      leased.release({ ok: true });
      expect(settled).toEqual([["ptu", settlement]]);
    }
  });

  it("rejects an outcome it cannot read with a TypeError, and still takes a valid one after", async () => {
    const { port, settled } = scriptedPort([{ name: "ptu", target: azureTarget }]);
    const leased = await lease(port, {});
    expect(() => leased.release({ status: "429" } as never)).toThrow(TypeError);
    leased.release({ ok: true });
    expect(settled).toHaveLength(1);
  });

  it("moves on to the next backend when credentials cannot be prepared", async () => {
    const { port, settled } = scriptedPort([
      {
        name: "entra",
        target: () => {
          throw new Error("token");
        },
      },
      { name: "paygo", target: azureTarget },
    ]);
    const leased = await lease(port, {});
    expect(leased.backend.name).toBe("paygo");
    expect(settled).toEqual([["entra", { result: "failure", reason: "credentials" }]]);
  });

  it("waits within maxWaitMs for a cooling backend, and rejects with retryAfterMs beyond it", async () => {
    vi.useFakeTimers();
    const { port } = scriptedPort([{ retryAfterMs: 2000 }, { name: "ptu", target: azureTarget }]);
    const pending = lease(port, {});
    await vi.advanceTimersByTimeAsync(2000);
    expect((await pending).backend.name).toBe("ptu");

    const beyond = scriptedPort([{ retryAfterMs: 6000 }]);
    await expect(lease(beyond.port, {})).rejects.toMatchObject({ name: "LeaseUnavailableError", retryAfterMs: 6000 });
    const none = scriptedPort([{ retryAfterMs: undefined }]);
    await expect(lease(none.port, {})).rejects.toMatchObject({ retryAfterMs: undefined });
  });

  it("stops waiting when the signal aborts", async () => {
    vi.useFakeTimers();
    const { port } = scriptedPort([{ retryAfterMs: 2000 }]);
    const controller = new AbortController();
    const pending = lease(port, { signal: controller.signal });
    const reason = new Error("gave up");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it("stops waiting for credentials when the signal aborts, and hands the attempt back as aborted", async () => {
    const { port, settled } = scriptedPort([{ name: "entra", target: () => new Promise<AttemptTarget>(() => {}) }]);
    const controller = new AbortController();
    const pending = lease(port, { signal: controller.signal });
    const reason = new Error("gave up");
    setTimeout(() => controller.abort(reason), 0);
    await expect(pending).rejects.toBe(reason);
    expect(settled).toEqual([["entra", { result: "aborted" }]]);
  });

  it("rejects invalid options with a TypeError naming the field", async () => {
    const { port } = scriptedPort([]);
    await expect(leaseOf({} as LoadBalancer)).rejects.toThrow(
      /lease\(\) balancer must be a balancer made by createLoadBalancer/,
    );
    await expect(lease(port, { model: "" })).rejects.toThrow(/lease\(\) model must be a non-empty string/);
    await expect(lease(port, { path: "v1/realtime" })).rejects.toThrow(/lease\(\) path/);
    await expect(lease(port, { protocol: "udp" as never })).rejects.toThrow(/lease\(\) protocol/);
  });
});
