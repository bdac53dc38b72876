import { afterAll, beforeAll, describe, it } from "vitest";
import { startRedis, type RedisServer } from "../../scripts/redis-server.mjs";
import { redisState } from "../../src/redis/index.js";
import { redisCases, type ServerControl } from "./cases/redis-cases.js";
import { ioredisPlatform, nodeRedisPlatform } from "./redis-platforms.js";

// A real redis-server per file; one that cannot start fails beforeAll and with it every case.
let server: RedisServer;
const control: ServerControl = {
  get url() {
    return server.url;
  },
  stop: () => server.stop("SIGKILL"),
  async restart() {
    server = await startRedis({ port: server.port });
  },
};

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

for (const platform of [nodeRedisPlatform(control, redisState), ioredisPlatform(control, redisState)]) {
  describe(platform.name, () => {
    for (const { name, fn } of redisCases(platform)) it(name.replace(`${platform.name} › `, ""), fn, 30_000);
  });
}
