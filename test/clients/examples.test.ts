import { execFile } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { chatChunks, chatCompletion } from "./fixtures.js";

// Runs every example in examples/ as a user would (`node examples/NAME.ts`, importing the built
// package by name) against one local server that plays every backend.

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Backends are told apart by their URL's first path segment; a backend without a path prefix is "root". */
const PREFIXES = ["ptu", "paygo", "paygo1", "paygo2", "eastus2", "swedencentral", "westus", "oai"];

/** One request as the simulated backends received it. */
interface Hit {
  readonly backend: string;
  readonly path: string;
  readonly apiKey: string | undefined;
  readonly authorization: string | undefined;
  readonly body: { model?: string; stream?: boolean };
  readonly status: number;
}

const hits: Hit[] = [];
/** Backends that answer 429, as a saturated PTU does. */
let throttled = new Set<string>();

interface Reply {
  readonly status: number;
  readonly type: string;
  readonly body: string;
}

/** What `backend` answers, like Azure OpenAI / OpenAI: a chat completion naming the backend, as JSON or as a server-sent event stream. */
function reply(backend: string, method: string | undefined, path: string, body: Hit["body"]): Reply {
  if (throttled.has(backend)) {
    const error = {
      error: { code: "429", message: "Requests to the ChatCompletions_Create Operation have exceeded the rate limit." },
    };
    return { status: 429, type: "application/json", body: JSON.stringify(error) };
  }
  if (method !== "POST" || !path.split("?")[0]!.endsWith("/chat/completions"))
    return { status: 404, type: "text/plain", body: "Resource not found" };
  const model = body.model ?? backend;
  if (!body.stream)
    return {
      status: 200,
      type: "application/json",
      body: JSON.stringify(chatCompletion(model, `Hello from ${backend}`)),
    };
  const events = chatChunks(model, ["Hello", " from", ` ${backend}`]).map(
    (chunk) => `data: ${JSON.stringify(chunk)}\n\n`,
  );
  return { status: 200, type: "text/event-stream", body: `${events.join("")}data: [DONE]\n\n` };
}

/** Records the request, then answers it. */
async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const path = request.url ?? "/";
  const backend = PREFIXES.find((prefix) => path.startsWith(`/${prefix}/`)) ?? "root";
  const body = chunks.length === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString()) as Hit["body"]);
  const { status, type, body: text } = reply(backend, request.method, path, body);
  const header = (name: string) => request.headers[name] as string | undefined;
  hits.push({ backend, path, apiKey: header("api-key"), authorization: header("authorization"), body, status });
  // retry-after only matters on the 429: it sets the PTU's cooldown.
  response.writeHead(status, { "content-type": type, "retry-after": "30" }).end(text);
}

const server = createServer((request, response) => {
  serve(request, response).catch((error: unknown) => response.writeHead(500).end(String(error)));
});
let base = "";

/** The newest modification time of the files under `dir`. */
function newest(dir: string): number {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  return Math.max(...files.map((entry) => statSync(`${entry.parentPath}/${entry.name}`).mtimeMs));
}

function builtAt(file: string): number {
  try {
    return statSync(`${root}dist/${file}`).mtimeMs;
  } catch {
    return 0;
  }
}

interface Run {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node ...args` in the repository, with `vars` as its environment (no AZURE_* or OPENAI_* leaks in from ours). */
function node(args: string[], vars: Record<string, string> = {}): Promise<Run> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AZURE|OPENAI)_/.test(name)));
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      args,
      { cwd: root, env: { ...inherited, ...vars }, timeout: 20_000 },
      (_error, stdout, stderr) => resolve({ exitCode: child.exitCode, stdout, stderr }),
    );
  });
}

/** Runs `node examples/NAME.ts`, expects it to exit 0 by itself (a timeout kills it: exit code null), returns its output. */
async function runExample(name: string, vars: Record<string, string>): Promise<string> {
  const { exitCode, stdout, stderr } = await node([`examples/${name}.ts`], vars);
  expect(exitCode, `${name} exited with ${exitCode}\n${stdout}\n${stderr}`).toBe(0);
  return stdout;
}

/** Every hit carried exactly its own backend's credentials: the `api-key` and `authorization` expected for it, no other. */
function expectOwnCredentials(expected: Record<string, { apiKey?: string; authorization?: string }>): void {
  for (const hit of hits) {
    const sent = { apiKey: hit.apiKey, authorization: hit.authorization };
    expect(sent, `credentials sent to ${hit.backend}`).toEqual({
      apiKey: undefined,
      authorization: undefined,
      ...expected[hit.backend],
    });
  }
}

/** The console.table row of backend `name`. */
const row = (stdout: string, name: string): string =>
  stdout.split("\n").find((line) => line.includes(`'${name}'`)) ?? "";

beforeAll(async () => {
  if (!process.features.typescript) {
    throw new Error(
      `The examples are TypeScript that Node runs directly, which needs Node >= 22.18; this is ${process.version} (${process.execPath}). ` +
        "Run the tests through npm scripts or npx, which put the Node 24 of node_modules/.bin first on the PATH.",
    );
  }
  // The examples import the package by name, i.e. dist/: build it if it is missing or older than the sources.
  // --no-emptyOutDir keeps the declarations of `npm run build` (dist/src) for whoever else uses them.
  if (Math.min(builtAt("index.js"), builtAt("providers.js")) < newest(`${root}src`)) {
    const build = await node(["node_modules/vite/bin/vite.js", "build", "--no-emptyOutDir", "--logLevel", "warn"]);
    if (build.exitCode !== 0) throw new Error(`vite build failed:\n${build.stdout}\n${build.stderr}`);
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 30_000);

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

beforeEach(() => {
  hits.length = 0;
  throttled = new Set();
});

const TIMEOUT = 30_000;

describe("examples/", () => {
  it(
    "ptu-spillover: the PTU answers 429, the same request and the next ones go to pay-as-you-go, each with its own key",
    async () => {
      throttled = new Set(["root"]);
      const stdout = await runExample("ptu-spillover", {
        AZURE_OPENAI_PTU_ENDPOINT: base,
        AZURE_OPENAI_PTU_KEY: "ptu-key",
        AZURE_OPENAI_PAYGO1_ENDPOINT: `${base}/paygo1`,
        AZURE_OPENAI_PAYGO1_KEY: "paygo1-key",
        AZURE_OPENAI_PAYGO2_ENDPOINT: `${base}/paygo2/`,
        AZURE_OPENAI_PAYGO2_KEY: "paygo2-key",
        AZURE_OPENAI_DEPLOYMENT: "gpt4o-dep",
      });

      expect(stdout).toMatch(/→ Hello from paygo[12]/);
      expect(stdout).toMatch(/served by paygo-[12] \(priority 2\), attempt 2/);
      expect(hits[0]).toMatchObject({ backend: "root", status: 429 });
      // Cooling down, the PTU is not asked again: every other request goes straight to tier 2.
      expect(hits.filter((hit) => hit.backend === "root")).toHaveLength(1);
      expect(hits.slice(1).length).toBeGreaterThan(1);
      for (const hit of hits.slice(1)) {
        expect(hit.backend).toMatch(/^paygo[12]$/);
        expect(hit.status).toBe(200);
        expect(hit.path).toBe(`/${hit.backend}/openai/deployments/gpt4o-dep/chat/completions?api-version=2024-10-21`);
      }
      expectOwnCredentials({
        root: { apiKey: "ptu-key" },
        paygo1: { apiKey: "paygo1-key" },
        paygo2: { apiKey: "paygo2-key" },
      });
    },
    TIMEOUT,
  );

  it(
    "tiered-regions: streams the answer from tier 2 after the PTU's 429, then prints the snapshot",
    async () => {
      throttled = new Set(["root"]);
      const keys = {
        root: "eastus-key",
        eastus2: "eastus2-key",
        swedencentral: "sweden-key",
        westus: "westus-key",
      } as const;
      const stdout = await runExample("tiered-regions", {
        AZURE_OPENAI_EASTUS_ENDPOINT: base,
        AZURE_OPENAI_EASTUS_KEY: keys.root,
        AZURE_OPENAI_EASTUS2_ENDPOINT: `${base}/eastus2`,
        AZURE_OPENAI_EASTUS2_KEY: keys.eastus2,
        AZURE_OPENAI_SWEDENCENTRAL_ENDPOINT: `${base}/swedencentral`,
        AZURE_OPENAI_SWEDENCENTRAL_KEY: keys.swedencentral,
        AZURE_OPENAI_WESTUS_ENDPOINT: `${base}/westus`,
        AZURE_OPENAI_WESTUS_KEY: keys.westus,
        AZURE_OPENAI_DEPLOYMENT: "gpt4o-dep",
      });

      expect(hits).toHaveLength(2);
      expect(hits[0]).toMatchObject({ backend: "root", status: 429 });
      const served = hits[1]!;
      expect(served).toMatchObject({ status: 200, body: { stream: true } });
      expect(served.backend).toMatch(/^(eastus2|swedencentral)$/);
      expect(stdout).toContain(`\nHello from ${served.backend}\n`);
      expect(stdout).toContain("[eastus answered 429: out of rotation for 30 s]");
      // The snapshot's table: eastus cooling after its 429, the tier-2 backend that served, westus untouched.
      expect(row(stdout, "eastus")).toMatch(/'cooling'.*'rate-limit'.*429/);
      expect(row(stdout, served.backend)).toMatch(/'available'.*200/);
      expect(row(stdout, "westus")).toMatch(/'available'/);
      expectOwnCredentials(Object.fromEntries(Object.entries(keys).map(([backend, apiKey]) => [backend, { apiKey }])));
    },
    TIMEOUT,
  );

  it(
    "azure-with-openai-fallback: Azure's 429 sends the OpenAI-shaped request on to the OpenAI API, each with its own credential",
    async () => {
      throttled = new Set(["ptu"]);
      const stdout = await runExample("azure-with-openai-fallback", {
        AZURE_OPENAI_ENDPOINT: `${base}/ptu`,
        AZURE_OPENAI_API_KEY: "azure-key",
        AZURE_OPENAI_DEPLOYMENT: "gpt4o-eastus",
        OPENAI_API_KEY: "sk-openai",
        OPENAI_BASE_URL: `${base}/oai/v1`,
      });

      expect(stdout).toContain("[azure: 429, failing over]");
      expect(stdout).toContain("[served by openai]");
      expect(stdout).toContain("Hello from oai");
      expect(hits.map(({ backend, path, status }) => ({ backend, path, status }))).toEqual([
        {
          backend: "ptu",
          path: "/ptu/openai/deployments/gpt4o-eastus/chat/completions?api-version=2024-10-21",
          status: 429,
        },
        { backend: "oai", path: "/oai/v1/chat/completions", status: 200 },
      ]);
      expect(hits[1]!.body.model).toBe("gpt-4o");
      expectOwnCredentials({ ptu: { apiKey: "azure-key" }, oai: { authorization: "Bearer sk-openai" } });
    },
    TIMEOUT,
  );

  it(
    "per-backend-keys: through two 429s to the last tier, every backend gets only its own key and deployment",
    async () => {
      throttled = new Set(["ptu", "paygo"]);
      const stdout = await runExample("per-backend-keys", {
        AZURE_OPENAI_PTU_ENDPOINT: `${base}/ptu`,
        AZURE_OPENAI_PTU_KEY: "ptu-key",
        AZURE_OPENAI_PTU_DEPLOYMENT: "gpt4o-ptu",
        AZURE_OPENAI_PAYGO_ENDPOINT: `${base}/paygo`,
        AZURE_OPENAI_PAYGO_KEY: "paygo-key",
        AZURE_OPENAI_PAYGO_DEPLOYMENT: "gpt4o-paygo",
        AZURE_OPENAI_WESTUS_ENDPOINT: `${base}/westus`,
        AZURE_OPENAI_WESTUS_KEY: "westus-key",
        AZURE_OPENAI_WESTUS_DEPLOYMENT: "gpt4o-westus",
      });

      expect(stdout).toContain("Hello from westus");
      expect(hits.map(({ backend, path, status }) => ({ backend, path, status }))).toEqual([
        {
          backend: "ptu",
          path: "/ptu/openai/deployments/gpt4o-ptu/chat/completions?api-version=2024-10-21",
          status: 429,
        },
        {
          backend: "paygo",
          path: "/paygo/openai/deployments/gpt4o-paygo/chat/completions?api-version=2024-10-21",
          status: 429,
        },
        { backend: "westus", path: "/westus/openai/v1/chat/completions", status: 200 },
      ]);
      expect(hits[2]!.body.model).toBe("gpt4o-westus");
      expectOwnCredentials({
        ptu: { apiKey: "ptu-key" },
        paygo: { apiKey: "paygo-key" },
        westus: { apiKey: "westus-key" },
      });
    },
    TIMEOUT,
  );

  it(
    "entra-id: every backend sends the bearer token instead of the client's key",
    async () => {
      throttled = new Set(["ptu"]);
      const token = "eyJ0eXAiOiJKV1QifQ.entra-test-token.sig";
      const stdout = await runExample("entra-id", {
        AZURE_OPENAI_TOKEN: token,
        AZURE_OPENAI_PTU_ENDPOINT: `${base}/ptu`,
        AZURE_OPENAI_PTU_DEPLOYMENT: "gpt4o-ptu",
        AZURE_OPENAI_PAYGO_ENDPOINT: `${base}/paygo`,
        AZURE_OPENAI_PAYGO_DEPLOYMENT: "gpt4o-paygo",
      });

      expect(stdout).toContain("Hello from paygo");
      expect(hits.map(({ backend, path, status }) => ({ backend, path, status }))).toEqual([
        {
          backend: "ptu",
          path: "/ptu/openai/deployments/gpt4o-ptu/chat/completions?api-version=2024-10-21",
          status: 429,
        },
        {
          backend: "paygo",
          path: "/paygo/openai/deployments/gpt4o-paygo/chat/completions?api-version=2024-10-21",
          status: 200,
        },
      ]);
      expectOwnCredentials({ ptu: { authorization: `Bearer ${token}` }, paygo: { authorization: `Bearer ${token}` } });
    },
    TIMEOUT,
  );
});
