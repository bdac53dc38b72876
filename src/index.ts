export { createLoadBalancer } from "./core/create.js";
export { parseCooldownMs, parseDuration } from "./core/cooldown.js";
export type {
  BackendConfig,
  BackendKind,
  FetchFunction,
  LoadBalancerOptions,
  Logger,
  SelectionStrategy,
  TokenProvider,
} from "./types/options.js";
export type {
  AttemptEvent,
  BackendInfo,
  EventOfType,
  ExhaustedEvent,
  LoadBalancerEvent,
  LoadBalancerEventType,
  ProbeEvent,
  RecoveryEvent,
  ResponseEvent,
  ThrottleEvent,
  ThrottleReason,
} from "./types/events.js";
export type { BackendSnapshot, BackendState, LoadBalancer, Snapshot } from "./types/balancer.js";
