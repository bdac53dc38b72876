// The conformance cases against the built package (dist/), imported by its name as a user would:
// run natively by `node --test` (Node 20 and 24), `deno test` and `bun test`.
import { after } from "node:test";
import * as core from "openai-priority-loadbalancer";
import { lease } from "openai-priority-loadbalancer/lease";
import { refusedUrl, serveBackends } from "../support/server.js";
import { conformanceBackends } from "./backends.js";
import { conformanceCases } from "./cases.js";
import { expectResolved, runtimeName } from "./runtime.js";

const resolved = import.meta.resolve("openai-priority-loadbalancer");
expectResolved("openai-priority-loadbalancer", resolved, "/dist/index.js");
expectResolved(
  "openai-priority-loadbalancer/lease",
  import.meta.resolve("openai-priority-loadbalancer/lease"),
  "/dist/lease.js",
);
const lib = { ...core, lease };
const runtime = runtimeName();
console.log(`conformance on ${runtime}: ${resolved}`);

const served = await serveBackends(conformanceBackends());
after(() => served.close());
conformanceCases(lib, { runtime, url: served.url, refusedUrl: await refusedUrl() });
