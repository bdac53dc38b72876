import type { CooldownReason } from "../types/events.ts";
import type { SharedState, SharedStateConnection, SharedUpdate } from "../types/shared.ts";
import type { RemoteCooldown } from "./breaker.ts";

/** The balancer's side of a {@link SharedStateConnection}: nothing here throws or is awaited by a request. */
export interface SharedLink {
  publish(update: SharedUpdate): void;
  /** Rejects when the store failed to answer; never throws. */
  claim(backend: string, deployment: string | null, ttlMs: number): Promise<boolean>;
  report(error: unknown): void;
  close(): Promise<void>;
}

/** An update that passed {@link parseUpdate}. */
export type ValidUpdate =
  | ({ readonly type: "cooldown"; readonly backend: string; readonly deployment: string | null } & RemoteCooldown)
  | { readonly type: "recovered"; readonly backend: string; readonly deployment: string | null }
  | { readonly type: "owner"; readonly backend: string; readonly id: string };

/** A stateful-API id worth sharing: 1 to 256 characters of `[A-Za-z0-9_.:-]` (every OpenAI and Azure id fits). */
export const isOwnerId = (id: unknown): id is string => typeof id === "string" && /^[\w.:-]{1,256}$/.test(id);

const REASONS: readonly string[] = [
  "rate-limit",
  "server-error",
  "network-error",
  "timeout",
  "quota",
  "credentials",
  "redirect",
] satisfies CooldownReason[];

/** Failures in a row beyond this change nothing (the cooldown has long reached `maxCooldownMs`). */
const MAX_FAILURES = 1000;

/** A deployment or model name as the balancer keys them: 1 to 256 characters, no whitespace or control characters. */
export function isDeploymentName(name: string): boolean {
  if (name.length === 0 || name.length > 256) return false;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code <= 32 || code === 127) return false;
  }
  return true;
}

/**
 * FNV-1a (32 bits, hex) of the backends' sorted `name|url` lines: the same configuration in any order
 * gives the same namespace, a different one (almost surely) another.
 */
export function namespaceOf(backends: readonly { readonly name: string; readonly url: string }[]): string {
  const text = backends
    .map(({ name, url }) => `${name}|${url}`)
    .sort()
    .join("\n");
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/** An own data property: a getter is never run, a prototype never consulted. */
const own = (value: object, key: string): unknown => Object.getOwnPropertyDescriptor(value, key)?.value;

/**
 * What another process says, if it is sound: a known backend; for an owner an id (see {@link isOwnerId}),
 * otherwise a deployment name or `null`, a known reason, a finite non-negative duration (clamped to
 * `maxCooldownMs`) and an integer failure count (clamped). Anything else is `undefined`: a poisoned store
 * can at worst cool a backend for `maxCooldownMs`, or send a follow-up to another configured backend.
 * Reads own data properties only, so getters and prototypes play no part; never throws on plain data.
 */
export function parseUpdate(
  raw: unknown,
  isKnown: (backend: string) => boolean,
  maxCooldownMs: number,
): ValidUpdate | undefined {
  if (raw === null || typeof raw !== "object") return undefined;
  const type = own(raw, "type");
  const backend = own(raw, "backend");
  const deployment = own(raw, "deployment") ?? null;
  if (typeof backend !== "string" || !isKnown(backend)) return undefined;
  if (type === "owner") {
    const id = own(raw, "id");
    return isOwnerId(id) ? { type, backend, id } : undefined;
  }
  if (deployment !== null && (typeof deployment !== "string" || !isDeploymentName(deployment))) return undefined;
  if (type === "recovered") return { type, backend, deployment };
  if (type !== "cooldown") return undefined;
  const reason = own(raw, "reason");
  const remainingMs = own(raw, "remainingMs");
  const failures = own(raw, "failures") ?? 0;
  if (typeof reason !== "string" || !REASONS.includes(reason)) return undefined;
  if (typeof remainingMs !== "number" || !Number.isFinite(remainingMs) || remainingMs < 0) return undefined;
  if (typeof failures !== "number" || !Number.isFinite(failures)) return undefined;
  return {
    type,
    backend,
    deployment,
    reason: reason as CooldownReason,
    remainingMs: Math.min(remainingMs, maxCooldownMs),
    failures: Math.min(MAX_FAILURES, Math.max(0, Math.trunc(failures))),
  };
}

/**
 * Connects to the store. Every call into it is guarded: a store that throws, rejects or never
 * answers is reported and otherwise ignored, and the balancer works as a local one.
 */
export function connectShared(
  shared: SharedState,
  namespace: string,
  receive: (update: unknown) => void,
  report: (error: unknown) => void,
): SharedLink {
  let connection: SharedStateConnection | undefined;
  const link: SharedLink = {
    publish(update) {
      try {
        connection?.publish(update);
      } catch (error) {
        report(error);
      }
    },
    claim(backend, deployment, ttlMs) {
      try {
        if (connection === undefined) return Promise.reject(new Error("not connected"));
        return Promise.resolve(connection.claimProbe(backend, deployment, ttlMs));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    report,
    async close() {
      const closing = connection;
      connection = undefined;
      try {
        await closing?.close();
      } catch (error) {
        report(error);
      }
    },
  };
  try {
    connection = shared.connect({
      namespace,
      receive(update) {
        try {
          receive(update);
        } catch (error) {
          report(error);
        }
      },
      report,
    });
  } catch (error) {
    report(error);
  }
  return link;
}
