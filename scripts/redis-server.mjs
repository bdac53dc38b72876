// Starts Debian's redis-server for tests and benchmarks: a random free loopback port, no persistence,
// stopped by PID. A server that cannot start throws with the reason: tests fail, they never skip.
// As a script (`node scripts/redis-server.mjs`) it starts one, prints its URL and PID, and runs until killed.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";

/** Debian's package unless REDIS_SERVER names another binary; nothing is ever downloaded. */
export const redisServerPath = process.env.REDIS_SERVER ?? "/usr/bin/redis-server";

/** A loopback port free right now (bound, then released). */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves when the server at `port` answers PING with PONG. */
function ping(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(String(data).startsWith("+PONG")));
  });
}

/**
 * Starts redis-server on `port` (a free one when omitted) and waits until it answers PING.
 * @returns {Promise<{ port: number, url: string, pid: number, stop(signal?: NodeJS.Signals): Promise<void> }>}
 */
export async function startRedis({ port, timeoutMs = 10_000 } = {}) {
  if (!existsSync(redisServerPath)) {
    throw new Error(
      `redis-server not found at ${redisServerPath}. Install it (Debian: apt-get install -y redis-server) or set REDIS_SERVER.`,
    );
  }
  const chosen = port ?? (await freePort());
  const args = ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const child = spawn(redisServerPath, [...args, "--protected-mode", "no", "--loglevel", "warning"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (data) => {
    output += data;
  });
  child.stderr.on("data", (data) => {
    output += data;
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let exit;
  void exited.then((value) => {
    exit = value;
  });
  const deadline = Date.now() + timeoutMs;
  while (!(await ping(chosen))) {
    if (exit !== undefined || child.pid === undefined) {
      throw new Error(
        `redis-server exited (${JSON.stringify(exit)}) before answering PING on port ${chosen}:\n${output}`,
      );
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not answer PING on port ${chosen} within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const pid = child.pid;
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    pid,
    /** Stops the server by its PID (SIGTERM by default, SIGKILL for a crash) and waits until it is gone. */
    async stop(signal = "SIGTERM") {
      // child.kill signals the child's PID; Deno allows it where process.kill(pid) needs --allow-run for all.
      if (exit === undefined && !child.kill(signal) && exit === undefined) process.kill(pid, signal);
      await exited;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startRedis({ port: process.argv[2] === undefined ? undefined : Number(process.argv[2]) });
  console.log(`redis-server ${server.url} pid ${server.pid}`);
  const stop = () => server.stop().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
