// One balancer's side of the BroadcastChannel cases, run inside a worker or a page: it answers
// commands from the test driver. Runtime-neutral; the runner wires `post` and `listen`.
import type { SharedStateConnection, SharedUpdate } from "../../../src/types/shared.js";
import type { BroadcastChannelStateOptions } from "../../../src/shared/index.js";
import { recorder } from "./recorder.js";

/** A command from the driver; `id` pairs it with its answer. */
export interface PeerCommand {
  readonly id: number;
  readonly op: "connect" | "publish" | "claim" | "received" | "close";
  readonly args: readonly unknown[];
}

/** The answer to one command. */
export interface PeerAnswer {
  readonly id: number;
  readonly result?: unknown;
  readonly error?: string;
}

/** What the peer needs of the package: the `openai-priority-loadbalancer/shared` entry. */
export interface SharedEntry {
  broadcastChannelState(options?: BroadcastChannelStateOptions): {
    connect(context: ReturnType<typeof recorder>): SharedStateConnection;
  };
}

/** Answers the driver's commands for one connection. */
export function servePeer(lib: SharedEntry, post: (answer: PeerAnswer) => void): (command: PeerCommand) => void {
  let connection: SharedStateConnection | undefined;
  const context = recorder("peer");
  const run = async ({ op, args }: PeerCommand): Promise<unknown> => {
    switch (op) {
      case "connect":
        connection = lib.broadcastChannelState(args[0] as BroadcastChannelStateOptions).connect(context);
        return true;
      case "publish":
        connection?.publish(args[0] as SharedUpdate);
        return true;
      case "claim":
        return connection?.claimProbe(args[0] as string, args[1] as string | null, args[2] as number);
      case "received":
        return context.received;
      case "close":
        await connection?.close();
        return true;
    }
  };
  return (command) => {
    run(command).then(
      (result) => post({ id: command.id, result }),
      (error: unknown) => post({ id: command.id, error: String(error) }),
    );
  };
}
