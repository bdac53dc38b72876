import type { LoadBalancer } from "../src/index.ts";

/**
 * What the dashboard needs of a balancer: its public `on` and `snapshot`. Typed structurally, so
 * any object with these two methods (another instance of the package, a test double) works.
 */
export type DashboardBalancer = Pick<LoadBalancer, "on" | "snapshot">;
