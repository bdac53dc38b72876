import OpenAI, { toFile } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { createLoadBalancer, type LoadBalancerEvent, type LoadBalancerOptions } from "../../src/index.js";
import { type StatefulBackend, startStatefulBackend } from "../support/stateful-backend.js";

let running: StatefulBackend[] = [];

afterEach(async () => {
  await Promise.all(running.map((backend) => backend.close()));
  running = [];
});

async function backends(...names: string[]): Promise<StatefulBackend[]> {
  const started = await Promise.all(names.map((name) => startStatefulBackend(name)));
  running.push(...started);
  return started;
}

/** A balancer over the simulated backends (tiers by position unless `priorities` says), with a clock the test moves. */
function balancer(list: StatefulBackend[], options: Partial<LoadBalancerOptions> = {}, priorities?: number[]) {
  let clock = 1_000_000;
  const lb = createLoadBalancer({
    backends: list.map((backend, index) => ({
      name: backend.name,
      url: backend.url,
      priority: priorities?.[index] ?? index + 1,
    })),
    now: () => clock,
    maxWaitMs: 0, // the caller sees the owner's state at once; the clock here moves only when a test says
    ...options,
  });
  const events: LoadBalancerEvent[] = [];
  lb.on("*", (event) => events.push(event));
  const client = new OpenAI({ baseURL: "http://lb.invalid/v1", apiKey: "test-key", fetch: lb.fetch, maxRetries: 0 });
  const advance = (ms: number): void => {
    clock += ms;
  };
  return { lb, client, events, advance };
}

const posts = (backend: StatefulBackend, path: string) =>
  backend.hits.filter((hit) => hit.method === "POST" && hit.path === path);

describe("the Responses API through the balancer", () => {
  it("a follow-up with previous_response_id goes to the backend that made the first, even after tier 1 cooled in between", async () => {
    const [ptu, paygo] = await backends("ptu", "paygo");
    const { client, advance, lb } = balancer([ptu!, paygo!]);

    const first = await client.responses.create({ model: "gpt-test", input: "hi" });
    expect(ptu!.ids.responses.has(first.id)).toBe(true);

    ptu!.throttle(1, 5_000);
    const elsewhere = await client.responses.create({ model: "gpt-test", input: "another conversation" });
    expect(paygo!.ids.responses.has(elsewhere.id)).toBe(true);
    expect(lb.snapshot().backends[0]!.state).toBe("cooling");

    // The owner of `first` is cooling: the caller gets its state, not a 404 from paygo.
    const refused = await client.responses
      .create({ model: "gpt-test", input: "and then?", previous_response_id: first.id })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).headers.get("retry-after-ms")).toBe("5000");
    expect((refused as { code?: string }).code).toBe("owner_unavailable");
    expect(paygo!.hits.filter((hit) => hit.status === 404)).toEqual([]);

    advance(5_000);
    const followUp = await client.responses.create({
      model: "gpt-test",
      input: "and then?",
      previous_response_id: first.id,
    });
    expect(followUp.previous_response_id).toBe(first.id);
    expect(ptu!.ids.responses.has(followUp.id)).toBe(true);

    // The conversation that started on paygo stays there, though ptu is back in rotation.
    const second = await client.responses.create({
      model: "gpt-test",
      input: "more",
      previous_response_id: elsewhere.id,
    });
    expect(paygo!.ids.responses.has(second.id)).toBe(true);
    expect((await client.responses.retrieve(elsewhere.id)).id).toBe(elsewhere.id);
  });

  it("waits for the owner within maxWaitMs instead of answering 429", async () => {
    const [ptu, paygo] = await backends("ptu", "paygo");
    const { client } = balancer([ptu!, paygo!], { maxWaitMs: 10_000, now: Date.now });
    const first = await client.responses.create({ model: "gpt-test", input: "hi" });
    ptu!.throttle(1, 200);
    const followUp = await client.responses.create({
      model: "gpt-test",
      input: "next",
      previous_response_id: first.id,
    });
    expect(ptu!.ids.responses.has(followUp.id)).toBe(true);
    expect(posts(paygo!, "/v1/responses")).toEqual([]);
  });

  it("a streamed response is owned by the backend that streamed it: its id is read from response.created", async () => {
    const [ptu, paygo] = await backends("ptu", "paygo");
    const { client, advance } = balancer([ptu!, paygo!]);
    ptu!.throttle(1, 1_000);
    const stream = await client.responses.create({ model: "gpt-test", input: "hi", stream: true });
    let id: string | undefined;
    let text = "";
    for await (const event of stream) {
      if (event.type === "response.created") id = event.response.id;
      if (event.type === "response.output_text.delta") text += event.delta;
    }
    expect(text).toBe("from paygo");
    expect(paygo!.ids.responses.has(id!)).toBe(true);

    advance(1_000); // ptu, tier 1, is back in rotation
    const followUp = await client.responses.create({ model: "gpt-test", input: "next", previous_response_id: id! });
    expect(paygo!.ids.responses.has(followUp.id)).toBe(true);
  });

  it("a request naming an unknown id is balanced as usual, and the backend's 404 is handed back without failover", async () => {
    const [ptu, paygo] = await backends("ptu", "paygo");
    const { client } = balancer([ptu!, paygo!]);
    const error = await client.responses.retrieve("resp_made_elsewhere1").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(ptu!.hits.map((hit) => hit.status)).toEqual([404]);
    expect(paygo!.hits).toEqual([]);
  });
});

describe("files and batches", () => {
  const upload = async () => toFile(new TextEncoder().encode('{"custom_id":"1"}\n'), "batch.jsonl");

  it("files.create → batches.create → batches.retrieve → the output file all go to the home backend, though round-robin spreads other requests", async () => {
    const [ptu, ptu2, paygo] = await backends("ptu", "ptu2", "paygo");
    const { client } = balancer([ptu!, ptu2!, paygo!], { selection: "round-robin" }, [1, 1, 2]);
    const file = await client.files.create({ file: await upload(), purpose: "batch" });
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    const done = await client.batches.retrieve(batch.id);
    expect(done.status).toBe("completed");
    const output = await client.files.retrieve(done.output_file_id!);
    expect(output.id).toBe(done.output_file_id);
    expect(ptu!.hits.map((hit) => hit.status)).toEqual([200, 200, 200, 200]);
    expect([...ptu2!.hits, ...paygo!.hits]).toEqual([]);
    // Chat completions are balanced as usual meanwhile.
    await client.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "hi" }] });
    await client.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "hi" }] });
    expect(ptu2!.hits).toHaveLength(1);
  });

  it("with home: false uploads are balanced, and a batch follows its input file's owner", async () => {
    const [a, b] = await backends("a", "b");
    const { client } = balancer([a!, b!], { selection: "round-robin", home: false }, [1, 1]);
    const first = await client.files.create({ file: await upload(), purpose: "batch" });
    const second = await client.files.create({ file: await upload(), purpose: "batch" });
    const owners = [first, second].map((file) => (a!.ids.files.has(file.id) ? "a" : "b"));
    expect(new Set(owners).size).toBe(2);
    for (const file of [second, first, second]) {
      const batch = await client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      });
      expect((await client.batches.retrieve(batch.id)).id).toBe(batch.id);
    }
    expect([...a!.hits, ...b!.hits].filter((hit) => hit.status === 404)).toEqual([]);
  });

  it("when the home backend fails, the caller gets a 503 with retry-after, not an upload on another resource", async () => {
    const [ptu, paygo] = await backends("ptu", "paygo");
    const { client, events } = balancer([ptu!, paygo!]);
    await ptu!.close(); // connection refused: a network error
    const error = await client.files
      .create({ file: await upload(), purpose: "batch" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((error as { code?: string }).code).toBe("home_backend_unavailable");
    expect(Number((error as InstanceType<typeof OpenAI.APIError>).headers?.get("retry-after"))).toBeGreaterThan(0);
    expect(paygo!.hits).toEqual([]);
    expect(events.filter((event) => event.type === "cooldown")).toMatchObject([{ reason: "network-error" }]);
    running = running.filter((backend) => backend !== ptu);
  });
});

describe("stickiness", () => {
  it("the same prompt_cache_key keeps its backend, moves when it cools, and comes back when it recovers", async () => {
    const list = await backends("a", "b", "c");
    const { client, advance } = balancer(list, { sticky: true }, [1, 1, 1]);
    const ask = async (key: string) => {
      const response = await client.responses.create({ model: "gpt-test", input: "hi", prompt_cache_key: key });
      return list.find((backend) => backend.ids.responses.has(response.id))!;
    };
    const home = await ask("conversation-42");
    for (let i = 0; i < 5; i++) expect(await ask("conversation-42")).toBe(home);
    home.throttle(1, 1_000);
    const moved = await ask("conversation-42");
    expect(moved).not.toBe(home);
    expect(await ask("conversation-42")).toBe(moved);
    advance(1_000);
    expect(await ask("conversation-42")).toBe(home);
    const spread = new Set<StatefulBackend>();
    for (let i = 0; i < 30; i++) spread.add(await ask(`conversation-${i}`));
    expect(spread.size).toBe(3);
  });
});
