import { spawn } from "node:child_process";

/**
 * Runs a command, echoing its output line by line with `prefix`, and resolves with its exit
 * code (`null` when it had to be killed after `timeoutMs`) and every line it printed.
 */
export function runCommand(command, args, { prefix = "", timeoutMs = 300_000, env = process.env, cwd } = {}) {
  return new Promise((resolve) => {
    const lines = [];
    const child = spawn(command, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    for (const stream of [child.stdout, child.stderr]) {
      let rest = "";
      stream.setEncoding("utf8");
      stream.on("data", (data) => {
        const parts = (rest + data).split("\n");
        rest = parts.pop() ?? "";
        for (const line of parts) {
          lines.push(line);
          console.log(prefix + line);
        }
      });
      stream.on("end", () => {
        if (rest !== "") {
          lines.push(rest);
          console.log(prefix + rest);
        }
      });
    }
    child.on("error", (error) => {
      clearTimeout(timer);
      lines.push(String(error));
      console.log(`${prefix}${error}`);
      resolve({ code: 127, lines });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, lines });
    });
  });
}
