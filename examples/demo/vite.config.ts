import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/** `npm run demo`: serves this folder; `public/` holds msw's service worker. */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  server: { port: 5173, strictPort: false },
});
