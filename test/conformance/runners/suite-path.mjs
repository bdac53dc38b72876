/** Where scripts/test-runtimes.mjs writes the bundled suite (test/conformance/suite.ts as one ES module). */
export const suiteUrl = new URL("../../../test-results/conformance/suite.js", import.meta.url).href;
