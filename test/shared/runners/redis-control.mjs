// The cases' ServerControl over scripts/redis-server.mjs: stop kills by PID, restart reuses the port.
import { startRedis } from "../../../scripts/redis-server.mjs";

/** Starts a redis-server and returns its control, or throws why it could not start. */
export async function startControlledRedis() {
  let server = await startRedis();
  return {
    get url() {
      return server.url;
    },
    stop: () => server.stop("SIGKILL"),
    async restart() {
      server = await startRedis({ port: server.port });
    },
    close: () => server.stop(),
  };
}
