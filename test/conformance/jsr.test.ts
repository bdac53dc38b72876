// The conformance cases against the JSR entry (deno.json's exports: the TypeScript sources), run by `deno test`.
import { after } from "node:test";
import { refusedUrl, serveBackends } from "../support/server.js";
import { conformanceBackends } from "./backends.js";
import { conformanceCases, type Lib } from "./cases.js";
import { expectResolved, runtimeName } from "./runtime.js";

// A variable specifier: only Deno resolves the JSR name (through deno.json), and typecheckers should not try.
const specifier: string = "@plb/openai-priority-loadbalancer";
const resolved = import.meta.resolve(specifier);
expectResolved(specifier, resolved, "/src/index.ts");
const leaseSpecifier = `${specifier}/lease`;
expectResolved(leaseSpecifier, import.meta.resolve(leaseSpecifier), "/src/lease/index.ts");
const lib = { ...(await import(specifier)), ...(await import(leaseSpecifier)) } as Lib;
const runtime = `${runtimeName()} (JSR entry)`;
console.log(`conformance on ${runtime}: ${resolved}`);

const served = await serveBackends(conformanceBackends());
after(() => served.close());
conformanceCases(lib, { runtime, url: served.url, refusedUrl: await refusedUrl() });
