import { defineConfig } from "vitest/config";

const NODE_MAJOR = Number(process.versions.node.split(".")[0]);

/** The client packages a Node 20 user gets, under the alias names they are installed as. */
const NODE20_CLIENTS = [
  { find: /^openai(\/.*)?$/, replacement: "openai6$1" },
  { find: /^ai(\/.*)?$/, replacement: "ai6$1" },
  { find: /^@ai-sdk\/openai$/, replacement: "ai-sdk-openai3" },
  { find: /^@ai-sdk\/azure$/, replacement: "ai-sdk-azure3" },
];

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
        redis: "src/redis/index.ts",
        shared: "src/shared/index.ts",
        lease: "src/lease/index.ts",
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
        test: { name: "core", environment: "node", include: ["test/core/**/*.test.ts", "test/support/**/*.test.ts"] },
      },
      {
        extends: true,
        // openai 7 and ai 7 need Node >= 22: on Node 20 the same tests run against what Node 20 users
        // install, openai 6 and ai 6 (dev dependencies under alias names); the examples need Node >= 22.18.
        resolve: { alias: NODE_MAJOR < 22 ? NODE20_CLIENTS : [] },
        test: {
          name: "clients",
          environment: "node",
          include: ["test/clients/**/*.test.ts"],
          exclude: NODE_MAJOR < 22 ? ["test/clients/examples.test.ts"] : [],
          setupFiles: ["test/clients/versions.ts"],
        },
      },
      {
        extends: true,
        resolve: { alias: NODE_MAJOR < 22 ? NODE20_CLIENTS : [] },
        test: {
          name: "stateful",
          environment: "node",
          include: ["test/stateful/**/*.test.ts"],
          setupFiles: ["test/clients/versions.ts"],
        },
      },
      {
        extends: true,
        resolve: { alias: NODE_MAJOR < 22 ? NODE20_CLIENTS : [] },
        test: {
          name: "streams",
          environment: "node",
          include: ["test/streams/**/*.test.ts"],
          setupFiles: ["test/clients/versions.ts"],
        },
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
      {
        extends: true,
        // Real redis-server processes and worker threads: one file at a time keeps the 2-core machine calm.
        test: { name: "shared", environment: "node", include: ["test/shared/**/*.test.ts"], fileParallelism: false },
      },
    ],
  },
});
