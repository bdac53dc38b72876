/** Where scripts/lib/bundle-shared-suite.mjs writes each bundle, as file URLs (no vite import: Deno loads this). */
const base = new URL("../../../test-results/shared/", import.meta.url);
export const sharedBundles = {
  suite: new URL("suite.js", base).href,
  /** The core and the BroadcastChannel adapter built from src/, for tests that run before (or without) `npm run build`. */
  index: new URL("src-index.js", base).href,
  shared: new URL("src-shared.js", base).href,
  /** node-redis and ioredis clients for the cases (Node only: it imports both libraries). */
  nodePlatforms: new URL("node-platforms.js", base).href,
};
