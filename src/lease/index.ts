export { lease } from "./lease.ts";
export type { Lease, LeaseOptions, LeaseOutcome, LeaseUnavailable } from "../types/lease.ts";
