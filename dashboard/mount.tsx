import { render } from "preact";
import { Panel } from "./components/Panel.tsx";
import { DashboardStore } from "./store.ts";
import { styles } from "./styles.ts";
import type { DashboardBalancer } from "./types.ts";

/** Options of {@link mountDashboard}. */
export interface MountDashboardOptions {
  /** BCP 47 locale for clock times and countdowns, e.g. `"de"`. Default `"en"`. */
  readonly locale?: string;
}

/**
 * Shows a live dashboard of a load balancer: tiers, cooldowns with countdowns, the distribution of
 * requests, totals and recent events. It listens through `lb.on("*")` and reads `lb.snapshot()` only.
 *
 * @param lb - The balancer (anything with its `on` and `snapshot`).
 * @param element - Where to put the widget; without it, a collapsible panel floats in the bottom-right corner of the page.
 * @param options - `locale`: a BCP 47 tag for clock times and countdowns (`Intl`); the words stay English. Default `"en"`.
 * @returns `unmount`: removes the listener, the pending frame, the countdown timer and the widget's DOM. Idempotent.
 *
 * @example
 * const unmount = mountDashboard(lb);
 */
export function mountDashboard(lb: DashboardBalancer, element?: Element, options?: MountDashboardOptions): () => void {
  const host = document.createElement("plb-dashboard");
  if (element === undefined) host.setAttribute("data-floating", "");
  const root = host.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = styles;
  const container = document.createElement("div");
  root.append(style, container);
  (element ?? document.body).append(host);

  const store = new DashboardStore(lb);
  // Floating over a narrow page it would cover the content: it starts collapsed there (its header stays).
  const narrow = element === undefined && globalThis.matchMedia?.("(max-width: 1000px)").matches === true;
  render(<Panel store={store} collapsed={narrow} locale={options?.locale} />, container);

  let mounted = true;
  return () => {
    if (!mounted) return;
    mounted = false;
    store.dispose();
    render(null, container);
    host.remove();
  };
}
