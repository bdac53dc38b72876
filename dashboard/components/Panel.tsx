import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { countdownLabel, plural } from "../format.ts";
import type { DashboardStore } from "../store.ts";
import { EventLog } from "./EventLog.tsx";
import { ShareLegend } from "./ShareBar.tsx";
import { Tiers } from "./Tiers.tsx";
import { TotalsView } from "./TotalsView.tsx";

const CONNECTION_LABELS = {
  connecting: "connecting…",
  disconnected: "disconnected, reconnecting…",
  unauthorized: "unauthorized: check the token",
} as const;

/**
 * The whole widget: a header with a collapse toggle (initially `collapsed`), then tiers, totals and the event log;
 * clock times and countdowns in `locale` (English by default, like the words around them).
 */
export function Panel(props: { store: DashboardStore; collapsed?: boolean; locale?: string }): JSX.Element {
  const { store } = props;
  const locale = props.locale ?? "en";
  const collapsed = useSignal(props.collapsed ?? false);
  const { snapshot, totals, log, unseen, connection } = store.state.value;
  const paused = store.paused.value;
  const { queue } = snapshot;
  const away = snapshot.backends.filter(
    (backend) =>
      backend.state !== "available" ||
      (backend.deployments ?? []).some((deployment) => deployment.state !== "available"),
  ).length;
  return (
    <section class={`panel${collapsed.value ? " collapsed" : ""}`} aria-label="Load balancer dashboard">
      <header class="header">
        <h2>Load balancer</h2>
        <span class="summary" aria-live="polite">
          {plural(snapshot.backends.length, "backend")} · {away === 0 ? "all available" : `${away} out of rotation`}
        </span>
        {/* `queue` is missing from the snapshot of a balancer of an older version. */}
        {queue && queue.waiting + queue.maxWaitedMs > 0 && (
          <span class="queue" data-waiting={queue.waiting}>
            {plural(queue.waiting, "request")} waiting
            {queue.waiting > 0 && `, oldest ${countdownLabel(queue.oldestWaitMs, 0, locale)}`} · max{" "}
            {countdownLabel(queue.maxWaitedMs, 0, locale)}
          </span>
        )}
        {connection !== null && connection !== "connected" && (
          <span class={`connection ${connection}`} role="status">
            {CONNECTION_LABELS[connection]}
          </span>
        )}
        <button
          type="button"
          class="collapse"
          aria-expanded={!collapsed.value}
          aria-controls="plb-body"
          aria-label={collapsed.value ? "Expand the dashboard" : "Collapse the dashboard"}
          onClick={() => (collapsed.value = !collapsed.value)}
        >
          {collapsed.value ? "Show" : "Hide"}
        </button>
      </header>
      <div class="body" id="plb-body" hidden={collapsed.value}>
        <Tiers snapshot={snapshot} store={store} locale={locale} />
        <ShareLegend />
        <h3>Totals</h3>
        <TotalsView totals={totals} />
        <EventLog
          entries={log}
          paused={paused}
          unseen={unseen}
          onTogglePause={() => store.setPaused(!paused)}
          locale={locale}
        />
      </div>
    </section>
  );
}
