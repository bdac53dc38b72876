import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { watchCreated } from "../../src/core/created.js";

const encoder = new TextEncoder();

/** A response whose body arrives in the given chunks, one at a time, as the reader pulls. */
function chunked(chunks: string[], headers: Record<string, string>, status = 200): Response {
  let index = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index < chunks.length) controller.enqueue(encoder.encode(chunks[index++]));
      else controller.close();
    },
  });
  return new Response(body, { status, headers });
}

describe("ids read from responses as they pass", () => {
  it("a JSON object's id and a batch's output file, with the body handed on unchanged", async () => {
    const seen: string[][] = [];
    const json = JSON.stringify({ id: "batch_1", object: "batch", output_file_id: "file-out" });
    const response = watchCreated(
      chunked([json.slice(0, 7), json.slice(7)], { "content-type": "application/json" }),
      (ids) => seen.push(ids),
    );
    expect(await response.text()).toBe(json);
    expect(seen).toEqual([["batch_1", "file-out"]]);
  });

  it("a Responses stream's response.created id, reported before the stream ends and without holding chunks back", async () => {
    const seen: string[] = [];
    const created = `event: response.created\r\ndata: ${JSON.stringify({ type: "response.created", response: { id: "resp_s" } })}\r\n\r\n`;
    const later = `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"hi"}\n\n`;
    const response = watchCreated(
      chunked([created.slice(0, 20), created.slice(20), later], { "content-type": "text/event-stream" }),
      (ids) => seen.push(...ids),
    );
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    // Two chunks in, the first event is complete: the id is known while the stream is still open.
    for (let i = 0; i < 2; i++) text += decoder.decode((await reader.read()).value);
    expect(text).toBe(created);
    expect(seen).toEqual(["resp_s"]);
    text += decoder.decode((await reader.read()).value);
    expect(text).toBe(created + later);
    expect((await reader.read()).done).toBe(true);
  });

  it("a chat stream, an error and a non-JSON body report nothing and are not wrapped", async () => {
    const seen: string[] = [];
    const chat = watchCreated(
      chunked(['data: {"id":"chatcmpl-1","object":"chat.completion.chunk"}\n\n'], {
        "content-type": "text/event-stream",
      }),
      (ids) => seen.push(...ids),
    );
    await chat.text();
    const error = chunked(['{"id":"x"}'], { "content-type": "application/json" }, 404);
    expect(watchCreated(error, (ids) => seen.push(...ids))).toBe(error);
    const binary = chunked(["abc"], { "content-type": "application/octet-stream" });
    expect(watchCreated(binary, (ids) => seen.push(...ids))).toBe(binary);
    expect(seen).toEqual([]);
  });

  it("keeps status, headers and url", async () => {
    const original = chunked(['{"id":"file-1"}'], { "content-type": "application/json", "x-request-id": "r" }, 201);
    Object.defineProperty(original, "url", { value: "https://a.example/v1/files" });
    const watched = watchCreated(original, () => {});
    expect(watched.status).toBe(201);
    expect(watched.headers.get("x-request-id")).toBe("r");
    expect(watched.url).toBe("https://a.example/v1/files");
  });

  it("a body larger than the scan limit is read by its leading id only", async () => {
    const seen: string[] = [];
    const big = `{"id":"resp_big","output":"${"x".repeat(300 * 1024)}"}`;
    await watchCreated(chunked([big], { "content-type": "application/json" }), (ids) => seen.push(...ids)).text();
    expect(seen).toEqual(["resp_big"]);
  });

  it("however the body is split into chunks, it arrives byte for byte and the same ids are reported (property)", async () => {
    const created = `event: response.created\r\ndata: ${JSON.stringify({ type: "response.created", response: { id: "resp_é" } })}\r\n\r\n`;
    const bodies = [
      {
        type: "application/json",
        text: JSON.stringify({ id: "batch_ü1", output_file_id: "file-ø" }),
        ids: ["batch_ü1", "file-ø"],
      },
      {
        type: "text/event-stream",
        text: `${created}data: {"type":"response.output_text.delta","delta":"€"}\n\n`,
        ids: ["resp_é"],
      },
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...bodies), fc.array(fc.nat(), { maxLength: 8 }), async (body, cuts) => {
        const bytes = encoder.encode(body.text);
        const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
        const pieces: Uint8Array[] = [];
        let from = 0;
        for (const point of [...points, bytes.length]) {
          pieces.push(bytes.slice(from, point));
          from = point;
        }
        let index = 0;
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (index < pieces.length) controller.enqueue(pieces[index++]!);
            else controller.close();
          },
        });
        const seen: string[] = [];
        const watched = watchCreated(new Response(stream, { headers: { "content-type": body.type } }), (ids) =>
          seen.push(...ids),
        );
        expect(new Uint8Array(await watched.arrayBuffer())).toEqual(bytes);
        expect(seen).toEqual(body.ids);
      }),
      { numRuns: 200 },
    );
  });
});
