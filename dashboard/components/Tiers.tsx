import type { JSX } from "preact";
import type { Snapshot } from "../../src/index.ts";
import type { DashboardStore } from "../store.ts";
import { tiersOf } from "../tiers.ts";
import { BackendRow } from "./BackendRow.tsx";

/** The backends grouped by tier, tier 1 (tried first) on top. */
export function Tiers(props: { snapshot: Snapshot; store: DashboardStore; locale: string }): JSX.Element {
  const { snapshot, store, locale } = props;
  return (
    <div>
      {tiersOf(snapshot).map((tier) => (
        <section
          class="tier"
          data-priority={tier.priority}
          aria-label={`Priority ${tier.priority}`}
          key={tier.priority}
        >
          <h3>Priority {tier.priority}</h3>
          <ul>
            {tier.backends.map((backend) => (
              <BackendRow key={backend.name} row={store.row(backend.name)} locale={locale} />
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
