// Child process (node --expose-gc): one large request body through one path, printing one JSON line with the
// peak of heap + external memory above the baseline (a string body the caller made counts as 1x), sampled every millisecond while the request runs.
// BENCH_BODY_SCENARIO: "plain" (fetch straight to the server), "failover" (a balancer whose first backend answers 503),
// "rewrite" (a JSON string through openai() adapters that rewrite the body's model), "failover-text" (the same
// string through a balancer without adapters, whose first backend answers 503: the body goes out as it came).
import { startChild } from "../lib/child.js";
import { createLoadBalancer } from "../../src/index.js";
import { openai } from "../../src/providers/index.js";

const MiB = 2 ** 20;
const SIZE = Number(process.env.BENCH_BODY_MIB ?? 50) * MiB;
const CHUNK = 64 * 1024;
const scenario = process.env.BENCH_BODY_SCENARIO ?? "failover";
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

/** A stream of SIZE bytes made as it is read: the body is not in memory before the request takes it. */
function streamedBody(): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      const length = Math.min(CHUNK, SIZE - sent);
      if (length === 0) return controller.close();
      controller.enqueue(new Uint8Array(length).fill(97));
      sent += length;
    },
  });
}

const used = (): number => {
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
};

// The backends run in a child process: the memory they use to receive each attempt's body is not the balancer's.
const backends = await startChild(new URL("./bodies-server.js", import.meta.url));
const [failingUrl, servingUrl] = JSON.parse(backends.firstLine) as [string, string];
const failing = { url: failingUrl };
const serving = { url: servingUrl };
// As the OpenAI SDK sends it: one JSON string, the prompt making up nearly all of it. Made before the
// baseline (the caller holds it whatever the balancer does) and counted as the body's own 1x below.
const jsonBody =
  scenario === "rewrite" || scenario === "failover-text"
    ? JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "a".repeat(SIZE - 100) }] })
    : undefined;
// The flat copy V8 makes of the repeated string while stringifying stays reachable until this task ends,
// however often gc() runs: without a turn of the event loop first, the baseline would hold 50 MiB that is freed
// during the request, and the peak above it would read 1x low.
await new Promise((resolve) => setTimeout(resolve, 10));
for (let i = 0; i < 3; i++) gc();
const baseline = used() - (jsonBody === undefined ? 0 : SIZE);
const rssBaseline = process.memoryUsage.rss() - (jsonBody === undefined ? 0 : SIZE);
let peak = used();
let rssPeak = process.memoryUsage.rss();
const sample = (): void => {
  peak = Math.max(peak, used());
  rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
};
const sampler = setInterval(sample, 1);

let status: number;
if (scenario === "plain") {
  const init = { method: "POST", body: streamedBody(), duplex: "half" } as RequestInit;
  const response = await fetch(`${serving.url}/v1/chat/completions`, init);
  status = response.status;
  await response.arrayBuffer();
} else if (scenario === "failover") {
  const lb = createLoadBalancer({
    backends: [
      { url: failing.url, name: "failing" },
      { url: serving.url, name: "serving", priority: 2 },
    ],
  });
  const init = { method: "POST", body: streamedBody(), duplex: "half" } as RequestInit;
  const response = await lb.fetch("https://caller.example/v1/chat/completions", init);
  status = response.status;
  await response.arrayBuffer();
} else if (scenario === "failover-text") {
  const lb = createLoadBalancer({
    backends: [
      { url: failing.url, name: "failing" },
      { url: serving.url, name: "serving", priority: 2 },
    ],
  });
  const response = await lb.fetch("https://caller.example/v1/chat/completions", { method: "POST", body: jsonBody! });
  status = response.status;
  await response.arrayBuffer();
} else {
  const body = jsonBody!;
  const lb = createLoadBalancer({
    backends: [
      openai({ url: `${failing.url}/v1`, name: "failing", models: { "gpt-4o": "gpt-4o-a" } }),
      openai({ url: `${serving.url}/v1`, name: "serving", priority: 2, models: { "gpt-4o": "gpt-4o-b" } }),
    ],
  });
  const response = await lb.fetch("https://caller.example/v1/chat/completions", { method: "POST", body });
  status = response.status;
  await response.arrayBuffer();
}
sample();
clearInterval(sampler);
backends.child.stdin?.end();
process.stdout.write(
  `${JSON.stringify({ scenario, status, bodyBytes: SIZE, peakAboveBaselineBytes: peak - baseline, rssPeakAboveBaselineBytes: rssPeak - rssBaseline })}\n`,
);
