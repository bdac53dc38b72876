import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shapeOf, withBodyModel } from "../../src/providers/call.js";
import { findModel, valueAt } from "../../src/providers/json-model.js";

const request = (body: RequestInit["body"]) => ({
  pathAndQuery: "/v1/chat/completions",
  method: "POST",
  init: { method: "POST", body },
});

/** Bodies as a client may send them: objects with or without a model, nested models, any spacing. */
const objectArb = fc.record(
  {
    before: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
    model: fc.option(fc.oneof(fc.string(), fc.jsonValue()), { nil: undefined }),
    nested: fc.option(fc.record({ model: fc.string() }), { nil: undefined }),
    after: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
  },
  { requiredKeys: ["before", "after"] },
);
const textArb = fc
  .tuple(objectArb, fc.constantFrom(undefined, 0, 2, "\t", " \r\n "))
  .map(([{ before, model, nested, after }, space]) => {
    const object: Record<string, unknown> = { ...before };
    if (nested !== undefined) object.meta = nested;
    if (model !== undefined) object.model = model;
    Object.assign(object, after);
    return JSON.stringify(object, null, space as never);
  });

async function text(body: RequestInit["body"]): Promise<string> {
  return new Response(body).text();
}

describe("the top-level model is found and replaced without parsing the whole body", () => {
  it("finds the same model JSON.parse does, in text and in UTF-8 bytes", () => {
    fc.assert(
      fc.property(textArb, (body) => {
        const parsed = JSON.parse(body) as { model?: unknown };
        for (const source of [body, new TextEncoder().encode(body)]) {
          const span = findModel(source);
          // Only a key written with an escape sends the scan back to JSON.parse.
          const escapedKey = Object.keys(parsed).some((key) => JSON.stringify(key) !== `"${key}"`);
          if (!escapedKey) expect(span).not.toBeUndefined();
          if (span === null) expect("model" in parsed).toBe(false);
          else if (span !== undefined) expect(valueAt(source, span)).toEqual(parsed.model);
          const model = shapeOf(request(source as BodyInit)).model;
          expect(model).toBe(typeof parsed.model === "string" ? parsed.model : undefined);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("rewrites to what JSON.parse, a spread and JSON.stringify would give", async () => {
    await fc.assert(
      fc.asyncProperty(textArb, fc.string(), async (body, model) => {
        const expected = { ...(JSON.parse(body) as object), model };
        for (const source of [body, new TextEncoder().encode(body)]) {
          expect(JSON.parse(await text(withBodyModel(request(source as BodyInit), model)))).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("falls back to JSON.parse where the scan is unsure, and leaves what is not JSON alone", async () => {
    expect(findModel('{"mod\\u0065l":"x"}')).toBeUndefined();
    expect(shapeOf(request('{"mod\\u0065l":"escaped"}')).model).toBe("escaped");
    expect(JSON.parse(await text(withBodyModel(request('{"mod\\u0065l":"a","b":1}'), "z")))).toEqual({
      model: "z",
      b: 1,
    });
    for (const body of ["not json", "[1,2]", '{"model":"x"} trailing', '{"model":"x"', "", '"model"']) {
      expect(withBodyModel(request(body), "z")).toBe(body);
      expect(shapeOf(request(body)).model).toBeUndefined();
    }
  });

  it("keeps a body whose model is already the target as it is (no copy)", () => {
    const body = '{"model":"gpt-4o","messages":[]}';
    expect(withBodyModel(request(body), "gpt-4o")).toBe(body);
  });

  it("a text body keeps the content type fetch gives a string", () => {
    const rewritten = withBodyModel(request('{"model":"a"}'), "b");
    expect(new Request("https://x.example", { method: "POST", body: rewritten }).headers.get("content-type")).toBe(
      "text/plain;charset=utf-8",
    );
  });
});
