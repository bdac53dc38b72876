import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** `npm run demo`: serves this folder; `public/` holds msw's service worker. */
export default defineConfig({
  root: here("."),
  // A cache of its own, so another Vite server on the repository cannot invalidate it mid-run.
  cacheDir: here("../../node_modules/.vite/demo"),
  // Every dependency is known up front: no re-optimisation and page reload after the first request.
  optimizeDeps: {
    include: [
      "preact",
      "preact/hooks",
      "preact/jsx-runtime",
      "preact/jsx-dev-runtime",
      "@preact/signals",
      "msw",
      "msw/browser",
      "openai",
    ],
  },
  server: { port: 5173, strictPort: false },
});
