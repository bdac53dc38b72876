export { redisState } from "./redis-state.js";
export type { RedisStateOptions } from "./options.js";
export type { RedisClientKind } from "./client.js";
