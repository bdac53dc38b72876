export { broadcastChannelState } from "./broadcast-channel-state.js";
export type { BroadcastChannelStateOptions } from "./options.js";
