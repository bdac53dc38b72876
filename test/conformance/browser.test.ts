// The conformance cases in Chromium (vitest browser mode): the built package, node:test and
// node:assert mapped onto vitest (see vitest.config.ts); the backends listen in Node (global-setup.ts).
import * as core from "openai-priority-loadbalancer";
import { lease } from "openai-priority-loadbalancer/lease";
import { inject } from "vitest";
import { conformanceCases } from "./cases.js";

const lib = { ...core, lease };
const urls = inject("conformanceUrls");
const version = /Chrome\/(\S+)/.exec(navigator.userAgent)?.[1] ?? navigator.userAgent;
console.log(`conformance on chromium ${version}`);
conformanceCases(lib, {
  runtime: `chromium ${version}`,
  url: (route) => {
    const url = urls[route];
    if (url === undefined) throw new Error(`no backend served for ${route}`);
    return url;
  },
  refusedUrl: inject("refusedUrl"),
});
