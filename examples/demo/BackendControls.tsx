import type { JSX } from "preact";
import type { SimulatedBackend } from "./backends.js";

/** The knobs of one simulated backend: latency, rate of 500s, take down. */
export function BackendControls({ backend }: { backend: SimulatedBackend }): JSX.Element {
  const id = (what: string): string => `${backend.name}-${what}`;
  return (
    <fieldset class="backend">
      <legend>
        <strong>{backend.name}</strong>{" "}
        <span class="muted">
          priority {backend.priority} · {backend.label} · {backend.limit} requests per {backend.windowMs / 1000} s
        </span>
      </legend>
      <label for={id("latency")}>Latency</label>
      <input
        id={id("latency")}
        type="range"
        min={0}
        max={3000}
        step={50}
        value={backend.latencyMs.value}
        onInput={(event) => (backend.latencyMs.value = event.currentTarget.valueAsNumber)}
      />
      <output for={id("latency")}>{backend.latencyMs.value} ms</output>
      <label for={id("errors")}>500s</label>
      <input
        id={id("errors")}
        type="range"
        min={0}
        max={100}
        step={5}
        value={Math.round(backend.errorRate.value * 100)}
        onInput={(event) => (backend.errorRate.value = event.currentTarget.valueAsNumber / 100)}
      />
      <output for={id("errors")}>{Math.round(backend.errorRate.value * 100)} %</output>
      <label class="switch">
        <input
          type="checkbox"
          checked={backend.down.value}
          onChange={(event) => (backend.down.value = event.currentTarget.checked)}
        />
        Take down (network error)
      </label>
    </fieldset>
  );
}
