import type { JSX } from "preact";
import type { BackendSnapshot } from "../../src/index.js";
import { countdownLabel, reasonLabel, timeLabel } from "../format.js";
import { ShareBar } from "./ShareBar.js";

const STYLED_STATES = new Set(["available", "cooling", "ejected", "probing"]);

/** One backend: state as text and colour, countdown and reason while out of rotation, counts and share bar. */
export function BackendRow(props: {
  backend: BackendSnapshot;
  now: number;
  total: number;
  scale: number;
}): JSX.Element {
  const { backend, now, total, scale } = props;
  // `state` is a string on purpose: states added by later versions render as their name.
  const state: string = backend.state;
  const stateClass = STYLED_STATES.has(state) ? state : "other";
  const counting = backend.until !== null && backend.until > now;
  const share = total === 0 ? 0 : Math.round((backend.requests / total) * 100);
  return (
    <li class="backend" data-backend={backend.name} data-state={state} aria-label={`${backend.name}: ${state}`}>
      <div class="row">
        <span class="name" title={backend.url}>
          {backend.name}
        </span>
        <span class="share">{share}% of requests</span>
        <span class={`state ${stateClass}`}>
          {state}
          {counting && (
            <>
              {" · "}
              <span class="countdown" role="timer" aria-label={`back in ${countdownLabel(backend.until!, now)}`}>
                {countdownLabel(backend.until!, now)}
              </span>
            </>
          )}
        </span>
      </div>
      {backend.reason !== null && (
        <div class="detail reason">
          {reasonLabel(backend.reason)}
          {counting && ` · back at ${timeLabel(backend.until!).slice(0, 8)}`}
          {backend.consecutiveFailures > 1 && ` · ${backend.consecutiveFailures} failures in a row`}
        </div>
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
