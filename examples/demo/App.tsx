import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import type { AzureOpenAI } from "openai";
import { BackendControls } from "./BackendControls.js";
import { simulatedBackends } from "./backends.js";
import { results, sendBurst, sendOne, sendStreamed, startSteadyLoad } from "./client.js";

/** The demo page: requests to send, what came back, and the simulated backends' knobs. */
export function App({ client }: { client: AzureOpenAI }): JSX.Element {
  const rate = useSignal(2);
  // Traffic from the start, so the dashboard is not all zeros; `?idle` starts quiet (the e2e test counts exact requests).
  const steady = useSignal(!new URLSearchParams(location.search).has("idle"));
  useEffect(() => (steady.value ? startSteadyLoad(client, () => rate.value) : undefined), [steady.value]);
  return (
    <main>
      <h1>openai-priority-loadbalancer demo</h1>
      <p class="lead">
        Four simulated Azure OpenAI deployments (msw in a service worker), the real <code>openai</code> SDK, and the
        balancer as its <code>fetch</code>. Send a burst: the PTU serves its 10 requests, answers 429 with{" "}
        <code>retry-after</code> and cools down, and the rest spill over to priority 2. Take down both pay-as-you-go
        deployments and priority 3 takes over.
      </p>

      <section aria-labelledby="send">
        <h2 id="send">Send</h2>
        <div class="buttons">
          <button type="button" onClick={() => void sendOne(client)}>
            One request
          </button>
          <button type="button" onClick={() => void sendBurst(client, 20)}>
            Burst of 20
          </button>
          <button type="button" onClick={() => void sendStreamed(client)} disabled={results.streaming.value}>
            Streamed completion
          </button>
        </div>
        <div class="steady">
          <button type="button" aria-pressed={steady.value} onClick={() => (steady.value = !steady.value)}>
            {steady.value ? "Stop steady load" : "Start steady load"}
          </button>
          <label for="rate">Rate</label>
          <input
            id="rate"
            type="range"
            min={1}
            max={20}
            value={rate.value}
            onInput={(event) => (rate.value = event.currentTarget.valueAsNumber)}
          />
          <output for="rate">{rate.value} requests/s</output>
        </div>
      </section>

      <section aria-labelledby="got">
        <h2 id="got">What the application got</h2>
        <p class="results">
          <span data-result="ok">{results.ok.value} × 200</span> ·{" "}
          <span data-result="429">{results.rateLimited.value} × 429</span> ·{" "}
          <span data-result="failed">{results.failed.value} failed</span>
        </p>
        <p class="muted last">{results.last.value}</p>
        <pre class="stream" role="log" aria-live="polite" aria-label="Streamed completion">
          {results.streamed.value || "The streamed completion appears here."}
        </pre>
      </section>

      <section aria-labelledby="backends">
        <h2 id="backends">Simulated backends</h2>
        {simulatedBackends.map((backend) => (
          <BackendControls key={backend.name} backend={backend} />
        ))}
      </section>
    </main>
  );
}
