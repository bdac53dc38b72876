import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "vite";

const root = fileURLToPath(new URL("../..", import.meta.url));
const outDir = `${root}test-results/shared`;

/** Where {@link bundleSharedSuite} writes each bundle, as file URLs. */
export const sharedBundles = {
  suite: pathToFileURL(`${outDir}/suite.js`).href,
  /** The adapters built from src/, for tests that run before (or without) `npm run build`. */
  shared: pathToFileURL(`${outDir}/src-shared.js`).href,
  redis: pathToFileURL(`${outDir}/src-redis.js`).href,
};

/**
 * Bundles test/shared/suite.ts (and the two adapter entries from src/) into plain ES modules under
 * test-results/shared, so that every runtime (Node 20 has no TypeScript support) runs the very same code.
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
          "src-shared": "src/shared/index.ts",
          "src-redis": "src/redis/index.ts",
        },
        formats: ["es"],
        fileName: (_format, name) => `${name}.js`,
      },
    },
  });
}
