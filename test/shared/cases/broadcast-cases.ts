// broadcastChannelState between separate agents (worker threads, workers, pages): the same cases
// everywhere; the runner hands in how to start a peer in its runtime.
import assert from "node:assert/strict";
import { describe, test as register } from "node:test";
import type { SharedUpdate } from "../../../src/types/shared.js";
import { eventually, sleep } from "./recorder.js";

/** A balancer in another agent, driven by messages. */
export interface Peer {
  connect(options: { name: string; claimWindowMs?: number }): Promise<unknown>;
  publish(update: SharedUpdate): Promise<unknown>;
  claim(backend: string, deployment: string | null, ttlMs: number): Promise<unknown>;
  received(): Promise<Record<string, unknown>[]>;
  close(): Promise<unknown>;
  /** Ends the agent (terminates the worker, closes the page). */
  terminate(): Promise<void>;
}

/** What a runtime provides to the cases. */
export interface BroadcastPlatform {
  /** e.g. `node v24.1.0 worker threads`. */
  readonly name: string;
  spawn(): Promise<Peer>;
}

const cooldown = (backend: string, remainingMs: number, deployment: string | null = null): SharedUpdate => ({
  type: "cooldown",
  backend,
  deployment,
  reason: "rate-limit",
  remainingMs,
  failures: 0,
});

let counter = 0;
const freshName = (): string => `bc-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/** Registers the cases for one platform (node:test: run natively by Node, Deno and Bun; vitest in Chromium). */
export function broadcastCases(platform: BroadcastPlatform): void {
  const peers: Peer[] = [];
  const start = async (name: string, count: number): Promise<Peer[]> => {
    const started = await Promise.all(Array.from({ length: count }, () => platform.spawn()));
    peers.push(...started);
    await Promise.all(started.map((peer) => peer.connect({ name })));
    return started;
  };
  const test = (name: string, fn: () => Promise<void>): void => {
    register(name, async () => {
      try {
        await fn();
      } finally {
        await Promise.all(peers.splice(0).map((peer) => peer.close().finally(() => peer.terminate())));
      }
    });
  };
  const find = async (peer: Peer, backend: string) =>
    (await peer.received()).filter((update) => update.backend === backend);

  describe(platform.name, () => {
    test("an update published in one agent reaches the other's receive, not its own", async () => {
      const name = freshName();
      const [a, b] = (await start(name, 2)) as [Peer, Peer];
      await a.publish(cooldown("ptu", 5000, "gpt-4o"));
      await eventually(async () => (await find(b, "ptu")).length > 0, "delivered", 5000);
      const [got] = await find(b, "ptu");
      assert.equal(got?.deployment, "gpt-4o");
      assert.ok((got?.remainingMs as number) <= 5000 && (got?.remainingMs as number) > 4000, "remaining ms as sent");
      await sleep(100);
      assert.equal((await find(a, "ptu")).length, 0, "no echo");
    });

    test("a late joiner hears the current cooldowns with their remaining time", async () => {
      const name = freshName();
      const [a] = (await start(name, 1)) as [Peer];
      await a.publish(cooldown("ptu", 4000));
      await a.publish(cooldown("paygo", 9000));
      await a.publish({ type: "recovered", backend: "paygo", deployment: null });
      await sleep(500);
      const [late] = (await start(name, 1)) as [Peer];
      await eventually(async () => (await find(late, "ptu")).length > 0, "state answered", 5000);
      const ms = (await find(late, "ptu"))[0]?.remainingMs as number;
      assert.ok(ms > 2000 && ms <= 3600, `about 3500 ms left, got ${ms}`);
      assert.equal((await find(late, "paygo")).length, 0, "a recovered backend is not reported as cooling");
    });

    test("exactly one of four concurrent claimers wins the probe; a later claim loses to the holder", async () => {
      const name = freshName();
      const all = await start(name, 4);
      const first = await Promise.all(all.map((peer) => peer.claim("ptu", null, 2000)));
      assert.equal(first.filter((won) => won === true).length, 1, `winners of ${JSON.stringify(first)}`);
      const again = await Promise.all(all.map((peer) => peer.claim("ptu", null, 2000)));
      assert.equal(
        again.filter((won) => won === true).length,
        0,
        `the holder keeps the lease ${JSON.stringify(again)}`,
      );
      const other = await Promise.all(all.map((peer) => peer.claim("ptu", "embeddings", 2000)));
      assert.equal(other.filter((won) => won === true).length, 1, "another deployment has its own lease");
    });

    test("after close() an agent receives nothing more", async () => {
      const name = freshName();
      const [a, b] = (await start(name, 2)) as [Peer, Peer];
      await b.close();
      await a.publish(cooldown("ptu", 5000));
      await sleep(300);
      assert.equal((await find(b, "ptu")).length, 0, "nothing after close");
    });
  });
}

/** Drives a peer in another agent through `send`; `onAnswer` is called with every answer it posts. */
export function peerClient(
  send: (command: { id: number; op: string; args: unknown[] }) => void,
  terminate: () => Promise<void>,
): { peer: Peer; onAnswer(answer: { id: number; result?: unknown; error?: string }): void } {
  let next = 0;
  const waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  const call = (op: string, ...args: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      send({ id, op, args });
    });
  return {
    peer: {
      connect: (options) => call("connect", options),
      publish: (update) => call("publish", update),
      claim: (backend, deployment, ttlMs) => call("claim", backend, deployment, ttlMs),
      received: () => call("received") as Promise<Record<string, unknown>[]>,
      close: () => call("close"),
      terminate,
    },
    onAnswer({ id, result, error }) {
      const pending = waiting.get(id);
      waiting.delete(id);
      if (error !== undefined) pending?.reject(new Error(error));
      else pending?.resolve(result);
    },
  };
}
