// Balancers sharing state through redisState and a real redis-server (started here on a random loopback
// port, stopped by PID), each with its own client connection, against simulated backends.
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, startRedis } from "../../scripts/redis-server.mjs";
import { createLoadBalancer, type FetchFunction, type LoadBalancerEvent } from "../../src/index.js";
import { redisState } from "../../src/redis/index.js";
import { ok, SimulatedBackends, tooMany } from "../support/backends.js";
import { eventually, sleep } from "./cases/recorder.js";

const PTU = "https://ptu.example.com";
const PAYGO = "https://paygo.example.com";
const BACKENDS = [
  { url: PTU, name: "ptu", priority: 1 },
  { url: PAYGO, name: "paygo", priority: 2 },
];
const CHAT = "https://client.example.com/v1/chat/completions";
const chat = (): RequestInit => ({ method: "POST", body: JSON.stringify({ messages: [] }) });

// A real server for the file; one that cannot start fails beforeAll and with it every case.
let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

type Client = ReturnType<typeof createClient>;
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((item) => item.close()));
});

/** A node-redis client of its own that reconnects quickly after a restart. */
async function connect(): Promise<Client> {
  const client = createClient({
    url: server.url,
    socket: { reconnectStrategy: (retries: number) => Math.min(50 * retries, 300) },
  });
  client.on("error", () => {});
  await client.connect();
  opened.push({ close: async () => client.destroy() });
  return client as Client;
}

/** The PTU's answer, set by the test; the log says, in order, who called the PTU and whose probe came back. */
function simulated() {
  const state = { ptu: (): Response => ok({ by: "ptu" }) };
  const log: string[] = [];
  const backends = new SimulatedBackends({ [PTU]: () => state.ptu(), [PAYGO]: () => ok({ by: "paygo" }) });
  const fetchFor =
    (label: string): FetchFunction =>
    (input, init) => {
      if (String(input).startsWith(PTU)) log.push(`${label} ptu`);
      return backends.fetch(input, init);
    };
  return { state, log, backends, fetchFor };
}

let namespaces = 0;
/** `count` balancers sharing one namespace, each with its own Redis connection. */
async function fleet(count: number, fetchFor: (label: string) => FetchFunction, log?: string[]) {
  const namespace = `e2e${Date.now().toString(36)}${namespaces++}`;
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const label = String.fromCharCode(97 + i);
      const client = await connect();
      const lb = createLoadBalancer({
        backends: BACKENDS,
        fetch: fetchFor(label),
        shared: redisState(client, { namespace, timeoutMs: 300 }),
        defaultCooldownMs: 1000,
      });
      opened.unshift({ close: () => lb.close() });
      const events: LoadBalancerEvent[] = [];
      lb.on("*", (event) => events.push(event));
      lb.on("probe", () => log?.push(`${label} probe`));
      const remoteCooldown = (backend: string) =>
        events.some((event) => event.type === "cooldown" && event.remote && event.backend.name === backend);
      return { label, lb, events, remoteCooldown };
    }),
  );
}

const servedBy = async (response: Response): Promise<string> => ((await response.json()) as { by: string }).by;

describe("balancers sharing state through a real redis-server", () => {
  it("one balancer's 429 on the PTU cools it for another on another connection: none of the other's requests reach the PTU", async () => {
    const { state, log, fetchFor } = simulated();
    const [a, b] = await fleet(2, fetchFor);
    state.ptu = () => tooMany({ "retry-after": "20" });
    expect(await servedBy(await a!.lb.fetch(CHAT, chat()))).toBe("paygo");
    await eventually(() => b!.remoteCooldown("ptu"), "b hears of the PTU's cooldown", 5000);
    for (let i = 0; i < 5; i++) expect(await servedBy(await b!.lb.fetch(CHAT, chat()))).toBe("paygo");
    expect(log).toEqual(["a ptu"]);
    expect(b!.lb.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "rate-limit" });
  }, 30_000);

  it("one probe for the fleet: after a failure's cooldown ends, exactly one of four balancers probes the PTU", async () => {
    const { state, log, fetchFor } = simulated();
    const all = await fleet(4, fetchFor, log);
    // A failure whose cooldown ends in a probe: the server's own wait (a 503 alone, without one, is only paused).
    state.ptu = () => new Response("unavailable", { status: 503, headers: { "retry-after-ms": "1000" } });
    await all[0]!.lb.fetch(CHAT, chat());
    for (const other of all.slice(1)) await eventually(() => other.remoteCooldown("ptu"), `${other.label} hears`, 5000);
    state.ptu = () => ok({ by: "ptu" });
    log.length = 0;
    // Every balancer keeps sending until every one of them has the PTU back in full rotation.
    const recovered = () => all.every(({ lb }) => lb.snapshot().backends[0]?.state === "available");
    await eventually(
      async () => {
        await Promise.all(all.map(({ lb }) => lb.fetch(CHAT, chat()).then((response) => response.arrayBuffer())));
        return recovered();
      },
      "every balancer has the PTU back",
      10_000,
    );
    const probes = all.flatMap(({ events }) => events.filter((event) => event.type === "probe"));
    expect(probes).toHaveLength(1);
    expect(probes[0]).toMatchObject({ backend: { name: "ptu" }, success: true });
    // Until the probe came back, the PTU saw exactly one request: the probe.
    expect(
      log.slice(
        0,
        log.findIndex((entry) => entry.endsWith("probe")),
      ),
    ).toHaveLength(1);
  }, 30_000);

  it("a frozen store (redis-server stopped with SIGSTOP): every request sent meanwhile completes before it thaws, a 429 included", async () => {
    const { state, log, fetchFor } = simulated();
    const [a, b] = await fleet(2, fetchFor);
    for (const { lb } of [a!, b!]) expect(await servedBy(await lb.fetch(CHAT, chat()))).toBe("ptu");
    process.kill(server.pid, "SIGSTOP");
    try {
      const statuses: number[] = [];
      state.ptu = () => tooMany({ "retry-after": "30" });
      for (let i = 0; i < 10; i++) {
        const responses = await Promise.all([a!, b!].map(({ lb }) => lb.fetch(CHAT, chat())));
        statuses.push(...responses.map((response) => response.status));
      }
      expect(statuses).toEqual(Array(20).fill(200));
      // Each learned of the 429 on its own (the store cannot tell them), and neither waited for it.
      expect(log.filter((entry) => entry.endsWith("ptu")).sort()).toEqual(["a ptu", "a ptu", "b ptu", "b ptu"]);
    } finally {
      process.kill(server.pid, "SIGCONT");
    }
  }, 30_000);

  it("redis killed and restarted mid-run: no failed request, none waits on the store, and sharing resumes", async () => {
    const { state, log, fetchFor } = simulated();
    const [a, b] = await fleet(2, fetchFor);
    const statuses: number[] = [];
    let outage: Promise<unknown>[] | undefined;
    let running = true;
    // Paced load: each balancer sends one request every 20 ms for the whole run.
    const load = (async () => {
      const sent: Promise<unknown>[] = [];
      while (running) {
        for (const { lb } of [a!, b!]) {
          const request = lb.fetch(CHAT, chat()).then(
            async (response) => {
              statuses.push(response.status);
              await response.arrayBuffer();
            },
            () => statuses.push(-1),
          );
          sent.push(request);
          outage?.push(request);
        }
        await sleep(20);
      }
      await Promise.all(sent);
    })();
    await sleep(300);
    await server.stop("SIGKILL");
    outage = [];
    await sleep(500);
    const sentWhileDown = outage;
    outage = undefined;
    // Every request sent while the store was down completes before it comes back: none waits on it.
    await Promise.all(sentWhileDown);
    expect(sentWhileDown.length).toBeGreaterThan(20);
    server = await startRedis({ port: server.port });
    await sleep(300);
    // After the restart a 429 seen by `a` reaches `b` (the PTU answers the next request with a 429).
    let throttledOnce = false;
    state.ptu = () => {
      if (throttledOnce) return ok({ by: "ptu" });
      throttledOnce = true;
      return tooMany({ "retry-after": "30" });
    };
    const localCooldown = (events: LoadBalancerEvent[]) =>
      events.some((event) => event.type === "cooldown" && !event.remote && event.backend.name === "ptu");
    await eventually(() => localCooldown(a!.events) || localCooldown(b!.events), "the PTU throttled one", 5000);
    const listener = localCooldown(a!.events) ? b! : a!;
    await eventually(() => listener.remoteCooldown("ptu"), "the other balancer hears of it after the restart", 10_000);
    const ptuCalls = log.length;
    await sleep(200);
    running = false;
    await load;
    expect(statuses.length).toBeGreaterThan(50);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(listener.lb.snapshot().backends[0]).toMatchObject({ state: "cooling", reason: "rate-limit" });
    // Once both knew, the PTU saw no more requests.
    expect(log.length).toBe(ptuCalls);
  }, 30_000);
});
