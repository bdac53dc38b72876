import OpenAI, { AzureOpenAI, toFile } from "openai";
import { describe, expect, it } from "vitest";
import { createLoadBalancer } from "../../src/index.js";
import { HttpResponse } from "msw";
import { formData, onlyPost, throttled } from "../support/backends.js";
import { backend, useMsw as useBackends } from "../support/msw.js";
import { audioBytes } from "../support/payloads.js";

const server = useBackends();

async function expectFile(form: FormData, name: string, bytes: Uint8Array): Promise<void> {
  const file = form.get("file");
  expect(file).toBeInstanceOf(File);
  expect((file as File).name).toBe(name);
  expect(new Uint8Array(await (file as File).arrayBuffer())).toEqual(bytes);
}

describe("multipart uploads through the openai package replay across a failover", () => {
  it("AzureOpenAI audio.transcriptions.create: the PTU throttles, PAYG receives the whole file with its own key", async () => {
    const ptu = backend(
      "https://ptu-eastus.openai.azure.com",
      onlyPost(() => throttled()),
    );
    const paygo = backend(
      "https://paygo-westus.openai.azure.com",
      onlyPost(() => HttpResponse.json({ text: "hello from paygo" })),
    );
    server.use(ptu.handler, paygo.handler);
    const lb = createLoadBalancer({
      backends: [
        { url: "https://ptu-eastus.openai.azure.com", priority: 1 },
        { url: "https://paygo-westus.openai.azure.com", priority: 2, headers: { "api-key": "PAYGO-KEY" } },
      ],
    });
    const client = new AzureOpenAI({
      endpoint: "https://ptu-eastus.openai.azure.com",
      apiKey: "PTU-KEY",
      apiVersion: "2024-10-21",
      deployment: "whisper",
      maxRetries: 0,
      fetch: lb.fetch,
    });
    const bytes = audioBytes();
    const transcription = await client.audio.transcriptions.create({
      file: await toFile(bytes, "speech.wav", { type: "audio/wav" }),
      model: "whisper",
      language: "en",
    });

    expect(transcription.text).toBe("hello from paygo");
    const path = "/openai/deployments/whisper/audio/transcriptions?api-version=2024-10-21";
    expect(ptu.posts().map((hit) => hit.url)).toEqual([`https://ptu-eastus.openai.azure.com${path}`]);
    expect(paygo.posts().map((hit) => hit.url)).toEqual([`https://paygo-westus.openai.azure.com${path}`]);
    expect(ptu.posts()[0]?.headers["api-key"]).toBe("PTU-KEY");
    expect(paygo.posts()[0]?.headers["api-key"]).toBe("PAYGO-KEY");
    for (const hit of [ptu.posts()[0], paygo.posts()[0]]) {
      expect(hit?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
      const form = await formData(hit);
      expect(form.get("model")).toBe("whisper");
      expect(form.get("language")).toBe("en");
      await expectFile(form, "speech.wav", bytes);
    }
  });

  it("OpenAI files.create: a 503 on tier 1, tier 2 receives the whole file and its own bearer token", async () => {
    const first = backend(
      "https://gateway-a.example.com",
      onlyPost(() => new HttpResponse("upstream unavailable", { status: 503 })),
    );
    const second = backend(
      "https://gateway-b.example.com",
      onlyPost(() =>
        HttpResponse.json({
          id: "file-1",
          object: "file",
          bytes: 262_144,
          created_at: 1,
          filename: "train.jsonl",
          purpose: "fine-tune",
          status: "processed",
        }),
      ),
    );
    server.use(first.handler, second.handler);
    const lb = createLoadBalancer({
      backends: [
        { url: "https://gateway-a.example.com/openai", priority: 1 },
        { url: "https://gateway-b.example.com/v2/openai", priority: 2, headers: { authorization: "Bearer KEY-B" } },
      ],
      // Files go to a home backend unless balanced: this test replays an upload across backends.
      home: false,
    });
    const client = new OpenAI({
      baseURL: "https://api.openai.com/v1",
      apiKey: "KEY-A",
      maxRetries: 0,
      fetch: lb.fetch,
    });
    const bytes = audioBytes();
    const file = await client.files.create({ file: await toFile(bytes, "train.jsonl"), purpose: "fine-tune" });

    expect(file.id).toBe("file-1");
    expect(first.posts().map((hit) => hit.url)).toEqual(["https://gateway-a.example.com/openai/v1/files"]);
    expect(second.posts().map((hit) => hit.url)).toEqual(["https://gateway-b.example.com/v2/openai/v1/files"]);
    expect(first.posts()[0]?.headers.authorization).toBe("Bearer KEY-A");
    expect(second.posts()[0]?.headers.authorization).toBe("Bearer KEY-B");
    const form = await formData(second.posts()[0]);
    expect(form.get("purpose")).toBe("fine-tune");
    await expectFile(form, "train.jsonl", bytes);
    expect(second.posts()[0]?.body.length).toBe(first.posts()[0]?.body.length);
  });
});
