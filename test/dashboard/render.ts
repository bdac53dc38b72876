import { act } from "preact/test-utils";
import { afterEach, beforeEach, vi } from "vitest";
import { mountDashboard, type DashboardBalancer, type MountDashboardOptions } from "../../dashboard/index.js";

/** A mounted dashboard and ways to look into its shadow root. */
export interface Mounted {
  readonly host: HTMLElement;
  readonly root: ShadowRoot;
  unmount(): void;
  /** The element for `selector`; throws when there is none. */
  get(selector: string): HTMLElement;
  all(selector: string): HTMLElement[];
  /** Normalised text of `selector`. */
  text(selector: string): string;
}

/** Mounted and not unmounted yet: {@link useFakeClock} unmounts them after each test. */
const live = new Set<Mounted>();

/**
 * What every widget test file needs: fake timers at `t0` before each test; after each, whatever is still
 * mounted is unmounted, stubs and spies are undone (they hold the fake timers' functions), and timers are real again.
 */
export function useFakeClock(t0: number): void {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(t0);
  });
  afterEach(() => {
    for (const mounted of [...live]) mounted.unmount();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
    vi.useRealTimers();
  });
}

/** Mounts with Preact's renders flushed synchronously (`act`); {@link useFakeClock} unmounts it after the test. */
export function mount(lb: DashboardBalancer, element?: Element, options?: MountDashboardOptions): Mounted {
  let unmount = (): void => {};
  act(() => {
    unmount = mountDashboard(lb, element, options);
  });
  const hosts = document.querySelectorAll<HTMLElement>("plb-dashboard");
  const host = hosts[hosts.length - 1];
  if (hosts.length !== 1 || host?.shadowRoot == null)
    throw new Error(`expected one dashboard with a shadow root, found ${hosts.length}`);
  const root = host.shadowRoot;
  const all = (selector: string): HTMLElement[] => [...root.querySelectorAll<HTMLElement>(selector)];
  const get = (selector: string): HTMLElement => {
    const element = root.querySelector<HTMLElement>(selector);
    if (element === null) throw new Error(`nothing matches ${selector}`);
    return element;
  };
  const mounted: Mounted = {
    host,
    root,
    unmount: () => {
      live.delete(mounted);
      act(() => unmount());
    },
    get,
    all,
    text: (selector) => (get(selector).textContent ?? "").replace(/\s+/g, " ").trim(),
  };
  live.add(mounted);
  return mounted;
}

/** Clicks and flushes the render it causes. */
export function click(element: HTMLElement): void {
  act(() => element.click());
}

/** Runs timers by `ms` (fake timers) and flushes the renders they cause. */
export function advance(ms: number): void {
  act(() => {
    vi.advanceTimersByTime(ms);
  });
}

/** Runs fake timers to the next animation frame and flushes the renders it causes. */
export function nextFrame(): void {
  act(() => {
    vi.advanceTimersToNextFrame();
  });
}
