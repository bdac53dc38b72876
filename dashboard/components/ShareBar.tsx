import type { JSX } from "preact";
import type { BackendSnapshot } from "../../src/index.ts";

const pct = (part: number, whole: number): string => `${whole === 0 ? 0 : (part / whole) * 100}%`;

/**
 * One backend's attempts as a bar whose full width is the busiest backend's attempts: successes,
 * throttles and errors as segments with different fills (colour plus pattern), in flight or
 * otherwise unsettled attempts as the rest.
 */
export function ShareBar({ backend, scale }: { backend: BackendSnapshot; scale: number }): JSX.Element {
  const { requests, successes, throttles, errors } = backend;
  const pending = Math.max(0, requests - successes - throttles - errors);
  const label = `${successes} successes, ${throttles} throttled, ${errors} errors of ${requests} attempts`;
  return (
    <div class="bar" role="img" aria-label={label} title={label}>
      <span class="seg-success" style={{ width: pct(successes, scale) }} />
      <span class="seg-throttle" style={{ width: pct(throttles, scale) }} />
      <span class="seg-error" style={{ width: pct(errors, scale) }} />
      <span class="seg-pending" style={{ width: pct(pending, scale) }} />
    </div>
  );
}

/** The legend of {@link ShareBar}. */
export function ShareLegend(): JSX.Element {
  return (
    <p class="detail" aria-hidden="true">
      <span class="key">
        <i class="seg-success" />
        success
      </span>
      <span class="key">
        <i class="seg-throttle" />
        429
      </span>
      <span class="key">
        <i class="seg-error" />
        error
      </span>
      <span class="key">
        <i class="seg-pending" />
        in flight
      </span>
    </p>
  );
}
