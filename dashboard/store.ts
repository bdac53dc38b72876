import { signal, type ReadonlySignal, type Signal } from "@preact/signals";
import type { BackendSnapshot, LoadBalancerEvent, Snapshot } from "../src/index.ts";
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

/** What one backend's row shows. */
export interface RowState {
  readonly backend: BackendSnapshot;
  /** The snapshot's time, for the countdowns; kept as it was while the row counts nothing down. */
  readonly now: number;
  /** Requests sent to every backend, for this one's share. */
  readonly total: number;
  /** The most requests any backend was sent, the full width of a share bar. */
  readonly scale: number;
}

const isRemote = (lb: DashboardBalancer): lb is RemoteBalancer =>
  typeof (lb as Partial<RemoteBalancer>).watch === "function";

/** Countdowns and the queue's oldest wait are re-read this often while a backend is cooling or a request waits. */
const TICK_MS = 1000;

// `deployments` may be missing from the snapshot of an older balancer (a remote one).
const isCounting = ({ backends, at }: Pick<Snapshot, "backends" | "at">): boolean =>
  backends.some((backend) =>
    [backend, ...(backend.deployments ?? [])].some((item) => item.until !== null && item.until > at),
  );

/**
 * The dashboard's model. Events are folded into counters as they come (cheap), and the state
 * signal is replaced at most once per animation frame, so a burst costs one render per frame.
 */
export class DashboardStore {
  readonly #lb: DashboardBalancer;
  readonly #state: Signal<DashboardState>;
  readonly #paused = signal(false);
  // One signal per backend, replaced only when what its row shows changes: a frame re-renders those rows only.
  readonly #rows = new Map<string, { row: Signal<RowState>; key: string }>();
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
    const state = this.#read();
    this.#updateRows(state.snapshot);
    this.#state = signal(state);
    this.#updateTick();
  }

  /** What to render. */
  get state(): ReadonlySignal<DashboardState> {
    return this.#state;
  }

  /** The row of a backend of {@link state}'s snapshot: changes only when that row would show something else. */
  row(name: string): ReadonlySignal<RowState> {
    return this.#rows.get(name)!.row;
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
    const state = this.#read();
    // Rows first: the state's renders find a row for every backend.
    this.#updateRows(state.snapshot);
    this.#state.value = state;
    this.#updateTick();
  }

  #updateRows({ backends, at }: Snapshot): void {
    const total = backends.reduce((sum, backend) => sum + backend.requests, 0);
    const scale = Math.max(1, ...backends.map((backend) => backend.requests));
    for (const backend of backends) {
      const next = { backend, now: at, total, scale };
      // The time matters to a row only while it counts down.
      const key = JSON.stringify([backend, total, scale, isCounting({ backends: [backend], at }) && at]);
      const current = this.#rows.get(backend.name);
      if (current === undefined) this.#rows.set(backend.name, { row: signal(next), key });
      else if (current.key !== key) {
        current.key = key;
        current.row.value = next;
      }
    }
  }

  #updateTick(): void {
    const { snapshot } = this.#state.value;
    // Countdowns tick, and so does the oldest wait while requests wait.
    const counting = isCounting(snapshot) || snapshot.queue?.waiting > 0;
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
