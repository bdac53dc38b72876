/** A redis-server the tests started. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Stops the server by its PID (SIGTERM by default, SIGKILL for a crash) and waits until it is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}
export const redisServerPath: string;
export function freePort(): Promise<number>;
export function startRedis(options?: { port?: number; timeoutMs?: number }): Promise<RedisServer>;
