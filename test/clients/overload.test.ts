import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { createLoadBalancer } from "../../src/index.js";
import { type Answer, ok, SimulatedBackends } from "../support/backends.js";
import { type ServedBackends, serveBackends } from "../support/server.js";

/** A PTU-like backend: `capacity` requests per `windowMs`, then 429 with `retry-after-ms` until the window resets; no quota headers. */
function windowed(capacity: number, windowMs: number): Answer {
  let start = 0;
  let used = 0;
  return () => {
    const now = Date.now();
    if (now >= start + windowMs) {
      start = now;
      used = 0;
    }
    if (++used > capacity) {
      return Response.json(
        { error: { code: "429", message: "Requests to the deployment have exceeded the rate limit." } },
        { status: 429, headers: { "retry-after-ms": String(Math.max(1, start + windowMs - now)) } },
      );
    }
    return ok({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 0,
      model: "gpt-4o",
      choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
    });
  };
}

let served: ServedBackends | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

describe("overload through the OpenAI SDK on real sockets", () => {
  it("16 concurrent requests over both tiers' capacity all succeed, and no 429 reaches the caller (SDK retries off)", async () => {
    const backends = new SimulatedBackends({
      "https://ptu.test": windowed(4, 300),
      "https://paygo.test": windowed(2, 300),
    });
    served = await serveBackends(backends);
    const lb = createLoadBalancer({
      backends: [
        { url: served.url("https://ptu.test"), name: "ptu", priority: 1 },
        { url: served.url("https://paygo.test"), name: "paygo", priority: 2 },
      ],
    });
    const client = new OpenAI({ baseURL: "http://lb.invalid/v1", apiKey: "k", fetch: lb.fetch, maxRetries: 0 });
    const completions = await Promise.all(
      Array.from({ length: 16 }, (_, index) =>
        client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: `request ${index}` }] }),
      ),
    );
    expect(completions.map((completion) => completion.choices[0]?.message.content)).toEqual(
      Array.from({ length: 16 }, () => "hi"),
    );
    const { queue, backends: states } = lb.snapshot();
    expect(queue.waiting).toBe(0);
    expect(queue.maxWaitedMs).toBeGreaterThan(0);
    expect(states.map((state) => state.inFlight)).toEqual([0, 0]);
    await lb.close();
  });
});
