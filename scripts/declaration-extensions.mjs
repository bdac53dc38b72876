// After `tsc -p tsconfig.build.json`: the declarations in dist/ import `./x.js`, like the JavaScript.
// The sources import `./x.ts` (Deno needs real file names) and TypeScript's
// rewriteRelativeImportExtensions rewrites them in emitted JavaScript but not in declarations
// (microsoft/TypeScript#61037); Deno and some editors then cannot resolve the package's types.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const dist = fileURLToPath(new URL("../dist", import.meta.url));
// `from "./x.ts"`, `import("./x.tsx")`, `import "./x.ts"` with a relative specifier.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.{1,2}\/[^"']+?)\.tsx?\2/g;

let rewritten = 0;
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
  const file = join(entry.parentPath, entry.name);
  const source = readFileSync(file, "utf8");
  const fixed = source.replace(SPECIFIER, (_, keyword, quote, path) => `${keyword}${quote}${path}.js${quote}`);
  if (fixed !== source) {
    writeFileSync(file, fixed);
    rewritten++;
  }
}
console.log(`declarations: relative .ts specifiers rewritten to .js in ${rewritten} file(s) of dist/`);
