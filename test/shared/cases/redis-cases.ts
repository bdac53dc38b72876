// The redisState adapter against a real redis-server, the same cases for every client library and
// runtime. Runtime-neutral: the runner hands in how to make a client and how to start the server.
import assert from "node:assert/strict";
import { describe, test as register } from "node:test";
import type { createLoadBalancer, LoadBalancer } from "../../../src/index.js";
import type { SharedState, SharedStateConnection, SharedUpdate } from "../../../src/types/shared.js";
import { ok, SimulatedBackends, tooMany } from "../../support/backends.js";
import { eventually, recorder, sleep, type Recorder } from "./recorder.js";

/** A server the runner started; `stop` kills it by PID, `restart` starts it again on the same port. */
export interface ServerControl {
  readonly url: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/** What a runtime provides to the cases. */
export interface RedisPlatform {
  /** e.g. `node v24.1.0 node-redis`. */
  readonly name: string;
  readonly redisState: (client: unknown, options?: Record<string, unknown>) => SharedState;
  /** The package's own, for the cases with whole balancers. */
  readonly createLoadBalancer: typeof createLoadBalancer;
  /** A connected client that reconnects by itself after a server restart. */
  connect(url: string): Promise<unknown>;
  /** Sends one raw command through a client the platform made (for checks from outside the adapter). */
  command(client: unknown, args: string[]): Promise<unknown>;
  disconnect(client: unknown): Promise<void>;
  server: ServerControl;
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
/** A namespace of its own for each case, so that cases never see each other's keys. */
const freshNamespace = (): string => `t${Date.now().toString(36)}${(counter++).toString(36)}`;

/** Registers the cases for one platform (node:test: run natively by Node, Deno and Bun). */
export function redisCases(platform: RedisPlatform): void {
  const clients: unknown[] = [];
  const connections: SharedStateConnection[] = [];
  const open = async (namespace: string, options: Record<string, unknown> = {}) => {
    const client = await platform.connect(platform.server.url);
    clients.push(client);
    const context = recorder(namespace);
    const connection = platform.redisState(client, { timeoutMs: 300, ...options }).connect(context);
    connections.push(connection);
    return { client, context, connection };
  };
  /** Waits until the connection's subscription is live: its own probe message reaches a second one. */
  const subscribed = async (context: Recorder, sender: SharedStateConnection): Promise<void> => {
    const probe = `ready-${counter++}`;
    await eventually(
      async () => {
        sender.publish(cooldown(probe, 1));
        await sleep(50);
        return context.received.some((update) => (update as { backend?: string }).backend === probe);
      },
      "subscription live",
      10_000,
    );
  };
  const balancers: LoadBalancer[] = [];
  const cleanup = async (): Promise<void> => {
    await Promise.all(balancers.splice(0).map((lb) => lb.close()));
    await Promise.all(connections.splice(0).map((connection) => connection.close()));
    await Promise.all(clients.splice(0).map((client) => platform.disconnect(client).catch(() => {})));
  };
  const test = (name: string, fn: () => Promise<void>): void => {
    register(name, async () => {
      try {
        await fn();
      } finally {
        await cleanup();
      }
    });
  };

  describe(platform.name, () => {
    test("an update published by one balancer reaches the other's receive, not its own", async () => {
      const ns = freshNamespace();
      const a = await open(ns);
      const b = await open(ns);
      await subscribed(b.context, a.connection);
      a.connection.publish(cooldown("ptu", 5000, "gpt-4o"));
      const got = await b.context.next((update) => update.backend === "ptu");
      assert.equal(got.type, "cooldown");
      assert.equal(got.deployment, "gpt-4o");
      assert.equal(got.reason, "rate-limit");
      assert.ok((got.remainingMs as number) <= 5000 && (got.remainingMs as number) > 4000, "remaining ms as sent");
      await sleep(100);
      assert.ok(!a.context.received.some((update) => (update as { backend?: string }).backend === "ptu"), "no echo");
      assert.equal(a.context.reported.length + b.context.reported.length, 0, "nothing reported");
    });

    test("a late starter reads the current cooldowns with their remaining time", async () => {
      const ns = freshNamespace();
      const a = await open(ns);
      const b = await open(ns);
      await subscribed(b.context, a.connection);
      a.connection.publish(cooldown("ptu", 4000));
      a.connection.publish(cooldown("paygo", 8000, "embeddings"));
      await b.context.next((update) => update.backend === "paygo");
      await sleep(500);
      const late = await open(ns);
      const ptu = await late.context.next((update) => update.backend === "ptu");
      const paygo = await late.context.next((update) => update.backend === "paygo");
      const ptuMs = ptu.remainingMs as number;
      const paygoMs = paygo.remainingMs as number;
      assert.ok(ptuMs > 2000 && ptuMs <= 3600, `ptu remaining about 3500 ms, got ${ptuMs}`);
      assert.ok(paygoMs > 6000 && paygoMs <= 7600, `paygo remaining about 7500 ms, got ${paygoMs}`);
      assert.equal(paygo.deployment, "embeddings");
    });

    test("a shorter cooldown never shortens a longer one in the store", async () => {
      const ns = freshNamespace();
      const a = await open(ns);
      const b = await open(ns);
      await subscribed(b.context, a.connection);
      a.connection.publish(cooldown("ptu", 9000));
      await b.context.next((update) => update.backend === "ptu" && (update.remainingMs as number) > 5000);
      b.connection.publish(cooldown("ptu", 1000));
      await a.context.next((update) => update.backend === "ptu");
      const late = await open(ns);
      const got = await late.context.next((update) => update.backend === "ptu");
      assert.ok((got.remainingMs as number) > 5000, `the later deadline stays, got ${got.remainingMs}`);
    });

    test("a recovery reaches the others and clears the stored cooldown", async () => {
      const ns = freshNamespace();
      const a = await open(ns);
      const b = await open(ns);
      await subscribed(b.context, a.connection);
      a.connection.publish(cooldown("ptu", 9000));
      a.connection.publish({ type: "recovered", backend: "ptu", deployment: null });
      await b.context.next((update) => update.backend === "ptu" && update.type === "recovered");
      const late = await open(ns);
      await subscribed(late.context, a.connection);
      assert.ok(
        !late.context.received.some((update) => (update as { backend?: string }).backend === "ptu"),
        "no cooldown",
      );
    });

    test("exactly one of five concurrent claimers wins the probe, and again after the lease ends", async () => {
      const ns = freshNamespace();
      const peers = await Promise.all([1, 2, 3, 4, 5].map(() => open(ns)));
      const first = await Promise.all(peers.map((peer) => peer.connection.claimProbe("ptu", "gpt-4o", 400)));
      assert.equal(first.filter(Boolean).length, 1, `winners of ${JSON.stringify(first)}`);
      const other = await Promise.all(peers.map((peer) => peer.connection.claimProbe("ptu", "embeddings", 400)));
      assert.equal(other.filter(Boolean).length, 1, "another deployment has its own lease");
      await sleep(600);
      const second = await Promise.all(peers.map((peer) => peer.connection.claimProbe("ptu", "gpt-4o", 400)));
      assert.equal(second.filter(Boolean).length, 1, `winners after the lease ended ${JSON.stringify(second)}`);
    });

    test("the store holds names and numbers only, under the namespace's keys", async () => {
      const ns = freshNamespace();
      const a = await open(ns, { keyPrefix: "app:" });
      a.connection.publish(cooldown("ptu", 5000, "gpt-4o"));
      const key = `app:${ns}:cd:ptu:gpt-4o`;
      await eventually(async () => (await platform.command(a.client, ["EXISTS", key])) === 1, "key written", 3000);
      const stored = JSON.parse(String(await platform.command(a.client, ["GET", key])));
      assert.equal(
        JSON.stringify(stored),
        JSON.stringify({ backend: "ptu", deployment: "gpt-4o", reason: "rate-limit", failures: 0 }),
      );
      const ttl = Number(await platform.command(a.client, ["PTTL", key]));
      assert.ok(ttl > 3000 && ttl <= 5000, `TTL is the remaining time, got ${ttl}`);
    });

    test("a malformed message on the channel is reported, not delivered", async () => {
      const ns = freshNamespace();
      const a = await open(ns);
      const b = await open(ns);
      await subscribed(b.context, a.connection);
      const before = b.context.received.length;
      await platform.command(a.client, ["PUBLISH", `${ns}:updates`, "{not json"]);
      await eventually(() => b.context.reported.length > 0, "reported");
      assert.equal(b.context.received.length, before, "nothing delivered");
    });

    test("close() ends the subscription and leaves the user's client open", async () => {
      const ns = freshNamespace();
      const a = await open(ns);
      const b = await open(ns);
      await subscribed(b.context, a.connection);
      await b.connection.close();
      const count = b.context.received.length;
      a.connection.publish(cooldown("ptu", 5000));
      await sleep(300);
      assert.equal(b.context.received.length, count, "nothing after close");
      assert.equal(await platform.command(b.client, ["PING"]), "PONG", "the user's client still works");
      const subscribers = (await platform.command(a.client, ["PUBSUB", "NUMSUB", `${ns}:updates`])) as unknown[];
      assert.equal(Number(subscribers[1]), 1, "only a's subscriber is left");
    });

    test("one balancer's 429 on the PTU cools it for another on another connection: none of the other's requests reach the PTU", async () => {
      const namespace = freshNamespace();
      const state = { ptu: (): Response => ok({ by: "ptu" }) };
      const simulated = new SimulatedBackends({
        "https://ptu.example.com": () => state.ptu(),
        "https://paygo.example.com": () => ok({ by: "paygo" }),
      });
      const balancer = async () => {
        const client = await platform.connect(platform.server.url);
        clients.push(client);
        const lb = platform.createLoadBalancer({
          backends: [
            { url: "https://ptu.example.com", name: "ptu", priority: 1 },
            { url: "https://paygo.example.com", name: "paygo", priority: 2 },
          ],
          fetch: simulated.fetch,
          shared: platform.redisState(client, { namespace, timeoutMs: 300 }),
        });
        balancers.push(lb);
        const remote: string[] = [];
        lb.on("cooldown", (event) => {
          if (event.remote) remote.push(event.backend.name);
        });
        const servedBy = async () => {
          const response = await lb.fetch("https://client.example.com/v1/chat/completions", { method: "POST" });
          return ((await response.json()) as { by: string }).by;
        };
        return { remote, servedBy };
      };
      const a = await balancer();
      const b = await balancer();
      state.ptu = () => tooMany({ "retry-after": "20" });
      assert.equal(await a.servedBy(), "paygo");
      await eventually(() => b.remote.includes("ptu"), "b hears of the PTU's cooldown", 5000);
      for (let i = 0; i < 3; i++) assert.equal(await b.servedBy(), "paygo");
      assert.equal(simulated.calls("https://ptu.example.com").length, 1, "only a's request reached the PTU");
    });

    // Last: it stops the server, then starts it again on the same port.
    test("a stopped store fails publish and claim fast without throwing, and sharing resumes after restart", async () => {
      const ns = freshNamespace();
      const a = await open(ns);
      const b = await open(ns);
      await subscribed(b.context, a.connection);
      await platform.server.stop();
      await sleep(200);
      a.connection.publish(cooldown("ptu", 20_000));
      // Answered while the server is still down: the claim never waits for it to come back.
      const won = await a.connection.claimProbe("ptu", null, 5000);
      assert.equal(won, true, "a store that cannot answer lets this process probe");
      await eventually(() => a.context.reported.length > 0, "a fault reported", 3000);
      await platform.server.restart();
      // Written and published after the reconnect, with the time spent waiting taken off.
      const got = await b.context.next((update) => update.backend === "ptu" && update.type === "cooldown", 15_000);
      assert.ok((got.remainingMs as number) < 20_000, `remaining counts down while queued, got ${got.remainingMs}`);
      a.connection.publish(cooldown("paygo", 5000));
      await b.context.next((update) => update.backend === "paygo", 10_000);
    });
  });
}
