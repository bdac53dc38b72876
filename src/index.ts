export { createLoadBalancer } from "./core/create.ts";
export { parseCooldownMs, parseDuration } from "./core/cooldown.ts";
export type {
  BackendConfig,
  FetchFunction,
  HeaderTimeouts,
  LoadBalancerOptions,
  LogFields,
  Logger,
  SelectionStrategy,
  StickyOptions,
} from "./types/options.ts";
export type { AdapterRequest, AttemptTarget, BackendAdapter, Spillover } from "./types/adapter.ts";
export type {
  AttemptEvent,
  BackendInfo,
  CooldownEvent,
  CooldownReason,
  DequeuedEvent,
  EventOfType,
  ExhaustedEvent,
  OutcomeEvent,
  LoadBalancerEvent,
  LoadBalancerEventType,
  PacedEvent,
  PacingBasis,
  ProbeEvent,
  QueuedEvent,
  RecoveryEvent,
  ResponseEvent,
  StreamEvent,
  ThrottleReason,
  WaitReason,
} from "./types/events.ts";
export type {
  BackendSnapshot,
  BackendState,
  DeploymentSnapshot,
  LoadBalancer,
  PacingSnapshot,
  QueueSnapshot,
  Snapshot,
} from "./types/balancer.ts";
export type { SharedState, SharedStateConnection, SharedStateContext, SharedUpdate } from "./types/shared.ts";
