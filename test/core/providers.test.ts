import { describe, expect, it, vi } from "vitest";
import { createLoadBalancer, type BackendConfig, type LoadBalancerEvent } from "../../src/index.js";
import { azure, azureV1, openai } from "../../src/providers/index.js";
import { SimulatedBackends, ok, tooMany, type Received } from "../support/backends.js";

const CALLER_HEADERS = {
  "content-type": "application/json",
  "api-key": "CALLER-AZURE-KEY",
  authorization: "Bearer CALLER-TOKEN",
};

/** Sends one request through a balancer whose only backend is `backend`, and returns what it received. */
async function sentTo(backend: BackendConfig, url: string, init: RequestInit = {}): Promise<Received> {
  const fake = new SimulatedBackends({ [new URL(backend.url).origin]: () => ok() });
  const lb = createLoadBalancer({ backends: [backend], fetch: fake.fetch });
  const response = await lb.fetch(url, { method: "POST", headers: CALLER_HEADERS, ...init });
  expect(response.status).toBe(200);
  expect(fake.received).toHaveLength(1);
  return fake.received[0]!;
}

const openaiChat = (model: string) =>
  [
    "https://api.openai.com/v1/chat/completions",
    { method: "POST", headers: CALLER_HEADERS, body: JSON.stringify({ model, messages: [] }) },
  ] as const;
const azureChat = (deployment: string, model = "gpt-4o") =>
  [
    `https://caller.openai.azure.com/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`,
    { method: "POST", headers: CALLER_HEADERS, body: JSON.stringify({ model, messages: [] }) },
  ] as const;

describe("a request reaches each backend in that backend's own shape", () => {
  it("OpenAI-shaped → azure: deployment URL from the model map, api-version added, api-key instead of the caller's credentials", async () => {
    const received = await sentTo(
      azure({ url: "https://eastus.openai.azure.com", apiKey: "EASTUS-KEY", models: { "gpt-4o": "gpt4o-prod" } }),
      ...openaiChat("gpt-4o"),
    );
    expect(received.url).toBe(
      "https://eastus.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21",
    );
    expect(received.headers["api-key"]).toBe("EASTUS-KEY");
    expect(received.headers.authorization).toBeUndefined();
    expect(JSON.parse(received.body)).toEqual({ model: "gpt-4o", messages: [] });
  });

  it("OpenAI-shaped → azure without a map: the model name is the deployment name; apiVersion is configurable", async () => {
    const received = await sentTo(
      azure({ url: "https://eastus.openai.azure.com", apiVersion: "2025-04-01-preview" }),
      ...openaiChat("gpt-4o-mini"),
    );
    expect(received.url).toBe(
      "https://eastus.openai.azure.com/openai/deployments/gpt-4o-mini/chat/completions?api-version=2025-04-01-preview",
    );
    // No credentials of its own: the caller's headers go as they are.
    expect(received.headers["api-key"]).toBe("CALLER-AZURE-KEY");
  });

  it("OpenAI-shaped → azure-v1: /openai/v1 path, model renamed in the body", async () => {
    const received = await sentTo(
      azureV1({ url: "https://swe.openai.azure.com", apiKey: "SWE-KEY", models: { "gpt-4o": "gpt4o-swe" } }),
      ...openaiChat("gpt-4o"),
    );
    expect(received.url).toBe("https://swe.openai.azure.com/openai/v1/chat/completions");
    expect(JSON.parse(received.body)).toEqual({ model: "gpt4o-swe", messages: [] });
    expect(received.headers["api-key"]).toBe("SWE-KEY");
    expect(received.headers.authorization).toBeUndefined();
  });

  it("Azure deployment-shaped → openai: base URL + operation, api-version dropped, model from the body, Bearer key", async () => {
    const received = await sentTo(
      openai({ url: "https://api.openai.com/v1", apiKey: "sk-openai" }),
      ...azureChat("prod-gpt4o", "gpt-4o"),
    );
    expect(received.url).toBe("https://api.openai.com/v1/chat/completions");
    expect(JSON.parse(received.body)).toEqual({ model: "gpt-4o", messages: [] });
    expect(received.headers.authorization).toBe("Bearer sk-openai");
    expect(received.headers["api-key"]).toBeUndefined();
  });

  it("Azure deployment-shaped → openai with a map keyed by the model: the mapped name goes in the body", async () => {
    const received = await sentTo(
      openai({ url: "https://compat.example.com/v1", apiKey: "k", models: { "gpt-4o": "llama-3.3-70b" } }),
      ...azureChat("prod-gpt4o", "gpt-4o"),
    );
    expect(received.url).toBe("https://compat.example.com/v1/chat/completions");
    expect(JSON.parse(received.body).model).toBe("llama-3.3-70b");
  });

  it("Azure deployment-shaped → azure: the deployment is renamed by the map and the caller's api-version is kept", async () => {
    const received = await sentTo(
      azure({ url: "https://westus.openai.azure.com", models: { "gpt-4o": "gpt4o-westus" } }),
      ...azureChat("prod-gpt4o", "gpt-4o"),
    );
    expect(received.url).toBe(
      "https://westus.openai.azure.com/openai/deployments/gpt4o-westus/chat/completions?api-version=2024-10-21",
    );
  });

  it("Azure deployment-shaped → azure without a map keeps the caller's deployment", async () => {
    const received = await sentTo(azure({ url: "https://westus.openai.azure.com" }), ...azureChat("prod-gpt4o"));
    expect(received.url).toBe(
      "https://westus.openai.azure.com/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21",
    );
  });

  it.each([
    ["embeddings", "/embeddings", "/openai/deployments/emb/embeddings?api-version=2024-10-21"],
    ["completions", "/completions", "/openai/deployments/emb/completions?api-version=2024-10-21"],
    ["images", "/images/generations", "/openai/deployments/emb/images/generations?api-version=2024-10-21"],
    ["speech", "/audio/speech", "/openai/deployments/emb/audio/speech?api-version=2024-10-21"],
    ["responses (not deployment-scoped)", "/responses", "/openai/v1/responses"],
  ])("OpenAI-shaped %s → azure", async (_name, operation, path) => {
    const received = await sentTo(
      azure({ url: "https://r.openai.azure.com", models: { "text-embedding-3-small": "emb" } }),
      `https://api.openai.com/v1${operation}`,
      {
        body: JSON.stringify({ model: "text-embedding-3-small", input: "x" }),
      },
    );
    expect(received.url).toBe(`https://r.openai.azure.com${path}`);
    if (operation === "/responses") expect(JSON.parse(received.body).model).toBe("emb");
  });

  it("a multipart upload (audio transcription) has its model field renamed and the file intact", async () => {
    const form = new FormData();
    form.set("model", "whisper-1");
    form.set("file", new File(["RIFF....WAVE"], "hello.wav", { type: "audio/wav" }));
    const received = await sentTo(
      openai({ url: "https://api.openai.com/v1", apiKey: "sk", models: { "whisper-1": "whisper-large-v3" } }),
      "https://caller.example.com/v1/audio/transcriptions",
      {
        body: form,
        headers: {},
      },
    );
    expect(received.url).toBe("https://api.openai.com/v1/audio/transcriptions");
    const parsed = await new Request("https://p", {
      method: "POST",
      body: received.body,
      headers: { "content-type": received.headers["content-type"]! },
    }).formData();
    expect(parsed.get("model")).toBe("whisper-large-v3");
    expect(await (parsed.get("file") as File).text()).toBe("RIFF....WAVE");
    expect(form.get("model")).toBe("whisper-1"); // the caller's FormData is untouched
  });

  it("a multipart upload to an azure backend goes to the mapped deployment", async () => {
    const form = new FormData();
    form.set("model", "whisper-1");
    form.set("file", new File(["abc"], "a.wav"));
    const received = await sentTo(
      azure({ url: "https://r.openai.azure.com", models: { "whisper-1": "whisper" } }),
      "https://caller.example.com/v1/audio/transcriptions",
      { body: form, headers: {} },
    );
    expect(received.url).toBe(
      "https://r.openai.azure.com/openai/deployments/whisper/audio/transcriptions?api-version=2024-10-21",
    );
  });

  it("paths it cannot translate go only to backends without an adapter (the caller's own shape)", async () => {
    const fake = new SimulatedBackends({
      "https://typed.example.com": () => ok(),
      "https://raw.example.com": () => ok(),
    });
    const lb = createLoadBalancer({
      backends: [openai({ url: "https://typed.example.com/v1" }), { url: "https://raw.example.com", priority: 2 }],
      fetch: fake.fetch,
    });
    await lb.fetch("https://caller.example.com/custom/route", { method: "POST", body: "{}" });
    expect(fake.received.map((r) => r.url)).toEqual(["https://raw.example.com/custom/route"]);
  });
});

describe("model maps", () => {
  it("a backend without a mapping for the requested model is skipped, not sent a request it would reject", async () => {
    const fake = new SimulatedBackends({
      "https://a.openai.azure.com": () => ok(),
      "https://b.openai.azure.com": () => ok(),
    });
    const lb = createLoadBalancer({
      backends: [
        azure({ url: "https://a.openai.azure.com", models: { "gpt-4o": "gpt4o" } }),
        azure({ url: "https://b.openai.azure.com", priority: 2, models: { "gpt-4o-mini": "mini" } }),
      ],
      fetch: fake.fetch,
    });
    await lb.fetch(...openaiChat("gpt-4o-mini"));
    expect(fake.received.map((r) => r.url)).toEqual([
      "https://b.openai.azure.com/openai/deployments/mini/chat/completions?api-version=2024-10-21",
    ]);
    expect(lb.snapshot().backends.map((b) => b.state)).toEqual(["available", "available"]);
  });

  it("when no backend serves the model, the caller gets a 404 model_not_found at once", async () => {
    const fake = new SimulatedBackends({ "https://a.openai.azure.com": () => ok() });
    const lb = createLoadBalancer({
      backends: [azure({ url: "https://a.openai.azure.com", models: { "gpt-4o": "x" } })],
      fetch: fake.fetch,
    });
    const response = await lb.fetch(...openaiChat("o3"));
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "model_not_found", type: "invalid_request_error" } });
    expect(fake.received).toHaveLength(0);
  });

  it("the synthetic 429 counts only backends that serve the model", async () => {
    const fake = new SimulatedBackends({
      "https://a.example.com": () => tooMany({ "retry-after": "5" }),
      "https://b.example.com": () => ok(),
    });
    const lb = createLoadBalancer({
      maxWaitMs: 0,
      backends: [
        openai({ url: "https://a.example.com/v1", models: { "gpt-4o": "gpt-4o" } }),
        openai({ url: "https://b.example.com/v1", models: { other: "other" }, priority: 2 }),
      ],
      fetch: fake.fetch,
      now: () => 0,
    });
    const response = await lb.fetch(...openaiChat("gpt-4o"));
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after-ms")).toBe("5000");
    expect(fake.received.map((r) => r.url)).toEqual(["https://a.example.com/v1/chat/completions"]);
  });
});

describe("per-backend credentials", () => {
  it("no key reaches a backend it does not belong to, across failovers", async () => {
    const fake = new SimulatedBackends({
      "https://a.openai.azure.com": () => tooMany({ "retry-after": "30" }),
      "https://b.openai.azure.com": () => new Response(null, { status: 503 }),
      "https://api.openai.com": () => ok(),
    });
    const lb = createLoadBalancer({
      backends: [
        azure({ url: "https://a.openai.azure.com", apiKey: "KEY-A" }),
        azureV1({ url: "https://b.openai.azure.com", apiKey: "KEY-B", priority: 2 }),
        openai({ url: "https://api.openai.com/v1", apiKey: "sk-C", priority: 3 }),
      ],
      fetch: fake.fetch,
    });
    await lb.fetch(...azureChat("gpt-4o"));
    const seen = fake.received.map((r) => [r.headers["api-key"] ?? null, r.headers.authorization ?? null]);
    expect(seen).toEqual([
      ["KEY-A", null],
      ["KEY-B", null],
      [null, "Bearer sk-C"],
    ]);
  });

  it("a token provider (Entra ID) is asked for every attempt and sent as Bearer", async () => {
    let issued = 0;
    const tokenProvider = vi.fn(async () => `entra-token-${++issued}`);
    const fake = new SimulatedBackends({ "https://a.openai.azure.com": () => ok() });
    const lb = createLoadBalancer({
      backends: [azure({ url: "https://a.openai.azure.com", tokenProvider })],
      fetch: fake.fetch,
    });
    await lb.fetch(...azureChat("gpt-4o"));
    await lb.fetch(...azureChat("gpt-4o"));
    expect(fake.received.map((r) => [r.headers.authorization ?? null, r.headers["api-key"] ?? null])).toEqual([
      ["Bearer entra-token-1", null],
      ["Bearer entra-token-2", null],
    ]);
  });

  it("a token provider that throws cools its backend down (credentials) and the request fails over", async () => {
    const fake = new SimulatedBackends({ "https://b.openai.azure.com": () => ok() });
    const lb = createLoadBalancer({
      backends: [
        azure({ url: "https://a.openai.azure.com", tokenProvider: () => Promise.reject(new Error("AADSTS700016")) }),
        azure({ url: "https://b.openai.azure.com", apiKey: "KEY-B", priority: 2 }),
      ],
      fetch: fake.fetch,
    });
    const throttles: LoadBalancerEvent[] = [];
    lb.on("cooldown", (event) => throttles.push(event));
    expect((await lb.fetch(...azureChat("gpt-4o"))).status).toBe(200);
    expect(throttles).toMatchObject([{ reason: "credentials", backend: { name: "a.openai.azure.com" } }]);
    expect(fake.received.map((r) => r.url.split("/")[2])).toEqual(["b.openai.azure.com"]);
  });

  it("validation names the factory, the backend, the field and the value (a credential by type only)", () => {
    expect(() => azure({ url: "https://a.example.com", apiKey: "k", tokenProvider: () => "t" })).toThrow(
      /azure\(\) backend "https:\/\/a\.example\.com\/" apiKey must be left out when tokenProvider is set/,
    );
    expect(() => azureV1({ url: "https://a.example.com", name: "v1", models: { a: "" } })).toThrow(
      /azureV1\(\) backend "v1" models\["a"\] must be a non-empty string, got ""/,
    );
    expect(() => openai({ url: "https://a.example.com", tokenProvider: "sk-live-token" as never })).toThrow(
      /openai\(\) backend .* tokenProvider must be a function when present, got a string \(not shown\)\.$/,
    );
    expect(() => azure({ url: "https://a.example.com", apiVersion: "" })).toThrow(
      /azure\(\) backend .* apiVersion must be a non-empty string/,
    );
    expect(() =>
      createLoadBalancer({ backends: [azure({ url: "https://a.example.com", apiVerison: "v" } as never)] }),
    ).toThrow(
      /backends\[0\] has an unknown option "apiVerison": did you mean apiVersion\? apiVersion belongs to the providers' factories/,
    );
    // The backend's own fields are still validated by createLoadBalancer.
    expect(() => createLoadBalancer({ backends: [azure({ url: "https://a.example.com", weight: 0 })] })).toThrow(
      /backends\[0\]\.weight must be a finite number > 0, got 0/,
    );
    expect(() => createLoadBalancer({ backends: [{ url: "https://a.example.com", adapter: {} as never }] })).toThrow(
      /backends\[0\]\.adapter must be a BackendAdapter/,
    );
  });

  it.each([
    [
      "an apiKey from an unset environment variable",
      { apiKey: undefined },
      /apiKey must be a non-empty string when present \(is its environment variable set\?\), got undefined/,
    ],
    ["an empty apiKey", { apiKey: "" }, /apiKey must be a non-empty string when present .*, got an empty string/],
    [
      "a blank apiKey",
      { apiKey: "  " },
      /apiKey must be a non-empty string when present .*, got a string \(not shown\)/,
    ],
    ["a null apiKey", { apiKey: null }, /apiKey must be a non-empty string when present .*, got null/],
    [
      "a tokenProvider left undefined",
      { tokenProvider: undefined },
      /tokenProvider must be a function when present, got undefined/,
    ],
    [
      "a header credential next to apiKey",
      { apiKey: "k", headers: { "Api-Key": "h" } },
      /headers must be free of credentials when apiKey is set \(one credential per backend\), got an api-key or authorization header/,
    ],
  ])("rejects %s at creation, for every factory", (_name, extra, message) => {
    for (const [name, factory] of [
      ["azure", azure],
      ["azureV1", azureV1],
      ["openai", openai],
    ] as const) {
      const make = () => factory({ url: "https://a.example.com", ...(extra as object) });
      expect(make).toThrow(TypeError);
      expect(make).toThrow(new RegExp(`${name}\\(\\) backend "https://a\\.example\\.com/" ${message.source}`));
    }
  });

  it("rejects a header credential present but unset, on a provider backend too", () => {
    expect(() =>
      createLoadBalancer({
        backends: [azure({ url: "https://a.example.com", headers: { authorization: undefined as never } })],
      }),
    ).toThrow(/backends\[0\]\.headers\["authorization"\] must be a string without CR, LF or NUL, got undefined/);
  });

  it("the snapshot names each backend's kind", () => {
    const lb = createLoadBalancer({
      backends: [
        azure({ url: "https://a.example.com" }),
        openai({ url: "https://b.example.com/v1" }),
        { url: "https://c.example.com" },
      ],
    });
    expect(lb.snapshot().backends.map((backend) => backend.kind)).toEqual(["azure", "openai", null]);
  });
});
