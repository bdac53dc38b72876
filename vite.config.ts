import { defineConfig } from "vitest/config";

export default defineConfig({
  build: {
    target: "es2022",
    sourcemap: true,
    minify: false,
    lib: {
      entry: { index: "src/index.ts", providers: "src/providers/index.ts", dashboard: "dashboard/index.ts" },
      formats: ["es"],
    },
  },
  test: {
    // One project per concern; `vitest run --project NAME` runs one.
    projects: [
      {
        extends: true,
        test: { name: "core", environment: "node", include: ["test/core/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "clients", environment: "node", include: ["test/clients/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "streams", environment: "node", include: ["test/streams/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "dashboard", environment: "happy-dom", include: ["test/dashboard/**/*.test.{ts,tsx}"] },
      },
    ],
  },
});
