import { defineConfig } from "vitest/config";

export default defineConfig({
  build: {
    target: "es2022",
    sourcemap: true,
    minify: false,
    lib: {
      entry: {
        index: "src/index.ts",
        providers: "src/providers/index.ts",
        dashboard: "dashboard/index.ts",
        server: "src/server/index.ts",
        otel: "src/otel/index.ts",
      },
      formats: ["es"],
    },
    // An optional peer dependency of the otel entry: the user's copy, never bundled.
    rollupOptions: { external: ["@opentelemetry/api"] },
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
        test: { name: "server", environment: "node", include: ["test/server/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "otel", environment: "node", include: ["test/otel/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "dashboard", environment: "happy-dom", include: ["test/dashboard/**/*.test.{ts,tsx}"] },
      },
    ],
  },
});
