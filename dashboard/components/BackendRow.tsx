import type { ReadonlySignal } from "@preact/signals";
import type { ComponentChildren, JSX } from "preact";
import type { BackendSnapshot, DeploymentSnapshot } from "../../src/index.ts";
import { basisLabel, countdownLabel, plural, reasonLabel, timeLabel } from "../format.ts";
import type { RowState } from "../store.ts";
import { ShareBar } from "./ShareBar.tsx";

/** The counts under the bar: the snapshot's field and its label. */
const COUNTS = [
  ["requests", "sent"],
  ["successes", "ok"],
  ["throttles", "× 429"],
  ["errors", "err"],
  ["inFlight", "in flight"],
] as const;

/**
 * What a backend and a deployment both show: the name (and `children`, the backend's share), the state badge with a
 * countdown while `until` is ahead, the reason while out of rotation, and the pacing while anything limits it:
 * `3 of 5 in flight · from headers`, with the tokens left when it reported them.
 */
function Status(props: {
  item: BackendSnapshot | DeploymentSnapshot;
  now: number;
  locale: string;
  children?: ComponentChildren;
}): JSX.Element {
  const { item, now, locale } = props;
  // `state` is a string on purpose: states added by later versions render as their name.
  const { until, reason, consecutiveFailures, pacing } = item;
  const state: string = item.state;
  const counting = until !== null && until > now;
  const left = counting && countdownLabel(until, now, locale);
  // `pacing` is missing from the snapshot of a balancer of an older version.
  const tokens = pacing?.remainingTokens ?? -1;
  return (
    <>
      <div class="row">
        <span class="name" title={(item as BackendSnapshot).url}>
          {item.name}
        </span>
        {props.children}
        {/* A state without a style of its own (a later version's) gets the `.state` colour. */}
        <span class={`state ${state}`}>
          {state}
          {left && (
            <>
              {" · "}
              <span class="countdown" role="timer" aria-label={`back in ${left}`}>
                {left}
              </span>
            </>
          )}
        </span>
      </div>
      {reason !== null && (
        <div class="detail reason">
          {reasonLabel(reason)}
          {counting && ` · back at ${timeLabel(until, locale).slice(0, 8)}`}
          {consecutiveFailures > 1 && ` · ${consecutiveFailures} failures in a row`}
        </div>
      )}
      {pacing && (
        <div class="detail pacing">
          {pacing.allowed === null ? pacing.reserved : `${pacing.reserved} of ${pacing.allowed}`} in flight ·{" "}
          {basisLabel(pacing.basis)}
          {tokens >= 0 && ` · ${plural(tokens, "token")} left`}
        </div>
      )}
    </>
  );
}

/**
 * One backend: state as text and colour, countdown and reason while out of rotation, pacing, its deployments with
 * rotation state of their own (a 429 is kept per deployment), counts and share bar.
 * It reads its own `row` signal, so it re-renders when that changes and not when another backend does.
 */
export function BackendRow(props: {
  row: ReadonlySignal<RowState>;
  /** For clock times and countdowns. */
  locale: string;
}): JSX.Element {
  const { locale } = props;
  const { backend, now, total, scale } = props.row.value;
  const share = total === 0 ? 0 : Math.round((backend.requests / total) * 100);
  return (
    <li
      class="backend"
      data-backend={backend.name}
      data-state={backend.state}
      aria-label={`${backend.name}: ${backend.state}`}
    >
      <Status item={backend} now={now} locale={locale}>
        <span class="share">{share}% of requests</span>
      </Status>
      {(backend.deployments ?? []).length > 0 && (
        <ul class="deployments" aria-label={`Deployments of ${backend.name}`}>
          {backend.deployments.map((deployment) => (
            <li
              class="deployment"
              key={deployment.name}
              data-deployment={deployment.name}
              data-state={deployment.state}
            >
              <Status item={deployment} now={now} locale={locale} />
            </li>
          ))}
        </ul>
      )}
      <ShareBar backend={backend} scale={scale} />
      <div class="detail counts">
        {COUNTS.map(([count, label], i) => (
          <>
            {i > 0 && " · "}
            <span data-count={count}>
              {backend[count]} {label}
            </span>
          </>
        ))}
        {backend.lastStatus !== null && ` · last status ${backend.lastStatus}`}
      </div>
    </li>
  );
}
