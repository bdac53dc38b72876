import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { build } from "vite";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Bundles `entry` (everything it exports, nothing tree-shaken away) with Vite's production
 * minifier and gzips the result with node:zlib's default level.
 * Not library mode: there Vite keeps the whitespace of ES output, which no user's bundler would ship.
 */
export async function measureEntry(entry) {
  const result = await build({
    root,
    configFile: false,
    logLevel: "silent",
    build: {
      write: false,
      target: "es2022",
      minify: true,
      modulePreload: false,
      rollupOptions: { input: entry, preserveEntrySignatures: "strict", output: { format: "es" } },
    },
  });
  const chunks = (Array.isArray(result) ? result : [result])
    .flatMap(({ output }) => output)
    .filter((item) => item.type === "chunk");
  const code = Buffer.from(chunks.map((chunk) => chunk.code).join("\n"));
  return { minified: code.length, gzipped: gzipSync(code).length, chunks: chunks.length };
}
