import { describe, expect, it } from "vitest";
import { createLoadBalancer, type LoadBalancerOptions } from "../../src/index.js";

const create = (options: unknown) => () => createLoadBalancer(options as LoadBalancerOptions);
const one = { url: "https://a.example.com" };

describe("configuration is validated at creation with a TypeError naming the field and value", () => {
  it.each([
    ["no options", undefined, /options must be an object/],
    ["no backends", { backends: [] }, /backends must be a non-empty array, got /],
    ["backends not an array", { backends: "https://a" }, /backends must be a non-empty array, got "https:\/\/a"/],
    [
      "a missing url",
      { backends: [{ priority: 1 }] },
      /backends\[0\]\.url must be an absolute http\(s\) URL without credentials, query or fragment, got undefined/,
    ],
    [
      "a relative url",
      { backends: [{ url: "/openai" }] },
      /backends\[0\]\.url must be an absolute http\(s\) URL without credentials, query or fragment, got "\/openai"/,
    ],
    [
      "a non-http url",
      { backends: [one, { url: "ftp://b.example.com" }] },
      /backends\[1\]\.url must be an absolute http\(s\) URL without credentials, query or fragment, got "ftp:\/\/b.example.com"/,
    ],
    [
      "credentials in the url",
      { backends: [{ url: "https://user:secret@a.example.com" }] },
      /backends\[0\]\.url must be an absolute http\(s\) URL without credentials, query or fragment, got "https:\/\/user:secret@a.example.com"/,
    ],
    [
      "a query in the url",
      { backends: [{ url: "https://a.example.com/?x=1" }] },
      /backends\[0\]\.url must be an absolute http\(s\) URL without credentials, query or fragment, got "https:\/\/a.example.com\/\?x=1"/,
    ],
    [
      "a fractional priority",
      { backends: [{ ...one, priority: 1.5 }] },
      /backends\[0\]\.priority must be an integer, got 1\.5/,
    ],
    [
      "a string priority",
      { backends: [{ ...one, priority: "1" }] },
      /backends\[0\]\.priority must be an integer, got "1"/,
    ],
    [
      "a zero weight",
      { backends: [{ ...one, weight: 0 }] },
      /backends\[0\]\.weight must be a finite number > 0, got 0/,
    ],
    [
      "a negative weight",
      { backends: [{ ...one, weight: -2 }] },
      /backends\[0\]\.weight must be a finite number > 0, got -2/,
    ],
    ["an empty name", { backends: [{ ...one, name: "" }] }, /backends\[0\]\.name must be a non-empty string/],
    [
      "duplicate names",
      {
        backends: [
          { ...one, name: "x" },
          { url: "https://b.example.com", name: "x" },
        ],
      },
      /backends\[1\]\.name must be unique, got "x"/,
    ],
    [
      "duplicate derived names",
      { backends: [one, { url: "https://a.example.com/" }] },
      /backends\[1\]\.name must be unique/,
    ],
    [
      "invalid headers",
      { backends: [{ ...one, headers: { "bad header": "x" } }] },
      /backends\[0\]\.headers must be valid headers/,
    ],
    [
      "a negative default cooldown",
      { backends: [one], defaultCooldownMs: -1 },
      /defaultCooldownMs must be a number of milliseconds >= 0, got -1/,
    ],
    [
      "a NaN max cooldown",
      { backends: [one], maxCooldownMs: Number.NaN },
      /maxCooldownMs must be a number of milliseconds >= 0, got NaN/,
    ],
    [
      "a negative attempt timeout",
      { backends: [one], attemptTimeoutMs: -5 },
      /attemptTimeoutMs must be a number of milliseconds >= 0, got -5/,
    ],
    ["a zero attempt timeout", { backends: [one], attemptTimeoutMs: 0 }, /attemptTimeoutMs must be > 0, got 0/],
    [
      "an infinite wait",
      { backends: [one], maxWaitMs: Infinity },
      /maxWaitMs must be a number of milliseconds >= 0, got Infinity/,
    ],
    [
      "a zero failure threshold",
      { backends: [one], failureThreshold: 0 },
      /failureThreshold must be an integer >= 1, got 0/,
    ],
    [
      "an unknown selection",
      { backends: [one], selection: "fastest" },
      /selection must be one of random, round-robin, failover, least-inflight, got "fastest"/,
    ],
    ["a fetch that is not a function", { backends: [one], fetch: "fetch" }, /fetch must be a function, got "fetch"/],
  ])("rejects %s", (_name, options, message) => {
    expect(create(options)).toThrow(TypeError);
    expect(create(options)).toThrow(message);
  });

  it("derives names from host and path, and applies defaults", () => {
    const lb = createLoadBalancer({ backends: [one, { url: "https://apim.example.com/ai/", priority: 2, weight: 3 }] });
    expect(
      lb.snapshot().backends.map(({ name, priority, weight, state }) => ({ name, priority, weight, state })),
    ).toEqual([
      { name: "a.example.com", priority: 1, weight: 1, state: "available" },
      { name: "apim.example.com/ai", priority: 2, weight: 3, state: "available" },
    ]);
  });
});
