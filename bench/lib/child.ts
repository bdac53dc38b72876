import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A child Node process running one of the compiled bench scripts, and the first line it printed. */
export interface StartedChild {
  readonly child: ChildProcess;
  readonly firstLine: string;
}

/**
 * Starts `script` (a URL of a compiled bench file) in a child Node process and resolves with its first
 * stdout line; rejects if the child exits first or prints nothing within `timeoutMs`.
 */
export function startChild(script: URL, nodeArgs: readonly string[] = [], timeoutMs = 10_000): Promise<StartedChild> {
  const child = spawn(process.execPath, [...nodeArgs, fileURLToPath(script)], { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${script.pathname} printed nothing within ${timeoutMs} ms`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString("utf8");
      const end = buffered.indexOf("\n");
      if (end === -1) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      child.off("exit", onExit);
      resolve({ child, firstLine: buffered.slice(0, end) });
    };
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`${script.pathname} exited (${code}) before printing a line`));
    };
    child.stdout!.on("data", onData);
    child.once("exit", onExit);
  });
}
