import { fileURLToPath } from "node:url";
import { build } from "vite";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Bundles test/conformance/suite.ts into one plain ES module, test-results/conformance/suite.js,
 * so that every runtime (Node 20 has no TypeScript support) runs the very same code.
 * The suite imports the package only as types: each runner hands it the package it imported.
 */
export async function bundleConformanceSuite() {
  await build({
    root,
    configFile: false,
    logLevel: "warn",
    build: {
      outDir: "test-results/conformance",
      emptyOutDir: true,
      target: "es2022",
      minify: false,
      copyPublicDir: false,
      lib: { entry: "test/conformance/suite.ts", formats: ["es"], fileName: () => "suite.js" },
    },
  });
}
