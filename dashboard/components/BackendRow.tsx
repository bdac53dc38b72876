import type { ReadonlySignal } from "@preact/signals";
import type { JSX } from "preact";
import type { DeploymentSnapshot } from "../../src/index.ts";
import { countdownLabel, reasonLabel, timeLabel } from "../format.ts";
import type { RowState } from "../store.ts";
import { ShareBar } from "./ShareBar.tsx";

const STYLED_STATES = new Set(["available", "cooling", "ejected", "probing"]);

/** A state badge, with a countdown while `until` is ahead. */
function StateBadge(props: { state: string; until: number | null; now: number; locale: string }): JSX.Element {
  const { state, until, now, locale } = props;
  const counting = until !== null && until > now;
  return (
    <span class={`state ${STYLED_STATES.has(state) ? state : "other"}`}>
      {state}
      {counting && (
        <>
          {" · "}
          <span class="countdown" role="timer" aria-label={`back in ${countdownLabel(until, now, locale)}`}>
            {countdownLabel(until, now, locale)}
          </span>
        </>
      )}
    </span>
  );
}

/** One deployment with rotation state of its own, under its backend (a 429 is kept per deployment). */
function DeploymentRow(props: { deployment: DeploymentSnapshot; now: number; locale: string }): JSX.Element {
  const { deployment, now, locale } = props;
  const state: string = deployment.state;
  const counting = deployment.until !== null && deployment.until > now;
  return (
    <li class="deployment" data-deployment={deployment.name} data-state={state}>
      <div class="row">
        <span class="name">{deployment.name}</span>
        <StateBadge state={state} until={deployment.until} now={now} locale={locale} />
      </div>
      {deployment.reason !== null && (
        <div class="detail reason">
          {reasonLabel(deployment.reason)}
          {counting && ` · back at ${timeLabel(deployment.until!, locale).slice(0, 8)}`}
        </div>
      )}
    </li>
  );
}

/**
 * One backend: state as text and colour, countdown and reason while out of rotation, counts and share bar.
 * It reads its own `row` signal, so it re-renders when that changes and not when another backend does.
 */
export function BackendRow(props: {
  row: ReadonlySignal<RowState>;
  /** For clock times and countdowns. */
  locale: string;
}): JSX.Element {
  const { locale } = props;
  const { backend, now, total, scale } = props.row.value;
  // `state` is a string on purpose: states added by later versions render as their name.
  const state: string = backend.state;
  const counting = backend.until !== null && backend.until > now;
  const share = total === 0 ? 0 : Math.round((backend.requests / total) * 100);
  return (
    <li class="backend" data-backend={backend.name} data-state={state} aria-label={`${backend.name}: ${state}`}>
      <div class="row">
        <span class="name" title={backend.url}>
          {backend.name}
        </span>
        <span class="share">{share}% of requests</span>
        <StateBadge state={state} until={backend.until} now={now} locale={locale} />
      </div>
      {backend.reason !== null && (
        <div class="detail reason">
          {reasonLabel(backend.reason)}
          {counting && ` · back at ${timeLabel(backend.until!, locale).slice(0, 8)}`}
          {backend.consecutiveFailures > 1 && ` · ${backend.consecutiveFailures} failures in a row`}
        </div>
      )}
      {(backend.deployments ?? []).length > 0 && (
        <ul class="deployments" aria-label={`Deployments of ${backend.name}`}>
          {backend.deployments.map((deployment) => (
            <DeploymentRow key={deployment.name} deployment={deployment} now={now} locale={locale} />
          ))}
        </ul>
      )}
      <ShareBar backend={backend} scale={scale} />
      <div class="detail counts">
        <span data-count="requests">{backend.requests} sent</span> ·{" "}
        <span data-count="successes">{backend.successes} ok</span> ·{" "}
        <span data-count="throttles">{backend.throttles} × 429</span> ·{" "}
        <span data-count="errors">{backend.errors} err</span> ·{" "}
        <span data-count="inFlight">{backend.inFlight} in flight</span>
        {backend.lastStatus !== null && ` · last status ${backend.lastStatus}`}
      </div>
    </li>
  );
}
