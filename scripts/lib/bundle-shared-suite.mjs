import { fileURLToPath } from "node:url";
import { build } from "vite";

const root = fileURLToPath(new URL("../..", import.meta.url));
const outDir = `${root}test-results/shared`;

export { sharedBundles } from "../../test/shared/runners/bundle-paths.mjs";

/**
 * Bundles test/shared/suite.ts into plain ES modules under test-results/shared, so that every runtime (Node 20
 * has no TypeScript support) runs the very same code; and the core and the BroadcastChannel adapter from src/
 * for the worker-thread tests of vitest.
 */
export async function bundleSharedSuite() {
  await build({
    root,
    configFile: false,
    logLevel: "warn",
    build: {
      outDir,
      emptyOutDir: true,
      target: "es2022",
      minify: false,
      copyPublicDir: false,
      rollupOptions: { external: [/^node:/, "redis", "ioredis"] },
      lib: {
        entry: {
          suite: "test/shared/suite.ts",
          "src-index": "src/index.ts",
          "src-shared": "src/shared/index.ts",
          "node-platforms": "test/shared/redis-platforms.ts",
        },
        formats: ["es"],
        fileName: (_format, name) => `${name}.js`,
      },
    },
  });
}
