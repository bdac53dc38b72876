// Owners of stateful-API ids shared between balancers: through the in-memory bus, a real redis-server
// (started here on a random loopback port, stopped by PID) and BroadcastChannel, against simulated
// stateful backends on real loopback sockets.
import fc from "fast-check";
import OpenAI from "openai";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, startRedis } from "../../scripts/redis-server.mjs";
import { isOwnerId, parseUpdate } from "../../src/core/shared.js";
import { createLoadBalancer, type SharedState, type SharedUpdate } from "../../src/index.js";
import { redisState } from "../../src/redis/index.js";
import { redisKeys } from "../../src/redis/keys.js";
import { broadcastChannelState } from "../../src/shared/index.js";
import { eventually, sleep } from "../shared/cases/recorder.js";
import { MemoryBus } from "../support/memory-shared-state.js";
import { type StatefulBackend, startStatefulBackend } from "../support/stateful-backend.js";

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((item) => item.close()));
});

async function stateful(): Promise<[StatefulBackend, StatefulBackend]> {
  const started = await Promise.all([startStatefulBackend("ptu"), startStatefulBackend("paygo")]);
  opened.push(...started);
  return started;
}

/** A balancer (ptu first, paygo second) sharing through `shared`, with a clock the test moves and an SDK client. */
function balancer([ptu, paygo]: [StatefulBackend, StatefulBackend], shared: SharedState | undefined) {
  let clock = 1_000_000;
  const lb = createLoadBalancer({
    backends: [
      { name: ptu.name, url: ptu.url, priority: 1 },
      { name: paygo.name, url: paygo.url, priority: 2 },
    ],
    now: () => clock,
    shared,
  });
  opened.push(lb);
  const client = new OpenAI({ baseURL: "http://lb.invalid/v1", apiKey: "test-key", fetch: lb.fetch, maxRetries: 0 });
  return {
    lb,
    client,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

/**
 * Balancer A makes a response on paygo (ptu answers 429 once, retry after 50 ms); the cooldown is shared
 * too, so B's clock moves past it: ptu is back in B's rotation and would get an unpinned follow-up.
 */
async function firstOnPaygo(backends: [StatefulBackend, StatefulBackend], a: ReturnType<typeof balancer>) {
  backends[0].throttle(1, 50);
  const first = await a.client.responses.create({ model: "gpt-test", input: "hi" });
  expect(backends[1].ids.responses.has(first.id)).toBe(true);
  return first.id;
}

/**
 * A follow-up to `id`, retried until the balancer routes it to the owner: until then it goes to ptu,
 * which answers 404 (a POST is never searched for elsewhere; a GET by id would be, hiding what is shared).
 */
async function followUpEventually(client: OpenAI, id: string, what: string): Promise<OpenAI.Responses.Response> {
  let answer: OpenAI.Responses.Response | undefined;
  await eventually(async () => {
    answer = await client.responses
      .create({ model: "gpt-test", input: "and?", previous_response_id: id })
      .catch(() => undefined);
    return answer !== undefined;
  }, what);
  return answer!;
}

const owners = (updates: readonly SharedUpdate[]) => updates.filter((update) => update.type === "owner");

describe("owners shared through the in-memory bus", () => {
  it("B's follow-up with previous_response_id goes to the backend that made the response for A", async () => {
    const backends = await stateful();
    const bus = new MemoryBus();
    const a = balancer(backends, bus.state());
    const b = balancer(backends, bus.state());
    const first = await firstOnPaygo(backends, a);
    expect(owners(bus.published)).toEqual([{ type: "owner", id: first, backend: "paygo" }]);
    b.advance(1_000);

    const followUp = await b.client.responses.create({ model: "gpt-test", input: "and?", previous_response_id: first });
    expect(followUp.previous_response_id).toBe(first);
    expect(backends[1].ids.responses.has(followUp.id)).toBe(true);
    expect(backends[0].hits.filter((hit) => hit.status === 404)).toEqual([]);
    // B learned `first` without publishing it again; it published only the id it was answered with.
    expect(owners(bus.published)).toEqual([
      { type: "owner", id: first, backend: "paygo" },
      { type: "owner", id: followUp.id, backend: "paygo" },
    ]);
  });

  it("without shared state the same follow-up reaches ptu, which does not know the response", async () => {
    const backends = await stateful();
    const a = balancer(backends, undefined);
    const b = balancer(backends, undefined);
    const first = await firstOnPaygo(backends, a);
    const refused = await b.client.responses
      .create({ model: "gpt-test", input: "and?", previous_response_id: first })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("owner updates naming an unknown backend or an id outside the charset are ignored", async () => {
    const backends = await stateful();
    const bus = new MemoryBus();
    const b = balancer(backends, bus.state());
    const first = await b.client.responses.create({ model: "gpt-test", input: "hi" });
    expect(backends[0].ids.responses.has(first.id)).toBe(true);
    bus.inject({ type: "owner", id: first.id, backend: "elsewhere" });
    bus.inject({ type: "owner", id: `${first.id} `, backend: "paygo" });
    bus.inject({
      type: "owner",
      id: first.id,
      backend: "paygo",
      extra: {
        get id() {
          throw new Error("getter run");
        },
      },
    });
    // The one valid update above moved `first` to paygo; a poisoned one must not move it back or anywhere.
    bus.inject({ type: "owner", id: first.id, backend: "ptu" });
    bus.inject({ type: "owner", id: first.id, backend: ["paygo"] });
    bus.inject({ type: "owner", id: [first.id], backend: "paygo" });
    const followUp = await b.client.responses.create({
      model: "gpt-test",
      input: "and?",
      previous_response_id: first.id,
    });
    expect(backends[0].ids.responses.has(followUp.id)).toBe(true);
  });
});

describe("owner updates on receipt", () => {
  const known = (name: string) => name === "ptu" || name === "paygo";
  const idChar = fc.constantFrom(..."abcXYZ019_.:-");

  it("an id of 1 to 256 characters of [A-Za-z0-9_.:-] from a known backend is taken as it is", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: idChar, minLength: 1, maxLength: 256 }),
        fc.constantFrom("ptu", "paygo"),
        (id, backend) => {
          expect(parseUpdate({ type: "owner", id, backend }, known, 60_000)).toEqual({ type: "owner", id, backend });
        },
      ),
    );
  });

  it("an id with any other character, an empty or longer one, or a non-string is refused", () => {
    const outside = fc.string({ minLength: 1, maxLength: 1 }).filter((char) => !/^[\w.:-]$/.test(char));
    const badId = fc.oneof(
      fc
        .tuple(fc.string({ unit: idChar, maxLength: 20 }), outside, fc.string({ unit: idChar, maxLength: 20 }))
        .map(([before, char, after]) => before + char + after),
      fc.constant(""),
      fc.string({ unit: idChar, minLength: 257, maxLength: 400 }),
      fc.anything().filter((value) => typeof value !== "string"),
    );
    fc.assert(
      fc.property(badId, (id) => {
        expect(isOwnerId(id)).toBe(false);
        expect(parseUpdate({ type: "owner", id, backend: "ptu" }, known, 60_000)).toBeUndefined();
      }),
    );
  });

  it("a valid id from a backend that is not configured is refused", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: idChar, minLength: 1, maxLength: 40 }),
        fc.anything().filter((value) => value !== "ptu" && value !== "paygo"),
        (id, backend) => {
          expect(parseUpdate({ type: "owner", id, backend }, known, 60_000)).toBeUndefined();
        },
      ),
    );
  });
});

describe("owners shared through redisState and a real redis-server", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function connect() {
    const client = createClient({ url: server.url });
    client.on("error", () => {});
    await client.connect();
    opened.push({ close: async () => client.destroy() });
    return client;
  }

  it("B hears of A's owner on the channel, and C, started later, reads it from its key", async () => {
    const backends = await stateful();
    const clients = await Promise.all([connect(), connect(), connect()]);
    const a = balancer(backends, redisState(clients[0], { namespace: "owners-test" }));
    const b = balancer(backends, redisState(clients[1], { namespace: "owners-test" }));
    const first = await firstOnPaygo(backends, a);
    const key = redisKeys("", "owners-test").owner(first);
    await eventually(async () => (await clients[0].get(key)) === "paygo", "owner key written");
    const ttl = await clients[0].pTTL(key);
    expect(ttl).toBeGreaterThan(86_000_000);
    expect(ttl).toBeLessThanOrEqual(86_400_000);

    b.advance(1_000);
    const followUp = await followUpEventually(b.client, first, "B routes the owned id to paygo");
    expect(backends[1].ids.responses.has(followUp.id)).toBe(true);

    // Once the cooldown's key is gone, C would not avoid ptu for it.
    const cooldown = redisKeys("", "owners-test").cooldown("ptu", null);
    await eventually(async () => (await clients[0].exists(cooldown)) === 0, "ptu's cooldown expired");
    const c = balancer(backends, redisState(clients[2], { namespace: "owners-test" }));
    c.advance(1_000);
    const late = await followUpEventually(c.client, first, "C read the owner key");
    expect(backends[1].ids.responses.has(late.id)).toBe(true);
  });

  it("the least-privilege user of docs/many-processes.md can write and read owners and cooldowns", async () => {
    const admin = await connect();
    const acl =
      "ACL SETUSER llm-balancer on >a-long-random-password resetkeys resetchannels ~chat-prod:cd:* ~chat-prod:probe:* ~chat-prod:owner:* &chat-prod:updates -@all +ping +hello +auth +select +get +mget +set +del +pttl +scan +eval +publish +subscribe +unsubscribe";
    await admin.sendCommand(acl.split(" "));
    const url = server.url.replace("redis://", "redis://llm-balancer:a-long-random-password@");
    const errors: unknown[] = [];
    const clientOf = async () => {
      const client = createClient({ url });
      client.on("error", () => {});
      await client.connect();
      opened.push({ close: async () => client.destroy() });
      return client;
    };
    const connection = (heard: unknown[]) =>
      clientOf().then((client) => {
        const link = redisState(client, { namespace: "chat-prod" }).connect({
          namespace: "unused",
          receive: (update) => heard.push(update),
          report: (error) => errors.push(error),
        });
        opened.push(link);
        return link;
      });
    const writer = await connection([]);
    await eventually(
      async () => (await admin.pubSubNumSub("chat-prod:updates"))["chat-prod:updates"] === 1,
      "subscribed",
    );
    writer.publish({ type: "owner", id: "resp_1", backend: "paygo" });
    writer.publish({
      type: "cooldown",
      backend: "ptu",
      deployment: null,
      reason: "rate-limit",
      remainingMs: 60_000,
      failures: 0,
    });
    await eventually(async () => (await admin.exists(["chat-prod:owner:resp_1", "chat-prod:cd:ptu"])) === 2, "written");
    const late: unknown[] = [];
    await connection(late);
    await eventually(() => late.length === 2, "the late joiner read both");
    expect(late).toContainEqual({ type: "owner", id: "resp_1", backend: "paygo" });
    expect(late).toContainEqual(expect.objectContaining({ type: "cooldown", backend: "ptu", reason: "rate-limit" }));
    expect(errors).toEqual([]);
  });
});

describe("owners shared through broadcastChannelState", () => {
  it("B hears of A's owner, and C, started later, is told it in the answer to its hello", async () => {
    const backends = await stateful();
    const name = `owners-${Math.random()}`;
    const a = balancer(backends, broadcastChannelState({ name }));
    const b = balancer(backends, broadcastChannelState({ name }));
    const first = await firstOnPaygo(backends, a);
    b.advance(1_000);
    const followUp = await followUpEventually(b.client, first, "B routes the owned id to paygo");
    expect(backends[1].ids.responses.has(followUp.id)).toBe(true);
    // The cooldown is over by then: nobody tells C of it, so C would not avoid ptu for it.
    await sleep(150);
    const c = balancer(backends, broadcastChannelState({ name }));
    c.advance(1_000);
    const late = await followUpEventually(c.client, first, "C was told the owner");
    expect(backends[1].ids.responses.has(late.id)).toBe(true);
  });
});
