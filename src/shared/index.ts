export { broadcastChannelState } from "./broadcast-channel-state.ts";
export type { BroadcastChannelStateOptions } from "./options.ts";
