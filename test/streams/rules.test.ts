import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyRules, MAX_ERROR_BODY, resolveFailoverRules } from "../../src/core/rules.js";
import type { LoadBalancerEvent, LoadBalancerOptions } from "../../src/index.js";
import { createLoadBalancer } from "../../src/index.js";
import { type Script, scriptedServer } from "./server.js";

const server = scriptedServer();
const CHAT = "https://api.example.com/v1/chat/completions";
const BODY = '{"model":"m","messages":[]}';
const OK = '{"choices":[{"message":{"content":"from b"}}]}';

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Script => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  steps: [typeof body === "string" ? body : JSON.stringify(body), "end"],
});
const error = (code: string, extra: object = {}) => ({ error: { code, message: "m", ...extra } });

async function balancer(options: Partial<LoadBalancerOptions> = {}) {
  const url = await server.url();
  const events: LoadBalancerEvent[] = [];
  const lines: string[] = [];
  const lb = createLoadBalancer({
    backends: [
      { url: `${url}/a`, name: "a", priority: 1 },
      { url: `${url}/b`, name: "b", priority: 2 },
    ],
    logger: { warn: (line) => lines.push(line), error: (line) => lines.push(line) },
    ...options,
  });
  lb.on("cooldown", (event) => events.push(event));
  const post = () => lb.fetch(CHAT, { method: "POST", body: BODY });
  const hits = () => server.received.map((hit) => `${hit.backend} ${hit.body}`);
  return { lb, post, events, lines, hits };
}

describe("failover rules over real sockets", () => {
  it("400 context_length_exceeded goes to the next backend with the same request, and the first does not cool", async () => {
    server.serve({ a: json(400, error("context_length_exceeded")), b: json(200, OK) });
    const { post, events, lb, hits } = await balancer();
    expect(await (await post()).text()).toBe(OK);
    expect(hits()).toEqual([`a ${BODY}`, `b ${BODY}`]);
    expect(events).toEqual([]);
    expect(lb.snapshot().backends.map((backend) => backend.state)).toEqual(["available", "available"]);
  });

  it("when every backend says context_length_exceeded, the caller gets the last 400 byte-identical, not a 429", async () => {
    const body = JSON.stringify(error("context_length_exceeded", { param: "messages" }));
    server.serve({ a: json(400, body, { "x-a": "1" }), b: json(400, body, { "x-b": "2" }) });
    const { post, lb } = await balancer();
    const delivered: string[] = [];
    lb.on("response", (event) => delivered.push(`${event.backend.name} ${event.status}`));
    const response = await post();
    expect(response.status).toBe(400);
    expect(response.headers.get("x-b")).toBe("2");
    expect(await response.text()).toBe(body);
    // The kept answer is handed back like any other: with its response event.
    expect(delivered).toEqual(["b 400"]);
  });

  it.each([401, 403])(
    "a %i cools the whole backend (credentials) once, with its name and status, and fails over",
    async (status) => {
      server.serve({ a: json(status, error("invalid_api_key")), b: json(200, OK) });
      const { post, events, hits } = await balancer();
      expect(await (await post()).text()).toBe(OK);
      expect(await (await post()).text()).toBe(OK);
      expect(hits()).toEqual([`a ${BODY}`, `b ${BODY}`, `b ${BODY}`]);
      expect(events).toMatchObject([{ backend: { name: "a" }, deployment: null, reason: "credentials", status }]);
    },
  );

  it.each([
    ["content_filter", {}],
    ["content_policy_violation", {}],
    ["invalid_prompt", { innererror: { code: "ResponsibleAIPolicyViolation" } }],
  ])(
    "a content-filter rejection (%s) is the caller's answer by default, and fails over when opted in",
    async (code, extra) => {
      const body = JSON.stringify(error(code, extra));
      server.serve({ a: json(400, body), b: json(200, OK) });
      const first = await balancer();
      const response = await first.post();
      expect(response.status).toBe(400);
      expect(await response.text()).toBe(body);
      expect(first.hits()).toEqual([`a ${BODY}`]);
      server.received.length = 0;
      const optedIn = await balancer({ failoverOn: { contentFilter: true } });
      expect(await (await optedIn.post()).text()).toBe(OK);
      expect(optedIn.events).toEqual([]);
    },
  );

  it("failoverOn.statuses and failoverOn.when add rules; `false` from when hands a 401 back", async () => {
    server.serve({ a: json(404, error("DeploymentNotFound")), b: json(200, OK) });
    const statuses = await balancer({ failoverOn: { statuses: [404] } });
    expect(await (await statuses.post()).text()).toBe(OK);
    expect(statuses.events).toMatchObject([{ reason: "rule", status: 404 }]);

    server.serve({ a: json(422, error("custom")), b: json(200, OK) });
    const seen: unknown[] = [];
    const when = await balancer({
      failoverOn: {
        when: (candidate) => {
          seen.push({ status: candidate.status, code: candidate.error?.code, backend: candidate.backend });
          return { cool: true, cooldownMs: 1234 };
        },
      },
    });
    expect(await (await when.post()).text()).toBe(OK);
    expect(seen).toEqual([{ status: 422, code: "custom", backend: "a" }]);
    expect(when.events).toMatchObject([{ reason: "rule", cooldownMs: 1234 }]);

    server.serve({ a: json(401, error("invalid_api_key")), b: json(200, OK) });
    const declined = await balancer({ failoverOn: { when: () => false } });
    expect((await declined.post()).status).toBe(401);
  });

  it("a 4xx with a body over 64 KiB, or not JSON, is handed back byte-identical", async () => {
    const large = JSON.stringify(error("context_length_exceeded", { pad: "x".repeat(MAX_ERROR_BODY) }));
    server.serve({ a: (attempt) => (attempt === 0 ? json(400, large) : { status: 400, steps: ["plain 400", "end"] }) });
    const { post } = await balancer();
    expect(await (await post()).text()).toBe(large);
    expect(await (await post()).text()).toBe("plain 400");
  });
});

describe("applyRules on its own", () => {
  const rules = resolveFailoverRules(undefined, (field) => {
    throw new TypeError(field);
  });

  it("never reads a successful body: the same Response comes back", () => {
    const response = new Response('{"error":{"code":"context_length_exceeded"}}', {
      headers: { "content-type": "application/json" },
    });
    expect(applyRules(response, rules, "a", undefined)).toEqual({ deliver: response });
    expect(response.bodyUsed).toBe(false);
  });

  it("hands back any 400 body it reads but no rule takes byte-identical, status and headers kept (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2 * MAX_ERROR_BODY }), async (bytes) => {
        const response = new Response(bytes, {
          status: 400,
          headers: { "content-type": "application/json", "x-k": "v" },
        });
        const verdict = await applyRules(response, rules, "a", undefined);
        expect("deliver" in verdict).toBe(true);
        const delivered = (verdict as { deliver: Response }).deliver;
        expect([delivered.status, delivered.headers.get("x-k")]).toEqual([400, "v"]);
        expect(new Uint8Array(await delivered.arrayBuffer())).toEqual(bytes);
      }),
      { numRuns: 50 },
    );
  });

  it("rejects with the caller's reason when the caller aborts while the body is read", async () => {
    const controller = new AbortController();
    const body = new ReadableStream({ pull: () => new Promise(() => {}) });
    const response = new Response(body, { status: 400, headers: { "content-type": "application/json" } });
    const verdict = applyRules(response, rules, "a", controller.signal);
    controller.abort(new Error("gone"));
    await expect(verdict).rejects.toThrow("gone");
  });

  it("invalid failoverOn fields are TypeErrors naming the field and value", () => {
    const backends = [{ url: "https://a.example.com" }];
    expect(() => createLoadBalancer({ backends, failoverOn: { statuses: [429] } })).toThrow(
      /failoverOn\.statuses\[0\].*429/,
    );
    expect(() => createLoadBalancer({ backends, failoverOn: { statuses: [500] } })).toThrow(
      /failoverOn\.statuses\[0\]/,
    );
    expect(() => createLoadBalancer({ backends, failoverOn: { credentials: "no" as unknown as boolean } })).toThrow(
      /failoverOn\.credentials.*"no"/,
    );
    expect(() => createLoadBalancer({ backends, failoverOn: { when: 1 as unknown as () => boolean } })).toThrow(
      /failoverOn\.when/,
    );
  });
});
