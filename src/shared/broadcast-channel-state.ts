import type { SharedState, SharedStateConnection, SharedStateContext, SharedUpdate } from "../types/shared.ts";
import { unrefTimer } from "../utils/timers.ts";
import { MAX_TIMER_MS, monotonicNow, randomId } from "./clock.ts";
import { KnownCooldowns, KnownOwners, looksLikeUpdate } from "./known.ts";
import {
  resolveBroadcastOptions,
  type BroadcastChannelStateOptions,
  type ResolvedBroadcastOptions,
} from "./options.ts";
import { targetId } from "./target.ts";

/** Every message on the channel; `from` is the sender's connection id. */
type Message =
  | { readonly v: 1; readonly from: string; readonly kind: "update"; readonly update: SharedUpdate }
  | { readonly v: 1; readonly from: string; readonly kind: "hello" }
  | { readonly v: 1; readonly from: string; readonly kind: "state"; readonly to: string; readonly updates: unknown[] }
  | { readonly v: 1; readonly from: string; readonly kind: "claim"; readonly target: string; readonly nonce: string }
  | { readonly v: 1; readonly from: string; readonly kind: "taken"; readonly target: string; readonly nonce: string };

type Outgoing = Message extends infer M ? (M extends Message ? Omit<M, "v" | "from"> : never) : never;

const CHANNEL_PREFIX = "openai-priority-loadbalancer:";
/** Owners a balancer keeps to tell a late joiner: the recent ones are those follow-ups name. */
const MAX_KNOWN_OWNERS = 1000;

/**
 * State shared through a `BroadcastChannel` between the balancers of one origin (tabs, workers) or of one
 * process (Node, Deno and Bun worker threads; in Node it never spans processes: use `redisState` there).
 * Cooldowns are broadcast as they happen; a balancer that joins late says hello and the others answer with
 * their current cooldowns, in remaining milliseconds, and the latest 1000 owners of stateful-API ids.
 *
 * The probe lease is best effort, by messages: a claimer announces its claim and waits `claimWindowMs`;
 * a holder of the lease objects, and of claims that cross, the one with the smaller nonce wins. Web Locks
 * would be exact but Node 20 and Bun lack them, and balancers that used two mechanisms would not exclude
 * each other. Call `lb.close()` when done: Deno cannot unref a channel, so an open one keeps it running.
 *
 * @example
 * const lb = createLoadBalancer({ backends, shared: broadcastChannelState({ name: "chat" }) });
 */
export function broadcastChannelState(options?: BroadcastChannelStateOptions): SharedState {
  const resolved = resolveBroadcastOptions(options);
  if (typeof BroadcastChannel !== "function")
    throw new TypeError("broadcastChannelState: this runtime has no BroadcastChannel");
  return { connect: (context) => new BroadcastConnection(resolved, context) };
}

class BroadcastConnection implements SharedStateConnection {
  readonly #options: ResolvedBroadcastOptions;
  readonly #context: SharedStateContext;
  readonly #channel: BroadcastChannel;
  readonly #id = randomId();
  readonly #known = new KnownCooldowns();
  readonly #owners = new KnownOwners(MAX_KNOWN_OWNERS);
  /** Leases this process holds: target → deadline on the monotonic clock. */
  readonly #leases = new Map<string, number>();
  /** Claims waiting for objections: target → nonce and whether it lost. */
  readonly #claims = new Map<string, { readonly nonce: string; lost: boolean }>();
  /** Pending claim windows: timer → its resolve, so that close() ends them at once. */
  readonly #timers = new Map<ReturnType<typeof setTimeout>, () => void>();
  #closed = false;

  constructor(options: ResolvedBroadcastOptions, context: SharedStateContext) {
    this.#options = options;
    this.#context = context;
    this.#channel = new BroadcastChannel(CHANNEL_PREFIX + (options.name ?? context.namespace));
    // Node and Bun can let the process exit with the channel open; Deno cannot (hence lb.close()).
    (this.#channel as { unref?(): void }).unref?.();
    this.#channel.addEventListener("message", (event) => this.#receive(event.data));
    this.#channel.addEventListener("messageerror", () =>
      context.report(new Error("broadcastChannelState: a message could not be deserialised")),
    );
    this.#post({ kind: "hello" });
  }

  publish(update: SharedUpdate): void {
    if (this.#closed) return;
    this.#record(update);
    if (update.type === "recovered") this.#leases.delete(targetId(update.backend, update.deployment));
    this.#post({ kind: "update", update });
  }

  async claimProbe(backend: string, deployment: string | null, ttlMs: number): Promise<boolean> {
    const target = targetId(backend, deployment);
    if (this.#closed || this.#holds(target) || this.#claims.has(target)) return false;
    const claim = { nonce: randomId(), lost: false };
    this.#claims.set(target, claim);
    this.#post({ kind: "claim", target, nonce: claim.nonce });
    await this.#sleep(this.#options.claimWindowMs);
    this.#claims.delete(target);
    if (claim.lost || this.#closed) return false;
    this.#leases.set(target, monotonicNow() + Math.min(Math.max(0, ttlMs), MAX_TIMER_MS));
    return true;
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const [timer, resolve] of this.#timers) {
      clearTimeout(timer);
      resolve();
    }
    this.#timers.clear();
    this.#channel.close();
    return Promise.resolve();
  }

  #receive(data: unknown): void {
    if (this.#closed || data === null || typeof data !== "object") return;
    const message = data as Message;
    if (message.v !== 1 || message.from === this.#id) return;
    switch (message.kind) {
      case "update":
        if (looksLikeUpdate(message.update)) {
          this.#record(message.update);
          if (message.update.type === "recovered")
            this.#leases.delete(targetId(message.update.backend, message.update.deployment));
        }
        this.#context.receive(message.update);
        return;
      case "hello":
        this.#post({ kind: "state", to: message.from, updates: [...this.#known.current(), ...this.#owners.current()] });
        return;
      case "state":
        if (message.to !== this.#id || !Array.isArray(message.updates)) return;
        for (const update of message.updates) {
          if (looksLikeUpdate(update)) this.#record(update);
          this.#context.receive(update);
        }
        return;
      case "claim": {
        const mine = this.#claims.get(message.target);
        if (this.#holds(message.target) || (mine !== undefined && !mine.lost && mine.nonce < message.nonce))
          this.#post({ kind: "taken", target: message.target, nonce: message.nonce });
        else if (mine !== undefined) mine.lost = true;
        return;
      }
      case "taken": {
        const mine = this.#claims.get(message.target);
        if (mine?.nonce === message.nonce) mine.lost = true;
        return;
      }
    }
  }

  #record(update: SharedUpdate): void {
    this.#known.record(update);
    this.#owners.record(update);
  }

  #holds(target: string): boolean {
    const deadline = this.#leases.get(target);
    if (deadline === undefined) return false;
    if (deadline > monotonicNow()) return true;
    this.#leases.delete(target);
    return false;
  }

  #post(message: Outgoing): void {
    try {
      this.#channel.postMessage({ v: 1, from: this.#id, ...message });
    } catch (error) {
      this.#context.report(error);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      unrefTimer(timer);
      this.#timers.set(timer, resolve);
    });
  }
}
