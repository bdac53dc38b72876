import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLoadBalancer } from "../../src/index.js";
import { shapeOf, withBodyModel } from "../../src/providers/call.js";
import { openai } from "../../src/providers/index.js";
import { findModel, PART, partsOf } from "../../src/providers/json-model.js";
import { answer, json, ok, SimulatedBackends } from "../support/backends.js";
import { serveBackends } from "../support/server.js";

const request = (body: RequestInit["body"]) => ({
  pathAndQuery: "/v1/chat/completions",
  method: "POST",
  init: { method: "POST", body },
});

const text = (body: RequestInit["body"]): Promise<string> => new Response(body).text();

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * JSON text as a hand-written client may produce it: any whitespace between tokens, strings with some
 * characters written as `\uXXXX` escapes, members in the given order (a duplicate key stays duplicated).
 * `spaces` and `escapes` are cycled through, so that one generated value decides every choice.
 */
function render(value: Json | Members, spaces: readonly string[], escapes: readonly boolean[]): string {
  let s = 0;
  let e = 0;
  const space = (): string => spaces[s++ % spaces.length] ?? "";
  const string = (value: string): string => {
    if (!escapes[e++ % escapes.length]) return JSON.stringify(value);
    let out = '"';
    for (let i = 0; i < value.length; i++) out += `\\u${value.charCodeAt(i).toString(16).padStart(4, "0")}`;
    return `${out}"`;
  };
  const go = (value: Json | Members): string => {
    if (value instanceof Members)
      return `{${value.list.map(([key, item]) => `${space()}${string(key)}${space()}:${space()}${go(item)}${space()}`).join(",")}}`;
    if (typeof value === "string") return string(value);
    if (Array.isArray(value)) return `[${value.map((item) => `${space()}${go(item)}${space()}`).join(",")}]`;
    if (value !== null && typeof value === "object")
      return go(new Members(Object.entries(value).map(([key, item]) => [key, item] as const)));
    return JSON.stringify(value);
  };
  return `${space()}${go(value)}${space()}`;
}

/** An object's members in order, duplicates allowed (JSON.parse keeps the last). */
class Members {
  constructor(readonly list: readonly (readonly [string, Json | Members])[]) {}
}

// Unicode of every plane (astral characters as surrogate pairs), quotes, backslashes and control characters.
const anyString = fc.string({ unit: "binary", maxLength: 12 });
const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((value) => value as Json);
/** A nested object with "model" keys of its own, which the rewrite must leave as they are. */
const nestedModels = fc
  .tuple(anyString, jsonValue)
  .map(([model, other]): Json => ({ model, inner: [{ model: other }, { messages: [{ model: "keep" }] }] }));
const member = fc.tuple(
  anyString.filter((key) => key !== "model"),
  fc.oneof(jsonValue, nestedModels),
);

/** A top-level object with a model (a string or any JSON value, once or twice), as JSON text in any layout. */
const bodyArb = fc
  .record({
    before: fc.array(member, { maxLength: 3 }),
    models: fc.array(fc.oneof(anyString, jsonValue), { minLength: 1, maxLength: 2 }),
    after: fc.array(member, { maxLength: 3 }),
    spaces: fc.array(fc.constantFrom("", " ", "\n", "\t", "\r\n", "  \n\t "), { minLength: 1, maxLength: 7 }),
    // A top-level key written with escapes sends the body to JSON.parse instead of the scan: both are covered.
    escapes: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
  })
  .map(({ before, models, after, spaces, escapes }) => {
    const list: [string, Json | Members][] = [...before];
    for (const model of models) list.splice(Math.min(list.length, 1), 0, ["model", model]);
    list.push(...after);
    return render(new Members(list), spaces, escapes);
  });

/** What JSON.parse, setting the model and JSON.stringify would send. */
const expected = (body: string, model: string): unknown => ({ ...(JSON.parse(body) as object), model });

describe("the rewritten body is the caller's JSON with only the top-level model changed", () => {
  it("equals parse → set model → stringify, for text and UTF-8 bodies, escapes, unicode, any whitespace", async () => {
    await fc.assert(
      fc.asyncProperty(bodyArb, anyString, async (body, model) => {
        for (const source of [body, new TextEncoder().encode(body)]) {
          const rewritten = withBodyModel(request(source as BodyInit), model);
          expect(JSON.parse(await text(rewritten))).toEqual(expected(body, model));
        }
      }),
      { numRuns: 400 },
    );
  });

  it("keeps every byte around the model's value: key order, spacing, escapes and nested models unchanged", async () => {
    await fc.assert(
      fc.asyncProperty(bodyArb, anyString, async (body, model) => {
        const span = findModel(body);
        fc.pre(span !== undefined && span !== null);
        const sent = await text(withBodyModel(request(body), model));
        expect(sent).toBe(body.slice(0, span.start) + JSON.stringify(model) + body.slice(span.end));
      }),
      { numRuns: 400 },
    );
  });

  it("adds a model to an object without one, first, and leaves anything else in place", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(member, { maxLength: 3 }), anyString, async (members, model) => {
        const body = render(new Members(members), [" ", "\n"], [false]);
        expect(JSON.parse(await text(withBodyModel(request(body), model)))).toEqual(expected(body, model));
      }),
      { numRuns: 200 },
    );
    expect(await text(withBodyModel(request(" { } "), "m"))).toBe(' {"model":"m" } ');
  });

  it("gives each attempt its own model from one cut, and an earlier attempt's body stays as it was", async () => {
    const req = request(JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi 👋" }] }));
    const first = withBodyModel(req, "gpt-4o-a");
    const second = withBodyModel(req, "gpt-4o-b");
    expect(withBodyModel(req, "gpt-4o")).toBe(req.init.body);
    expect(JSON.parse(await text(second))).toMatchObject({ model: "gpt-4o-b" });
    expect(JSON.parse(await text(first))).toMatchObject({ model: "gpt-4o-a", messages: [{ content: "hi 👋" }] });
    expect(shapeOf(req).model).toBe("gpt-4o");
  });
});

describe("a large body is cut into parts without breaking a character", () => {
  it("the parts put together are the body, each at most the part size, for text and bytes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: "binary", maxLength: 60 }),
        fc.integer({ min: 2, max: 9 }),
        async (body, size) => {
          const parts = partsOf(body, 0, body.length, size);
          for (const part of parts) expect((part as string).length).toBeLessThanOrEqual(size);
          expect(await new Blob(parts).text()).toBe(body);
          const bytes = new TextEncoder().encode(body);
          expect(new Uint8Array(await new Blob(partsOf(bytes, 0, bytes.length, size)).arrayBuffer())).toEqual(bytes);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a body of several parts, with an emoji across every part boundary, is sent whole with the new model", async () => {
    const content = "👋".repeat(Math.ceil((2.5 * PART) / 2));
    const body = JSON.stringify({ messages: [{ role: "user", content }], model: "gpt-4o" });
    const sent = await text(withBodyModel(request(body), "gpt-4o-mini"));
    expect(sent.length).toBe(body.length + 5);
    expect(JSON.parse(sent)).toEqual({ messages: [{ role: "user", content }], model: "gpt-4o-mini" });
  });
});

describe("through the balancer", () => {
  it("each backend receives the caller's body with its own model; the caller's body is left as it was", async () => {
    const backends = new SimulatedBackends({
      "https://a.example/v1": answer(503),
      "https://b.example/v1": () => ok({ id: "chatcmpl-1" }),
    });
    const lb = createLoadBalancer({
      backends: [
        openai({ url: "https://a.example/v1", apiKey: "sk-a", models: { "gpt-4o": "gpt-4o-a" } }),
        openai({ url: "https://b.example/v1", apiKey: "sk-b", priority: 2, models: { "gpt-4o": "gpt-4o-b" } }),
      ],
      fetch: backends.fetch,
    });
    const body = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: 'é\u2028"\\ 😀' }] });
    const response = await lb.fetch("https://caller.example/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(response.status).toBe(200);
    const [first, second] = backends.received;
    expect(json(first)).toEqual({ ...JSON.parse(body), model: "gpt-4o-a" });
    expect(json(second)).toEqual({ ...JSON.parse(body), model: "gpt-4o-b" });
    expect(second?.headers["content-type"]).toBe("application/json");
    expect(body).toContain('"model":"gpt-4o"');
  });

  it("over real sockets, a body of several parts goes to each attempt whole, with its length (not chunked)", async () => {
    const backends = new SimulatedBackends({ "https://a.test": answer(503), "https://b.test": () => ok() });
    const served = await serveBackends(backends);
    try {
      const lb = createLoadBalancer({
        backends: [
          openai({ url: `${served.url("https://a.test")}/v1`, apiKey: "sk-a", models: { "gpt-4o": "gpt-4o-a" } }),
          openai({ url: `${served.url("https://b.test")}/v1`, apiKey: "sk-b", priority: 2, models: { "gpt-4o": "x" } }),
        ],
      });
      const content = "é😀".repeat(PART / 2);
      const body = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content }] });
      const response = await lb.fetch("https://caller.example/v1/chat/completions", { method: "POST", body });
      expect(response.status).toBe(200);
      const bytes = new TextEncoder().encode(body).byteLength;
      for (const [received, model] of [
        [backends.received[0], "gpt-4o-a"],
        [backends.received[1], "x"],
      ] as const) {
        expect(json(received)).toEqual({ model, messages: [{ role: "user", content }] });
        expect(received?.headers["transfer-encoding"]).toBeUndefined();
        expect(Number(received?.headers["content-length"])).toBe(
          bytes - '"gpt-4o"'.length + JSON.stringify(model).length,
        );
      }
    } finally {
      await served.close();
    }
  });
});
