/**
 * A devtools dashboard for `openai-priority-loadbalancer`, a separate entry so the core never loads it.
 *
 * @example
 * import { mountDashboard } from "openai-priority-loadbalancer/dashboard";
 * const unmount = mountDashboard(lb);
 *
 * @module
 */
export { mountDashboard } from "./mount.tsx";
export type { MountDashboardOptions } from "./mount.tsx";
export type { DashboardBalancer } from "./types.ts";
export { remoteBalancer } from "./remote.ts";
export type { ConnectionState, RemoteBalancer, RemoteBalancerOptions } from "./remote.ts";
