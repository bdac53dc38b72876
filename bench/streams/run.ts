// Stream guard cost: time to first byte and throughput of a guarded stream against an unguarded
// pass-through, in memory (the guard's own CPU cost) and over loopback through a balancer.
// Run: npx tsc -p bench/tsconfig.json && node bench/.dist/bench/streams/run.js
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { guardStream } from "../../src/core/stream-guard.js";
import { createLoadBalancer } from "../../src/index.js";
import { median, round } from "../lib/stats.js";

const encoder = new TextEncoder();
const quick = process.env.BENCH_QUICK === "1";
const chunk = (content: string, finish: string | null = null): string =>
  `data: ${JSON.stringify({
    id: "chatcmpl-0123456789",
    object: "chat.completion.chunk",
    created: 1_735_689_600,
    model: "gpt-4o-mini-2024-07-18",
    system_fingerprint: "fp_0123456789",
    choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: finish }],
  })}\n\n`;
const ROLE = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] })}\n\n`;

/** A chat stream of `events` content events, one per chunk, as one backend sends it. */
function streamChunks(events: number): Uint8Array[] {
  const chunks = [encoder.encode(ROLE)];
  for (let i = 0; i < events; i++) chunks.push(encoder.encode(chunk(` token${i % 100}`)));
  chunks.push(encoder.encode(chunk("", "stop")), encoder.encode("data: [DONE]\n\n"));
  return chunks;
}

const OPTIONS = { enabled: true, firstEventTimeoutMs: 60_000, idleTimeoutMs: Number(process.env.IDLE ?? 60_000) };
const HOOKS = { report: () => {}, onIdle: () => {}, now: () => performance.now() };

async function drain(body: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  const reader = body.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) bytes += read.value.length;
  return bytes;
}

/** In memory: one Response over `chunks`, read to its end, unguarded or through guardStream. */
/** A stream that only passes another's chunks on, as any wrapper does: the floor under the guard's cost. */
function wrapped(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const read = await reader.read();
      if (read.done) controller.close();
      else controller.enqueue(read.value);
    },
  });
}

async function inMemory(chunks: readonly Uint8Array[], guarded: false | "wrap" | "drop" | "pass"): Promise<number> {
  // One chunk per pull, as a socket delivers them (enqueueing all at once makes the queue's shift dominate).
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next < chunks.length) controller.enqueue(chunks[next++]!);
      else controller.close();
    },
  });
  const response = new Response(body, { headers: { "content-type": "text/event-stream" } });
  const started = performance.now();
  if (!guarded) await drain(response.body!);
  else if (guarded === "wrap") await drain(wrapped(response.body!));
  else {
    const verdict = await guardStream(response, { ...OPTIONS, malformed: guarded }, HOOKS, undefined);
    if (!("deliver" in verdict)) throw new Error("unexpected failover");
    await drain(verdict.deliver.body!);
  }
  return performance.now() - started;
}

async function main(): Promise<void> {
  const events = quick ? 2_000 : 20_000;
  const rounds = quick ? 3 : 15;
  const chunks = streamChunks(events);
  const totalBytes = chunks.reduce((sum, piece) => sum + piece.length, 0);
  const memory = {
    unguarded: [] as number[],
    "wrapper only": [] as number[],
    "guarded, drop": [] as number[],
    "guarded, pass": [] as number[],
  };
  const modes = [false, "wrap", "drop", "pass"] as const;
  for (let round = 0; round < rounds; round++) {
    // Rotating order, so drift in the machine's load hits each alike.
    for (let i = 0; i < modes.length; i++) {
      const mode = modes[(round + i) % modes.length]!;
      memory[mode === false ? "unguarded" : mode === "wrap" ? "wrapper only" : (`guarded, ${mode}` as const)].push(
        await inMemory(chunks, mode),
      );
    }
  }
  const perChunkUs = (ms: number): number => round((ms * 1000) / chunks.length, 3);
  const mbps = (ms: number): number => round(totalBytes / 1e6 / (ms / 1000), 1);
  console.log(`in memory: ${chunks.length} events, ${totalBytes} bytes, median of ${rounds} rounds`);
  for (const key of ["unguarded", "wrapper only", "guarded, drop", "guarded, pass"] as const) {
    const ms = median(memory[key]);
    const cost =
      key === "unguarded" ? "" : `  (cost ${round(perChunkUs(ms) - perChunkUs(median(memory.unguarded)), 3)} µs/event)`;
    console.log(`  ${key.padEnd(14)} ${round(ms, 1)} ms  ${mbps(ms)} MB/s  ${perChunkUs(ms)} µs/event${cost}`);
  }

  // Over loopback through a balancer: TTFB (call to first body byte) and a whole stream's read time.
  const streamed = streamChunks(quick ? 200 : 2_000);
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      if (request.url?.includes("short")) response.end(chunk("hi") + chunk("", "stop"));
      else {
        for (const piece of streamed) response.write(piece);
        response.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const balancers = {
    unguarded: createLoadBalancer({ backends: [{ url: origin }], streamGuard: false }),
    guarded: createLoadBalancer({ backends: [{ url: origin }] }),
    "guarded, pass": createLoadBalancer({ backends: [{ url: origin }], malformedEvents: "pass" }),
  };
  const keys = ["unguarded", "guarded", "guarded, pass"] as const;
  const ttfb = { unguarded: [] as number[], guarded: [] as number[], "guarded, pass": [] as number[] };
  const whole = { unguarded: [] as number[], guarded: [] as number[], "guarded, pass": [] as number[] };
  const requests = quick ? 50 : 500;
  for (let i = 0; i < requests; i++) {
    for (let k = 0; k < keys.length; k++) {
      const key = keys[(i + k) % keys.length]!;
      const started = performance.now();
      const response = await balancers[key].fetch(`${origin}/v1/chat/completions?short`, {
        method: "POST",
        body: "{}",
      });
      const reader = response.body!.getReader();
      await reader.read();
      ttfb[key].push(performance.now() - started);
      while (!(await reader.read()).done) {}
      if (i % 10 === 0) {
        const begun = performance.now();
        const long = await balancers[key].fetch(`${origin}/v1/chat/completions`, { method: "POST", body: "{}" });
        await drain(long.body!);
        whole[key].push(performance.now() - begun);
      }
    }
  }
  server.closeAllConnections();
  server.close();
  const longBytes = streamed.reduce((sum, piece) => sum + piece.length, 0);
  console.log(
    `loopback through a balancer: ${requests} short streams each (TTFB), ${whole.guarded.length} of ${streamed.length} events (${longBytes} bytes)`,
  );
  for (const key of keys) {
    const ms = median(whole[key]);
    console.log(
      `  ${key.padEnd(14)} TTFB median ${round(median(ttfb[key]), 3)} ms  long stream ${round(ms, 1)} ms (${round(longBytes / 1e6 / (ms / 1000), 1)} MB/s)`,
    );
  }
}

await main();
