import { accessSync, constants, realpathSync } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * The machine's own `node`: the first on PATH outside any `node_modules/.bin`. Inside npm scripts
 * `node` (and `$npm_node_execpath`) is the Node 24 of the `node24` dev dependency, which npm puts
 * first on PATH; the stages that promise Node 20 must not run under it.
 */
export function hostNode() {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "" || /node_modules[\\/]\.bin$/.test(dir) || /node-gyp-bin$/.test(dir)) continue;
    const candidate = join(dir, "node");
    try {
      accessSync(candidate, constants.X_OK);
      return realpathSync(candidate);
    } catch {
      // not here
    }
  }
  throw new Error(`no node on PATH outside node_modules/.bin (PATH=${process.env.PATH})`);
}
