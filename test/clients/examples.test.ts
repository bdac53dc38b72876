import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Answer, eventStream, SimulatedBackends } from "../support/backends.js";
import { chatChunks, chatCompletion } from "../support/payloads.js";
import { type ServedBackends, serveBackends } from "../support/server.js";

// Runs every example in examples/ as a user would (`node examples/NAME.ts`, importing the built
// package by name) against simulated backends on real loopback sockets, one port per backend.

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The backends the examples are pointed at, each on its own port. */
const NAMES = ["ptu", "paygo", "paygo1", "paygo2", "eastus", "eastus2", "swedencentral", "westus", "oai"] as const;
type Name = (typeof NAMES)[number];
const routeOf = (name: Name): string => `https://${name}.test`;

/** Backends that answer 429, as a saturated PTU does. */
let throttled = new Set<Name>();

/** What backend `name` answers, like Azure OpenAI / OpenAI: a chat completion naming the backend, as JSON or as a server-sent event stream. */
const answerAs =
  (name: Name): Answer =>
  async ({ request }) => {
    if (throttled.has(name)) {
      const error = {
        error: {
          code: "429",
          message: "Requests to the ChatCompletions_Create Operation have exceeded the rate limit.",
        },
      };
      // retry-after sets the PTU's cooldown.
      return Response.json(error, { status: 429, headers: { "retry-after": "30" } });
    }
    if (request.method !== "POST" || !new URL(request.url).pathname.endsWith("/chat/completions"))
      return new Response("Resource not found", { status: 404 });
    const body = (await request.json()) as { model?: string; stream?: boolean };
    const model = body.model ?? name;
    if (!body.stream) return Response.json(chatCompletion(model, `Hello from ${name}`));
    return eventStream(chatChunks(model, ["Hello", " from", ` ${name}`]));
  };

const backends = new SimulatedBackends(Object.fromEntries(NAMES.map((name) => [routeOf(name), answerAs(name)])));
let served: ServedBackends;
/** The URL the examples are given for backend `name`. */
const url = (name: Name): string => served.url(routeOf(name));

/** One request as the simulated backends received it. */
interface Hit {
  readonly backend: Name;
  readonly path: string;
  readonly apiKey: string | undefined;
  readonly authorization: string | undefined;
  readonly body: { model?: string; stream?: boolean };
  /** What it was answered: 429 when the backend was throttled, else 200. */
  readonly status: number;
}

/** What the backends received so far, keyed by backend name. */
function hits(): Hit[] {
  return backends.received.map((received) => {
    const backend = new URL(received.backend).hostname.split(".")[0] as Name;
    const url = new URL(received.url);
    return {
      backend,
      path: url.pathname + url.search,
      apiKey: received.headers["api-key"],
      authorization: received.headers.authorization,
      body: received.body === "" ? {} : (JSON.parse(received.body) as Hit["body"]),
      status: throttled.has(backend) ? 429 : 200,
    };
  });
}

interface Run {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The data of every console.table call, in order. */
  readonly tables: unknown[];
}

/** `node examples/NAME.ts` in the repository, with `vars` as its environment (no AZURE_* or OPENAI_* leaks in from ours). */
async function node(args: string[], vars: Record<string, string> = {}): Promise<Run> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AZURE|OPENAI)_/.test(name)));
  const tableFile = join(mkdtempSync(join(tmpdir(), "example-")), "tables.jsonl");
  const preload = ["--import", "./test/clients/capture-table.mjs"];
  const env = { ...inherited, ...vars, CAPTURE_TABLE_FILE: tableFile };
  const { exitCode, stdout, stderr } = await new Promise<Omit<Run, "tables">>((resolve) => {
    const child = execFile(
      process.execPath,
      [...preload, ...args],
      { cwd: root, env, timeout: 20_000 },
      (_error, stdout, stderr) => resolve({ exitCode: child.exitCode, stdout, stderr }),
    );
  });
  const tables = existsSync(tableFile)
    ? readFileSync(tableFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as unknown)
    : [];
  return { exitCode, stdout, stderr, tables };
}

/** Runs `node examples/NAME.ts`, expects it to exit 0 by itself (a timeout kills it: exit code null), returns its output. */
async function runExample(name: string, vars: Record<string, string>): Promise<Run> {
  const run = await node([`examples/${name}.ts`], vars);
  expect(run.exitCode, `${name} exited with ${run.exitCode}\n${run.stdout}\n${run.stderr}`).toBe(0);
  return run;
}

/** Every hit carried exactly its own backend's credentials: the `api-key` and `authorization` expected for it, no other. */
function expectOwnCredentials(expected: Partial<Record<Name, { apiKey?: string; authorization?: string }>>): void {
  for (const hit of hits()) {
    const sent = { apiKey: hit.apiKey, authorization: hit.authorization };
    expect(sent, `credentials sent to ${hit.backend}`).toEqual({
      apiKey: undefined,
      authorization: undefined,
      ...expected[hit.backend],
    });
  }
}

type Route = Pick<Hit, "backend" | "path" | "status">;

/** Each hit's backend, path and status, in the order they came. */
function routes(): Route[] {
  return hits().map(({ backend, path, status }) => ({ backend, path, status }));
}

/** A chat completion sent to `backend` at an Azure deployment URL, as {@link routes} lists it. */
function deploymentCall(backend: Name, deployment: string, status: number): Route {
  return {
    backend,
    path: `/${backend}/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`,
    status,
  };
}

/** Each backend named with the key the examples give it, `NAME-key`, as {@link expectOwnCredentials} takes it. */
function ownKeys(...names: Name[]): Partial<Record<Name, { apiKey: string }>> {
  return Object.fromEntries(names.map((name) => [name, { apiKey: `${name}-key` }]));
}

beforeAll(async () => {
  if (!process.features.typescript) {
    throw new Error(
      `The examples are TypeScript that Node runs directly, which needs Node >= 22.18; this is ${process.version} (${process.execPath}). ` +
        "Run the tests through npm scripts or npx, which put the Node 24 of node_modules/.bin first on the PATH.",
    );
  }
  // The examples import the package by name, i.e. dist/; `npm test` builds it once before the tests.
  for (const file of ["index.js", "providers.js"]) {
    if (!existsSync(`${root}dist/${file}`)) throw new Error(`dist/${file} is missing: run \`npm run build\` first.`);
  }
  served = await serveBackends(backends);
}, 30_000);

afterAll(() => served.close());

beforeEach(() => {
  backends.received.length = 0;
  throttled = new Set();
});

const TIMEOUT = 30_000;

describe("examples/", () => {
  it(
    "ptu-spillover: the PTU answers 429, the same request and the next ones go to pay-as-you-go, each with its own key",
    async () => {
      throttled = new Set(["ptu"]);
      const { stdout } = await runExample("ptu-spillover", {
        AZURE_OPENAI_PTU_ENDPOINT: url("ptu"),
        AZURE_OPENAI_PTU_KEY: "ptu-key",
        AZURE_OPENAI_PAYGO1_ENDPOINT: `${url("paygo1")}/paygo1`,
        AZURE_OPENAI_PAYGO1_KEY: "paygo1-key",
        AZURE_OPENAI_PAYGO2_ENDPOINT: `${url("paygo2")}/paygo2/`,
        AZURE_OPENAI_PAYGO2_KEY: "paygo2-key",
        AZURE_OPENAI_DEPLOYMENT: "gpt4o-dep",
      });

      expect(stdout).toMatch(/→ Hello from paygo[12]/);
      expect(stdout).toMatch(/served by paygo-[12] \(priority 2\), attempt 2/);
      expect(hits()[0]).toMatchObject({ backend: "ptu", status: 429 });
      // Cooling down, the PTU is not asked again: every other request goes straight to tier 2.
      expect(hits().filter((hit) => hit.backend === "ptu")).toHaveLength(1);
      expect(hits().slice(1).length).toBeGreaterThan(1);
      for (const hit of hits().slice(1)) {
        expect(hit.backend).toMatch(/^paygo[12]$/);
        expect(hit.status).toBe(200);
        expect(hit.path).toBe(`/${hit.backend}/openai/deployments/gpt4o-dep/chat/completions?api-version=2024-10-21`);
      }
      expectOwnCredentials(ownKeys("ptu", "paygo1", "paygo2"));
    },
    TIMEOUT,
  );

  it(
    "tiered-regions: streams the answer from tier 2 after the PTU's 429, then prints the snapshot",
    async () => {
      throttled = new Set(["eastus"]);
      const keys = {
        eastus: "eastus-key",
        eastus2: "eastus2-key",
        swedencentral: "sweden-key",
        westus: "westus-key",
      } as const;
      const { stdout, tables } = await runExample("tiered-regions", {
        AZURE_OPENAI_EASTUS_ENDPOINT: url("eastus"),
        AZURE_OPENAI_EASTUS_KEY: keys.eastus,
        AZURE_OPENAI_EASTUS2_ENDPOINT: `${url("eastus2")}/eastus2`,
        AZURE_OPENAI_EASTUS2_KEY: keys.eastus2,
        AZURE_OPENAI_SWEDENCENTRAL_ENDPOINT: `${url("swedencentral")}/swedencentral`,
        AZURE_OPENAI_SWEDENCENTRAL_KEY: keys.swedencentral,
        AZURE_OPENAI_WESTUS_ENDPOINT: `${url("westus")}/westus`,
        AZURE_OPENAI_WESTUS_KEY: keys.westus,
        AZURE_OPENAI_DEPLOYMENT: "gpt4o-dep",
      });

      expect(hits()).toHaveLength(2);
      expect(hits()[0]).toMatchObject({ backend: "eastus", status: 429 });
      const winner = hits()[1]!;
      expect(winner).toMatchObject({ status: 200, body: { stream: true } });
      expect(winner.backend).toMatch(/^(eastus2|swedencentral)$/);
      expect(stdout).toContain(`\nHello from ${winner.backend}\n`);
      expect(stdout).toContain("[eastus answered 429: out of rotation for 30 s]");
      // The snapshot's table: eastus cooling after its 429, the tier-2 backend that served, westus untouched.
      expect(tables).toHaveLength(1);
      const snapshot = tables[0] as Array<{ name: string }>;
      const row = (name: string) => snapshot.find((backend) => backend.name === name);
      expect(row("eastus")).toMatchObject({ state: "cooling", reason: "rate-limit", lastStatus: 429 });
      expect(row(winner.backend)).toMatchObject({ state: "available", lastStatus: 200 });
      expect(row("westus")).toMatchObject({ state: "available" });
      expectOwnCredentials(Object.fromEntries(Object.entries(keys).map(([backend, apiKey]) => [backend, { apiKey }])));
    },
    TIMEOUT,
  );

  it(
    "azure-with-openai-fallback: Azure's 429 sends the OpenAI-shaped request on to the OpenAI API, each with its own credential",
    async () => {
      throttled = new Set(["ptu"]);
      const { stdout } = await runExample("azure-with-openai-fallback", {
        AZURE_OPENAI_ENDPOINT: `${url("ptu")}/ptu`,
        AZURE_OPENAI_API_KEY: "azure-key",
        AZURE_OPENAI_DEPLOYMENT: "gpt4o-eastus",
        OPENAI_API_KEY: "sk-openai",
        OPENAI_BASE_URL: `${url("oai")}/oai/v1`,
      });

      expect(stdout).toContain("[azure: 429, failing over]");
      expect(stdout).toContain("[served by openai]");
      expect(stdout).toContain("Hello from oai");
      expect(routes()).toEqual([
        deploymentCall("ptu", "gpt4o-eastus", 429),
        { backend: "oai", path: "/oai/v1/chat/completions", status: 200 },
      ]);
      expect(hits()[1]!.body.model).toBe("gpt-4o");
      expectOwnCredentials({ ptu: { apiKey: "azure-key" }, oai: { authorization: "Bearer sk-openai" } });
    },
    TIMEOUT,
  );

  it(
    "per-backend-keys: through two 429s to the last tier, every backend gets only its own key and deployment",
    async () => {
      throttled = new Set(["ptu", "paygo"]);
      const { stdout } = await runExample("per-backend-keys", {
        AZURE_OPENAI_PTU_ENDPOINT: `${url("ptu")}/ptu`,
        AZURE_OPENAI_PTU_KEY: "ptu-key",
        AZURE_OPENAI_PTU_DEPLOYMENT: "gpt4o-ptu",
        AZURE_OPENAI_PAYGO_ENDPOINT: `${url("paygo")}/paygo`,
        AZURE_OPENAI_PAYGO_KEY: "paygo-key",
        AZURE_OPENAI_PAYGO_DEPLOYMENT: "gpt4o-paygo",
        AZURE_OPENAI_WESTUS_ENDPOINT: `${url("westus")}/westus`,
        AZURE_OPENAI_WESTUS_KEY: "westus-key",
        AZURE_OPENAI_WESTUS_DEPLOYMENT: "gpt4o-westus",
      });

      expect(stdout).toContain("Hello from westus");
      expect(routes()).toEqual([
        deploymentCall("ptu", "gpt4o-ptu", 429),
        deploymentCall("paygo", "gpt4o-paygo", 429),
        { backend: "westus", path: "/westus/openai/v1/chat/completions", status: 200 },
      ]);
      expect(hits()[2]!.body.model).toBe("gpt4o-westus");
      expectOwnCredentials(ownKeys("ptu", "paygo", "westus"));
    },
    TIMEOUT,
  );

  it(
    "entra-id: every backend sends the bearer token instead of the client's key",
    async () => {
      throttled = new Set(["ptu"]);
      const token = "eyJ0eXAiOiJKV1QifQ.entra-test-token.sig";
      const { stdout } = await runExample("entra-id", {
        AZURE_OPENAI_TOKEN: token,
        AZURE_OPENAI_PTU_ENDPOINT: `${url("ptu")}/ptu`,
        AZURE_OPENAI_PTU_DEPLOYMENT: "gpt4o-ptu",
        AZURE_OPENAI_PAYGO_ENDPOINT: `${url("paygo")}/paygo`,
        AZURE_OPENAI_PAYGO_DEPLOYMENT: "gpt4o-paygo",
      });

      expect(stdout).toContain("Hello from paygo");
      expect(routes()).toEqual([deploymentCall("ptu", "gpt4o-ptu", 429), deploymentCall("paygo", "gpt4o-paygo", 200)]);
      expectOwnCredentials({ ptu: { authorization: `Bearer ${token}` }, paygo: { authorization: `Bearer ${token}` } });
    },
    TIMEOUT,
  );
});
