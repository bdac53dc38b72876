import { targetId } from "../shared/target.ts";

/** The key names and the channel one namespace uses; an ACL can grant exactly these. */
export interface RedisKeys {
  /** `{prefix}{namespace}:cd:{backend}[:{deployment}]`, one per cooling backend or deployment, with a TTL. */
  cooldown(backend: string, deployment: string | null): string;
  /** `{prefix}{namespace}:probe:{backend}[:{deployment}]`, the probe lease, with a TTL. */
  probe(backend: string, deployment: string | null): string;
  /** `{prefix}{namespace}:owner:{id}`, the backend that owns a stateful-API id, with a TTL. */
  owner(id: string): string;
  /** A SCAN MATCH pattern for every owner key. */
  readonly ownerPattern: string;
  /** A SCAN MATCH pattern for every cooldown key, glob characters of the namespace escaped. */
  readonly cooldownPattern: string;
  /** `{prefix}{namespace}:updates`, the pub/sub channel. */
  readonly channel: string;
}

/** Names for `namespace` under `prefix`. */
export function redisKeys(prefix: string, namespace: string): RedisKeys {
  const base = `${prefix}${namespace}`;
  const glob = base.replace(/[*?[\]\\]/g, "\\$&");
  return {
    cooldown: (backend, deployment) => `${base}:cd:${targetId(backend, deployment)}`,
    probe: (backend, deployment) => `${base}:probe:${targetId(backend, deployment)}`,
    owner: (id) => `${base}:owner:${id}`,
    ownerPattern: `${glob}:owner:*`,
    cooldownPattern: `${glob}:cd:*`,
    channel: `${base}:updates`,
  };
}
