import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type BackendConfig,
  createLoadBalancer,
  type FetchFunction,
  type LoadBalancerOptions,
} from "../../src/index.js";
import { azure, azureV1, openai } from "../../src/providers/index.js";

const CHAT = "https://caller.example/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21";
const BODY = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });

/** What one backend received, by backend URL prefix. */
function recordingFetch(answer: (url: string) => Response = () => Response.json({})): {
  fetch: FetchFunction;
  seen: Array<{ url: string; headers: Headers }>;
} {
  const seen: Array<{ url: string; headers: Headers }> = [];
  const fetch: FetchFunction = async (input, init) => {
    const url = String(input);
    seen.push({ url, headers: new Headers(init?.headers) });
    return answer(url);
  };
  return { fetch, seen };
}

type Credential = "none" | "header-api-key" | "header-authorization" | "header-both" | "apiKey" | "tokenProvider";
type Kind = "plain" | "azure" | "azureV1" | "openai";

const credentialArb = fc.constantFrom<Credential>(
  "none",
  "header-api-key",
  "header-authorization",
  "header-both",
  "apiKey",
  "tokenProvider",
);
const kindArb = fc.constantFrom<Kind>("plain", "azure", "azureV1", "openai");
const caseArb = (name: string) =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));
const callerHeadersArb = fc.record(
  {
    apiKey: fc.option(caseArb("api-key"), { nil: undefined }),
    authorization: fc.option(caseArb("authorization"), { nil: undefined }),
    other: fc.boolean(),
    form: fc.constantFrom("object", "Headers", "pairs"),
  },
  { requiredKeys: ["other", "form"] },
);

/** The credential headers the backend itself sets, by name and value. */
function ownCredentials(kind: Kind, credential: Credential, index: number): Record<string, string> {
  const key = `BACKEND-${index}-KEY`;
  if (credential === "header-api-key") return { "api-key": key };
  if (credential === "header-authorization") return { authorization: `Bearer ${key}` };
  if (credential === "header-both") return { "api-key": key, authorization: `Bearer ${key}-2` };
  if (credential === "none" || kind === "plain") return {};
  if (credential === "tokenProvider") return { authorization: `Bearer TOKEN-${index}` };
  return kind === "openai" ? { authorization: `Bearer ${key}` } : { "api-key": key };
}

function backendFor(kind: Kind, credential: Credential, index: number): BackendConfig {
  const url = `https://b${index}.example.com${kind === "openai" ? "/v1" : ""}`;
  const headers: Record<string, string> = { "x-backend": String(index) };
  if (credential.startsWith("header-")) Object.assign(headers, ownCredentials(kind, credential, index));
  if (kind === "plain") return { url, name: `b${index}`, headers };
  const secret =
    credential === "apiKey"
      ? { apiKey: `BACKEND-${index}-KEY` }
      : credential === "tokenProvider"
        ? { tokenProvider: async () => `TOKEN-${index}` }
        : {};
  const factory = kind === "azure" ? azure : kind === "azureV1" ? azureV1 : openai;
  return factory({ url, name: `b${index}`, headers, ...secret });
}

describe("credentials never go where they do not belong", () => {
  it("a backend with a credential of its own receives exactly its own, never the caller's; one without gets the caller's", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(kindArb, credentialArb), { minLength: 1, maxLength: 4 }),
        callerHeadersArb,
        async (configs, caller) => {
          const { fetch, seen } = recordingFetch(
            () => new Response(null, { status: 503, headers: { "retry-after": "1" } }),
          );
          const lb = createLoadBalancer({
            maxWaitMs: 0,
            backends: configs.map(([kind, credential], index) => backendFor(kind, credential, index)),
            fetch,
          });
          const pairs: [string, string][] = [["content-type", "application/json"]];
          if (caller.apiKey) pairs.push([caller.apiKey, "CALLER-KEY"]);
          if (caller.authorization) pairs.push([caller.authorization, "Bearer CALLER-TOKEN"]);
          if (caller.other) pairs.push(["x-trace", "t"]);
          const headers =
            caller.form === "pairs"
              ? pairs
              : caller.form === "Headers"
                ? new Headers(pairs)
                : Object.fromEntries(pairs);
          await lb.fetch(CHAT, { method: "POST", headers, body: BODY });
          expect(seen).toHaveLength(configs.length); // every backend answered 503: each was tried once
          for (const { url, headers: received } of seen) {
            const index = Number(/https:\/\/b(\d+)\./.exec(url)![1]);
            const [kind, credential] = configs[index]!;
            const own = ownCredentials(kind, credential, index);
            const got = {
              "api-key": received.get("api-key") ?? undefined,
              authorization: received.get("authorization") ?? undefined,
            };
            if (Object.keys(own).length > 0) {
              expect(got).toEqual({ "api-key": own["api-key"], authorization: own.authorization });
            } else {
              expect(got).toEqual({
                "api-key": caller.apiKey ? "CALLER-KEY" : undefined,
                authorization: caller.authorization ? "Bearer CALLER-TOKEN" : undefined,
              });
            }
            expect(received.get("x-backend")).toBe(String(index));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

// --- Nothing secret anywhere -------------------------------------------------------------------------------

const secretArb = fc.stringMatching(/^[A-Za-z0-9]{12,24}$/).map((s) => `SECRET${s}`);

/** A configuration holding `secret` somewhere, valid or not, and whether creating it should throw. */
const configArb = (secret: string) =>
  fc.constantFrom<() => LoadBalancerOptions>(
    () => ({ backends: [{ url: "https://a.example.com", headers: { "api-key": secret } }] }),
    () => ({ backends: [{ url: "https://a.example.com", headers: { authorization: `Bearer ${secret}` } }] }),
    () => ({ backends: [{ url: `https://user:${secret}@a.example.com` }] }),
    () => ({ backends: [{ url: `https://${secret}@a.example.com` }] }),
    () => ({ backends: [{ url: `https://a.example.com/?api-key=${secret}` }] }),
    () => ({ backends: [{ url: `https://a.example.com/#${secret}` }] }),
    () => ({ backends: [{ url: `a.example.com:${secret}@x` }] }),
    () => ({ backends: [{ url: "https://a.example.com", headers: { "api-key": `${secret}\n` } }] }),
    () => ({ backends: [{ url: "https://a.example.com", headers: { "bad name": secret } }] }),
    () => ({ backends: [{ url: "https://a.example.com", apiKey: secret } as never] }),
    () => ({ backends: [azure({ url: "https://a.example.com", apiKey: secret })] }),
    () => ({ backends: [openai({ url: "https://a.example.com/v1", apiKey: secret })] }),
    () => ({ backends: [openai({ url: "https://a.example.com/v1", tokenProvider: () => secret })] }),
    () => ({ backends: [openai({ url: "https://a.example.com/v1", tokenProvider: secret as never })] }),
    () => ({ backends: [azure({ url: "https://a.example.com", apiKey: secret, tokenProvider: () => secret })] }),
    () => ({ backends: [azure({ url: "https://a.example.com", apiKey: secret, headers: { "api-key": secret } })] }),
    () => ({ backends: [{ url: "https://a.example.com", headers: [["api-key", secret, "x"]] as never }] }),
    () => ({ backends: [{ url: "https://a.example.com", weight: secret as never }] }),
    () => ({ backends: [{ url: "https://a.example.com", priority: { toString: () => secret } as never }] }),
  );

describe("nothing secret anywhere", () => {
  it("a secret in the configuration never appears in a thrown message, an event, a snapshot or a log line", async () => {
    await fc.assert(
      fc.asyncProperty(
        secretArb.chain((secret) =>
          fc.tuple(fc.constant(secret), configArb(secret), fc.constantFrom(200, 302, 429, 500, 0)),
        ),
        async ([secret, build, status]) => {
          const written: string[] = [];
          const record = (...parts: unknown[]) =>
            written.push(
              parts
                .map((part) => (part instanceof Error ? `${part.message} ${part.stack}` : JSON.stringify(part)))
                .join(" "),
            );
          let options: LoadBalancerOptions;
          let lb: ReturnType<typeof createLoadBalancer>;
          try {
            options = build();
            lb = createLoadBalancer({
              maxWaitMs: 0,
              ...options,
              backends: [...options.backends, { url: "https://spare.example.com", priority: 9 }],
              fetch: async (input) => {
                if (status === 0) throw new TypeError("fetch failed");
                const location = status === 302 ? { location: "https://elsewhere.example" } : undefined;
                return String(input).startsWith("https://spare")
                  ? Response.json({})
                  : new Response(null, { status, headers: location });
              },
              logger: { debug: record, info: record, warn: record, error: record },
            });
          } catch (error) {
            expect(error).toBeInstanceOf(TypeError);
            expect(String((error as Error).message)).not.toContain(secret);
            return;
          }
          lb.on("*", (event) => written.push(JSON.stringify(event)));
          const response = await lb.fetch(CHAT, { method: "POST", body: BODY });
          written.push(JSON.stringify(lb.snapshot()), await response.text());
          for (const line of written) expect(line).not.toContain(secret);
        },
      ),
      { numRuns: 300 },
    );
  });
});
