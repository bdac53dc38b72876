// Prints, once per test file, which Node and which client packages the clients tests run against
// (vite.config.ts picks openai 6 and ai 6 on Node 20).
import ai from "ai/package.json" with { type: "json" };
import { VERSION as openai } from "openai/version";

console.log(`clients tests on node ${process.version}: openai ${openai}, ai ${ai.version}`);
