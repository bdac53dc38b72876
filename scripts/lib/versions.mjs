import { execFileSync } from "node:child_process";

/** `command --version`'s first line, or why it could not run. */
export function versionOf(command, args = ["--version"]) {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
      .split("\n")[0]
      .trim();
  } catch (error) {
    return `cannot run: ${error.message.split("\n")[0]}`;
  }
}
