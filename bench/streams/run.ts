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

const OPTIONS = { enabled: true, firstEventTimeoutMs: 60_000, idleTimeoutMs: 60_000, malformed: "drop" as const };
const HOOKS = { report: () => {}, onIdle: () => {}, now: () => performance.now() };

async function drain(body: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  const reader = body.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) bytes += read.value.length;
  return bytes;
}

/** In memory: one Response over `chunks`, read to its end, unguarded or through guardStream. */
async function inMemory(chunks: readonly Uint8Array[], guarded: boolean): Promise<number> {
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
  else {
    const verdict = await guardStream(response, OPTIONS, HOOKS, undefined);
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
  const memory = { unguarded: [] as number[], guarded: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    // Alternating order, so drift in the machine's load hits both alike.
    for (const guarded of round % 2 === 0 ? [false, true] : [true, false]) {
      memory[guarded ? "guarded" : "unguarded"].push(await inMemory(chunks, guarded));
    }
  }
  const perChunkUs = (ms: number): number => round((ms * 1000) / chunks.length, 3);
  const mbps = (ms: number): number => round(totalBytes / 1e6 / (ms / 1000), 1);
  console.log(`in memory: ${chunks.length} events, ${totalBytes} bytes, median of ${rounds} rounds`);
  for (const key of ["unguarded", "guarded"] as const) {
    const ms = median(memory[key]);
    console.log(`  ${key.padEnd(10)} ${round(ms, 1)} ms  ${mbps(ms)} MB/s  ${perChunkUs(ms)} µs/event`);
  }
  console.log(
    `  guard cost: ${round(perChunkUs(median(memory.guarded)) - perChunkUs(median(memory.unguarded)), 3)} µs/event`,
  );

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
  };
  const ttfb = { unguarded: [] as number[], guarded: [] as number[] };
  const whole = { unguarded: [] as number[], guarded: [] as number[] };
  const requests = quick ? 50 : 500;
  for (let i = 0; i < requests; i++) {
    for (const key of i % 2 === 0 ? (["unguarded", "guarded"] as const) : (["guarded", "unguarded"] as const)) {
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
  for (const key of ["unguarded", "guarded"] as const) {
    const ms = median(whole[key]);
    console.log(
      `  ${key.padEnd(10)} TTFB median ${round(median(ttfb[key]), 3)} ms  long stream ${round(ms, 1)} ms (${round(longBytes / 1e6 / (ms / 1000), 1)} MB/s)`,
    );
  }
}

await main();
