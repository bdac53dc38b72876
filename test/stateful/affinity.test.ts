import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createdIds, isStatefulPath, OwnerMap, referencedIds } from "../../src/core/affinity.js";

describe("which requests can name ids", () => {
  it("Responses, files, batches, vector stores, uploads and fine-tuning paths are stateful; chat and embeddings are not", () => {
    for (const path of [
      "/v1/responses",
      "/v1/responses/resp_1/input_items?limit=2",
      "/openai/v1/files",
      "/openai/files?api-version=2024-10-21",
      "/v1/batches/batch_1",
      "/v1/vector_stores/vs_1/files",
      "/v1/uploads/upload_1/parts",
      "/v1/fine_tuning/jobs",
    ]) {
      expect(isStatefulPath(path), path).toBe(true);
    }
    for (const path of [
      "/v1/chat/completions",
      "/openai/deployments/files/chat/completions?api-version=1",
      "/v1/embeddings",
      "/v1/models?x=/files",
      "/v1/models?x=/v1/files",
    ]) {
      expect(isStatefulPath(path), path).toBe(false);
    }
  });
});

describe("ids a request names", () => {
  it("reads ids from the path after the collection", () => {
    expect(referencedIds("/v1/responses/resp_abc1/input_items?order=asc", undefined)).toEqual([
      "resp_abc1",
      "input_items",
    ]);
    expect(referencedIds("/openai/v1/vector_stores/vs_1/files/file-2", undefined)).toEqual(["vs_1", "files", "file-2"]);
  });

  it("reads previous_response_id, file ids and vector store ids at any depth of the body", () => {
    const body = {
      model: "m",
      previous_response_id: "resp_prev",
      input: [{ role: "user", content: [{ type: "input_file", file_id: "file-in" }] }],
      tools: [{ type: "file_search", vector_store_ids: ["vs_a", "vs_b"] }],
      conversation: { id: "conv_1" },
    };
    expect(referencedIds("/v1/responses", body)).toEqual(["resp_prev", "file-in", "vs_a", "vs_b", "conv_1"]);
    expect(referencedIds("/v1/batches", { input_file_id: "file-x", endpoint: "/v1/chat/completions" })).toEqual([
      "file-x",
    ]);
  });

  it("never throws, whatever the body", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (json, path) => {
        const ids = referencedIds(`/v1/responses/${path}`, json);
        expect(Array.isArray(ids)).toBe(true);
        for (const id of ids) expect(typeof id).toBe("string");
      }),
    );
  });
});

describe("ids a response says its backend created", () => {
  it("an object's id and a batch's output and error files", () => {
    expect(createdIds({ id: "resp_1", object: "response" })).toEqual(["resp_1"]);
    expect(createdIds({ id: "batch_1", output_file_id: "file-o", error_file_id: null })).toEqual(["batch_1", "file-o"]);
    expect(createdIds([{ id: "x" }])).toEqual([]);
    expect(createdIds("resp_1")).toEqual([]);
  });
});

describe("the owner map", () => {
  it("keeps at most its capacity, forgetting the least recently used", () => {
    const owners = new OwnerMap(2);
    owners.remember("a", "one");
    owners.remember("b", "two");
    expect(owners.ownerOf("a")).toBe("one"); // a is now the most recently used
    owners.remember("c", "three");
    expect(owners.ownerOf("b")).toBeUndefined();
    expect(owners.ownerOf("a")).toBe("one");
    expect(owners.ownerOf("c")).toBe("three");
  });

  it("never grows past its capacity (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.string({ maxLength: 3 }), { maxLength: 200 }),
        (cap, ids) => {
          const owners = new OwnerMap(cap);
          for (const id of ids) owners.remember(id, "b");
          expect(owners.size).toBeLessThanOrEqual(cap);
          if (ids.length > 0) expect(owners.ownerOf(ids.at(-1)!)).toBe("b");
        },
      ),
    );
  });

  it("tells onRemember what it learned itself, not what it was told by others", () => {
    const told: string[] = [];
    const owners = new OwnerMap(10, (id, owner) => told.push(`${id}@${owner}`));
    owners.remember("resp_1", "ptu");
    owners.learn("resp_2", "paygo");
    expect(told).toEqual(["resp_1@ptu"]);
    expect(owners.ownerOfAny(["unknown", "resp_2", "resp_1"])).toEqual({ id: "resp_2", owner: "paygo" });
  });
});
