import type { BackendSnapshot, LoadBalancerEvent, QueueSnapshot, Snapshot } from "../../src/index.js";
import type { DashboardBalancer } from "../../dashboard/index.js";

/** A balancer double that counts its active listeners and whose snapshot a test sets. */
export interface FakeBalancer extends DashboardBalancer {
  readonly activeListeners: number;
  emit(event: LoadBalancerEvent): void;
  setBackends(backends: BackendSnapshot[]): void;
  /** The snapshot's queue from now on (initially nobody waits, nobody waited). */
  setQueue(queue: QueueSnapshot): void;
}

/** A backend snapshot with zero counts, available, overridable (fields of later core versions included). */
export function backendSnapshot(overrides: Partial<BackendSnapshot> & { name: string }): BackendSnapshot {
  const snapshot = {
    url: `https://${overrides.name}.example`,
    priority: 1,
    weight: 1,
    state: "available",
    until: null,
    reason: null,
    inFlight: 0,
    requests: 0,
    successes: 0,
    throttles: 0,
    errors: 0,
    lastStatus: null,
    consecutiveFailures: 0,
    kind: null,
    deployments: [],
    ...overrides,
  };
  return snapshot as BackendSnapshot;
}

export function createFakeBalancer(backends: BackendSnapshot[] = [backendSnapshot({ name: "ptu" })]): FakeBalancer {
  const listeners = new Set<(event: LoadBalancerEvent) => void>();
  let current = backends;
  let queue: QueueSnapshot = { waiting: 0, oldestWaitMs: 0, maxWaitedMs: 0 };
  const fake = {
    get activeListeners() {
      return listeners.size;
    },
    on(type: string, listener: (event: LoadBalancerEvent) => void): () => void {
      const entry = (event: LoadBalancerEvent): void => {
        if (type === "*" || type === event.type) listener(event);
      };
      listeners.add(entry);
      return () => listeners.delete(entry);
    },
    snapshot: (): Snapshot => ({
      at: Date.now(),
      backends: current,
      queue,
    }),
    emit(event: LoadBalancerEvent): void {
      for (const listener of listeners) listener(event);
    },
    setBackends(next: BackendSnapshot[]): void {
      current = next;
    },
    setQueue(next: QueueSnapshot): void {
      queue = next;
    },
  };
  return fake as FakeBalancer;
}
