import { signal, type ReadonlySignal, type Signal } from "@preact/signals";
import type { LoadBalancerEvent, Snapshot } from "../src/index.ts";
import { EventLog, type LogEntry } from "./log.ts";
import { scheduleFrame, type CancelFrame } from "./schedule.ts";
import { TotalsCounter, type Totals } from "./totals.ts";
import type { ConnectionState, RemoteBalancer } from "./remote.ts";
import type { DashboardBalancer } from "./types.ts";

/** Everything one render shows. */
export interface DashboardState {
  readonly snapshot: Snapshot;
  readonly totals: Totals;
  /** The log as shown: newest first; frozen while paused. */
  readonly log: readonly LogEntry[];
  /** Events logged since the log was paused. */
  readonly unseen: number;
  /** The stream's state for a {@link RemoteBalancer}; `null` for a balancer in this page. */
  readonly connection: ConnectionState | null;
}

const isRemote = (lb: DashboardBalancer): lb is RemoteBalancer =>
  typeof (lb as Partial<RemoteBalancer>).watch === "function";

/** Countdowns are re-read this often while a backend is cooling. */
const TICK_MS = 1000;

// `deployments` may be missing from the snapshot of an older balancer (a remote one).
const isCounting = (snapshot: Snapshot): boolean =>
  snapshot.backends.some((backend) =>
    [backend, ...(backend.deployments ?? [])].some((item) => item.until !== null && item.until > snapshot.at),
  );

/**
 * The dashboard's model. Events are folded into counters as they come (cheap), and the state
 * signal is replaced at most once per animation frame, so a burst costs one render per frame.
 */
export class DashboardStore {
  readonly #lb: DashboardBalancer;
  readonly #state: Signal<DashboardState>;
  readonly #paused = signal(false);
  readonly #totals = new TotalsCounter();
  readonly #log = new EventLog();
  #frozen: { log: readonly LogEntry[]; total: number } | null = null;
  #cancelFrame: CancelFrame | null = null;
  #tick: ReturnType<typeof setTimeout> | null = null;
  #unsubscribe: (() => void) | null;

  constructor(lb: DashboardBalancer) {
    this.#lb = lb;
    const off = lb.on("*", (event) => this.#onEvent(event));
    // A remote balancer's snapshot and connection change without an event.
    const unwatch = isRemote(lb) ? lb.watch(() => this.#scheduleFlush()) : undefined;
    this.#unsubscribe = () => {
      off();
      unwatch?.();
    };
    this.#state = signal(this.#read());
    this.#updateTick();
  }

  /** What to render. */
  get state(): ReadonlySignal<DashboardState> {
    return this.#state;
  }

  /** Whether the log is paused. */
  get paused(): ReadonlySignal<boolean> {
    return this.#paused;
  }

  /** Freezes the log as it is shown now, or lets it follow the events again. */
  setPaused(paused: boolean): void {
    if (paused === this.#paused.value) return;
    this.#frozen = paused ? { log: this.#state.value.log, total: this.#log.total } : null;
    this.#paused.value = paused;
    this.#flush();
  }

  /** Unsubscribes from the balancer and cancels the pending frame and the countdown timer. Idempotent. */
  dispose(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#cancelFrame?.();
    this.#cancelFrame = null;
    if (this.#tick !== null) clearTimeout(this.#tick);
    this.#tick = null;
  }

  #onEvent(event: LoadBalancerEvent): void {
    this.#totals.add(event);
    this.#log.add(event);
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#cancelFrame === null && this.#unsubscribe !== null) {
      this.#cancelFrame = scheduleFrame(() => {
        this.#cancelFrame = null;
        this.#flush();
      });
    }
  }

  #read(): DashboardState {
    const frozen = this.#frozen;
    return {
      // May close an ended cooldown, which emits `recovery` and schedules the next frame.
      snapshot: this.#lb.snapshot(),
      totals: this.#totals.read(),
      log: frozen === null ? this.#log.recent() : frozen.log,
      unseen: frozen === null ? 0 : this.#log.total - frozen.total,
      connection: isRemote(this.#lb) ? this.#lb.connection : null,
    };
  }

  #flush(): void {
    if (this.#unsubscribe === null) return;
    this.#state.value = this.#read();
    this.#updateTick();
  }

  #updateTick(): void {
    const counting = isCounting(this.#state.value.snapshot);
    if (counting && this.#tick === null) {
      this.#tick = setTimeout(() => {
        this.#tick = null;
        this.#flush();
      }, TICK_MS);
    } else if (!counting && this.#tick !== null) {
      clearTimeout(this.#tick);
      this.#tick = null;
    }
  }
}
