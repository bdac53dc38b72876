import { AsyncLocalStorage } from "node:async_hooks";
import { type Context, type ContextManager, context, ROOT_CONTEXT, SpanStatusCode } from "@opentelemetry/api";
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLoadBalancer, type LoadBalancerEvent } from "../../src/index.js";
import { genAiCall, instrument } from "../../src/otel/index.js";
import { backendSnapshot, createFakeBalancer } from "../dashboard/fake-balancer.js";
import { SimulatedBackends, ok, tooMany } from "../support/backends.js";

/** The OpenTelemetry context carried across awaits by AsyncLocalStorage, as @opentelemetry/context-async-hooks does. */
class AsyncLocalStorageContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#storage.disable();
    return this;
  }
}

const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const tracer = tracerProvider.getTracer("test");

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager());
});
afterAll(() => {
  context.disable();
});
afterEach(() => {
  spans.reset();
});

const AZURE_PATH = "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21";

function balancer() {
  const { fetch } = new SimulatedBackends({
    "https://ptu.openai.azure.com": () => tooMany({ "retry-after-ms": "5000" }),
    "https://paygo.openai.azure.com": () => ok(),
  });
  return createLoadBalancer({
    backends: [
      { url: "https://ptu.openai.azure.com", name: "ptu", priority: 1 },
      { url: "https://paygo.openai.azure.com", name: "paygo", priority: 2 },
    ],
    fetch,
  });
}

function metricsSetup() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const collect = async (): Promise<ResourceMetrics> => {
    await reader.forceFlush();
    const all = exporter.getMetrics();
    return all[all.length - 1]!;
  };
  return { meter: provider.getMeter("test"), collect, shutdown: () => provider.shutdown() };
}

type Point = { attributes: Record<string, unknown>; value: unknown };
function points(metrics: ResourceMetrics, name: string): Point[] {
  for (const scope of metrics.scopeMetrics)
    for (const metric of scope.metrics)
      if (metric.descriptor.name === name) return metric.dataPoints as unknown as Point[];
  throw new Error(`no metric ${name}`);
}

describe("instrument: spans", () => {
  it("makes a CLIENT span per attempt, a child of the caller's active span, with GenAI and balancer attributes", async () => {
    const lb = balancer();
    const uninstrument = instrument(lb, { tracer, meter: false });
    await tracer.startActiveSpan("caller", async (parent) => {
      await lb.fetch(`https://ptu.openai.azure.com${AZURE_PATH}`, { method: "POST", body: "{}" });
      parent.end();
    });
    uninstrument();
    const finished = spans.getFinishedSpans();
    const caller = finished.find((span) => span.name === "caller")!;
    const attempts = finished.filter((span) => span.name !== "caller");
    expect(attempts.map((span) => span.name)).toEqual(["chat gpt-4o", "chat gpt-4o"]);
    for (const span of attempts) {
      expect(span.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
      expect(span.spanContext().traceId).toBe(caller.spanContext().traceId);
      expect(span.kind).toBe(2); // SpanKind.CLIENT
    }
    const [failed, served] = attempts;
    expect(failed!.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "gpt-4o",
      "gen_ai.provider.name": "azure.ai.openai",
      "server.address": "ptu.openai.azure.com",
      "server.port": 443,
      "http.request.method": "POST",
      "http.response.status_code": 429,
      "error.type": "rate-limit",
      "lb.backend.name": "ptu",
      "lb.backend.priority": 1,
      "lb.attempt": 1,
      "lb.cooldown.reason": "rate-limit",
      "lb.outcome": "failure",
    });
    expect(failed!.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed!.events.map((event) => [event.name, event.attributes?.["lb.cooldown.ms"]])).toEqual([
      ["lb.cooldown", 5000],
    ]);
    expect(served!.attributes).toMatchObject({
      "server.address": "paygo.openai.azure.com",
      "lb.backend.name": "paygo",
      "lb.backend.priority": 2,
      "lb.attempt": 2,
      "http.response.status_code": 200,
      "lb.outcome": "response",
    });
    expect(served!.attributes["error.type"]).toBeUndefined();
    expect(served!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("makes root spans when the caller has no active span, and none after uninstalling", async () => {
    const lb = balancer();
    const uninstrument = instrument(lb, { tracer, meter: false });
    await lb.fetch("https://paygo.openai.azure.com/v1/embeddings", { method: "POST", body: "{}" });
    const made = spans.getFinishedSpans();
    expect(made.map((span) => span.name)).toEqual(["embeddings", "embeddings"]);
    expect(made.map((span) => span.parentSpanContext)).toEqual([undefined, undefined]);
    expect(made[0]!.attributes["gen_ai.request.model"]).toBeUndefined();
    uninstrument();
    uninstrument();
    await lb.fetch("https://paygo.openai.azure.com/v1/embeddings", { method: "POST", body: "{}" });
    expect(spans.getFinishedSpans()).toHaveLength(2);
  });

  it("marks an attempt the caller aborted as an error of type aborted", async () => {
    const lb = createLoadBalancer({
      backends: [{ url: "https://slow.example.com", name: "slow" }],
      fetch: (_input, init) =>
        new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason))),
    });
    const uninstrument = instrument(lb, { tracer, meter: false });
    const caller = new AbortController();
    const pending = lb.fetch("https://slow.example.com/v1/chat/completions", {
      method: "POST",
      body: "{}",
      signal: caller.signal,
    });
    caller.abort();
    await expect(pending).rejects.toThrow();
    await Promise.resolve();
    const [span] = spans.getFinishedSpans();
    expect(span!.attributes).toMatchObject({ "error.type": "aborted", "lb.outcome": "aborted" });
    uninstrument();
  });
});

describe("instrument: metrics", () => {
  it("counts attempts, outcomes and cooldowns by backend and reason; observes state and in-flight; records calls and wait per response", async () => {
    const { meter, collect, shutdown } = metricsSetup();
    const real = balancer();
    let snapshots = 0;
    const lb = {
      on: real.on,
      fetch: real.fetch,
      snapshot: () => {
        snapshots++;
        return real.snapshot();
      },
    };
    const uninstrument = instrument(lb, { tracer: false, meter });
    await lb.fetch(`https://ptu.openai.azure.com${AZURE_PATH}`, { method: "POST", body: "{}" });
    await lb.fetch(`https://ptu.openai.azure.com${AZURE_PATH}`, { method: "POST", body: "{}" });
    const metrics = await collect();

    const attempts = points(metrics, "lb.attempts").map((p) => [p.attributes["lb.backend.name"], p.value]);
    expect(attempts).toEqual(
      expect.arrayContaining([
        ["ptu", 1],
        ["paygo", 2],
      ]),
    );
    const outcomes = points(metrics, "lb.outcomes").map((p) => [
      p.attributes["lb.backend.name"],
      p.attributes["lb.outcome"],
      p.attributes["lb.cooldown.reason"],
      p.value,
    ]);
    expect(outcomes).toEqual(
      expect.arrayContaining([
        ["ptu", "failure", "rate-limit", 1],
        ["paygo", "response", undefined, 2],
      ]),
    );
    expect(points(metrics, "lb.cooldowns").map((p) => [p.attributes, p.value])).toEqual([
      [{ "lb.backend.name": "ptu", "lb.cooldown.reason": "rate-limit", "lb.cooldown.remote": false }, 1],
    ]);
    const states = points(metrics, "lb.backend.state")
      .filter((p) => p.value === 1)
      .map((p) => [p.attributes["lb.backend.name"], p.attributes["lb.deployment"], p.attributes["lb.backend.state"]]);
    // The 429 came from the deployment gpt-4o: it cools, the PTU's other deployments stay in rotation.
    expect(states).toEqual([
      ["ptu", undefined, "available"],
      ["ptu", "gpt-4o", "cooling"],
      ["paygo", undefined, "available"],
    ]);
    expect(points(metrics, "lb.backend.in_flight").map((p) => p.value)).toEqual([0, 0]);
    const calls = points(metrics, "lb.request.attempts")[0]!.value as { sum: number; count: number };
    expect([calls.count, calls.sum]).toEqual([2, 3]);
    const wait = points(metrics, "lb.request.wait")[0]!.value as { count: number; min: number };
    expect(wait.count).toBe(2);
    expect(wait.min).toBeGreaterThanOrEqual(0);
    const durations = metrics.scopeMetrics[0]!.metrics.find((m) => m.descriptor.name === "lb.attempt.duration")!;
    expect(durations.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(durations.descriptor.unit).toBe("s");

    uninstrument();
    await lb.fetch(`https://ptu.openai.azure.com${AZURE_PATH}`, { method: "POST", body: "{}" });
    const readsBefore = snapshots;
    const after = await collect();
    // Nothing new is counted, and the observable instruments no longer read the balancer.
    expect(points(after, "lb.attempts").map((p) => p.value)).toEqual(
      points(metrics, "lb.attempts").map((p) => p.value),
    );
    expect(snapshots).toBe(readsBefore);
    await shutdown();
  });
});

describe("instrument: queue and pacing metrics", () => {
  it("observes the queue's length and each paced backend's and deployment's allowed and reserved requests; records each queue wait", async () => {
    const { meter, collect, shutdown } = metricsSetup();
    const pacing = (allowed: number | null, reserved: number) =>
      ({
        allowed,
        reserved,
        remainingRequests: null,
        remainingTokens: null,
        reservedTokens: 0,
        basis: "headers",
      }) as const;
    const deployment = { state: "available", until: null, reason: null, consecutiveFailures: 0 } as const;
    const lb = createFakeBalancer([
      backendSnapshot({
        name: "ptu",
        pacing: pacing(2, 2),
        deployments: [
          { ...deployment, name: "gpt-4o", pacing: pacing(5, 3) },
          { ...deployment, name: "gpt-4o-mini", pacing: null },
        ],
      }),
      backendSnapshot({ name: "paygo", priority: 2, pacing: pacing(null, 1) }),
    ]);
    lb.setQueue({ waiting: 3, oldestWaitMs: 1200, maxWaitedMs: 4000 });
    const uninstrument = instrument(lb, { tracer: false, meter });
    const left = (result: string, waitedMs: number): LoadBalancerEvent =>
      ({ type: "dequeued", at: 0, requestId: 1, attempt: 1, result, waitedMs, waiting: 0 }) as LoadBalancerEvent;
    lb.emit(left("resumed", 1500));
    lb.emit(left("resumed", 500));
    lb.emit(left("timed-out", 30_000));
    const metrics = await collect();

    expect(points(metrics, "lb.queue.waiting").map((p) => [p.attributes, p.value])).toEqual([[{}, 3]]);
    const scoped = (name: string) =>
      points(metrics, name).map((p) => [p.attributes["lb.backend.name"], p.attributes["lb.deployment"], p.value]);
    // Only limits are observed: a deployment without pacing and a backend without a limit have no `allowed`.
    expect(scoped("lb.pacing.allowed")).toEqual([
      ["ptu", undefined, 2],
      ["ptu", "gpt-4o", 5],
    ]);
    expect(scoped("lb.pacing.reserved")).toEqual([
      ["ptu", undefined, 2],
      ["ptu", "gpt-4o", 3],
      ["paygo", undefined, 1],
    ]);
    const waits = points(metrics, "lb.queue.wait").map((p) => {
      const { count, sum } = p.value as { count: number; sum: number };
      return [p.attributes["lb.queue.result"], count, sum];
    });
    expect(waits).toEqual([
      ["resumed", 2, 2],
      ["timed-out", 1, 30],
    ]);
    const wait = metrics.scopeMetrics[0]!.metrics.find((m) => m.descriptor.name === "lb.queue.wait")!;
    expect([wait.dataPointType, wait.descriptor.unit]).toEqual([DataPointType.HISTOGRAM, "s"]);
    uninstrument();
    await shutdown();
  });
});

describe("genAiCall", () => {
  it("names the operation from the path and the model from an Azure deployment path (property)", () => {
    const deployment = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);
    const operation = fc.constantFrom(
      ["chat/completions", "chat"],
      ["completions", "text_completion"],
      ["embeddings", "embeddings"],
      ["responses", "chat"],
    );
    fc.assert(
      fc.property(deployment, operation, (model, [path, name]) => {
        const azure = genAiCall(
          `https://x.openai.azure.com/openai/deployments/${model}/${path}?api-version=1`,
          null,
          null,
        );
        expect(azure).toEqual({
          operation: name,
          model,
          provider: "azure.ai.openai",
          address: "x.openai.azure.com",
          port: 443,
        });
        const openai = genAiCall(`http://127.0.0.1:8080/v1/${path}`, null, "openai");
        expect(openai).toEqual({
          operation: name,
          model: undefined,
          provider: "openai",
          address: "127.0.0.1",
          port: 8080,
        });
        expect(genAiCall(`https://api.openai.com/v1/${path}`, model, null).model).toBe(model);
      }),
    );
  });
});
