export { createLoadBalancer } from "./core/create.js";
export { parseCooldownMs, parseDuration } from "./core/cooldown.js";
export type {
  BackendConfig,
  FetchFunction,
  LoadBalancerOptions,
  LogFields,
  Logger,
  SelectionStrategy,
  StickyOptions,
} from "./types/options.js";
export type { AdapterRequest, AttemptTarget, BackendAdapter, Spillover } from "./types/adapter.js";
export type {
  AttemptEvent,
  BackendInfo,
  CooldownEvent,
  CooldownReason,
  EventOfType,
  ExhaustedEvent,
  OutcomeEvent,
  LoadBalancerEvent,
  LoadBalancerEventType,
  ProbeEvent,
  RecoveryEvent,
  ResponseEvent,
  ThrottleReason,
} from "./types/events.js";
export type { BackendSnapshot, BackendState, DeploymentSnapshot, LoadBalancer, Snapshot } from "./types/balancer.js";
export type { SharedState, SharedStateConnection, SharedStateContext, SharedUpdate } from "./types/shared.js";
