export { redisState } from "./redis-state.ts";
export type { RedisStateOptions } from "./options.ts";
export type { RedisClientKind } from "./client.ts";
