export { lease } from "./lease.js";
export type { Lease, LeaseOptions, LeaseOutcome, LeaseUnavailable } from "../types/lease.js";
