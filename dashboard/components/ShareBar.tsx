import type { JSX } from "preact";
import type { BackendSnapshot } from "../../src/index.ts";

const pct = (part: number, whole: number): string => `${whole === 0 ? 0 : (part / whole) * 100}%`;

/** The bar's segments: their class (`seg-…`) and their legend. */
const SEGMENTS = [
  ["success", "success"],
  ["throttle", "429"],
  ["error", "error"],
  ["pending", "in flight"],
] as const;

/**
 * One backend's attempts as a bar whose full width is the busiest backend's attempts: successes,
 * throttles and errors as segments with different fills (colour plus pattern), in flight or
 * otherwise unsettled attempts as the rest.
 */
export function ShareBar({ backend, scale }: { backend: BackendSnapshot; scale: number }): JSX.Element {
  const { requests, successes, throttles, errors } = backend;
  const parts = [successes, throttles, errors, Math.max(0, requests - successes - throttles - errors)];
  const label = `${successes} successes, ${throttles} throttled, ${errors} errors of ${requests} attempts`;
  return (
    <div class="bar" role="img" aria-label={label} title={label}>
      {SEGMENTS.map(([name], i) => (
        <span class={`seg-${name}`} style={{ width: pct(parts[i]!, scale) }} />
      ))}
    </div>
  );
}

/** The legend of {@link ShareBar}. */
export function ShareLegend(): JSX.Element {
  return (
    <p class="detail" aria-hidden="true">
      {SEGMENTS.map(([name, legend]) => (
        <span class="key">
          <i class={`seg-${name}`} />
          {legend}
        </span>
      ))}
    </p>
  );
}
