import type { JSX } from "preact";
import type { Snapshot } from "../../src/index.ts";
import { tiersOf } from "../tiers.ts";
import { BackendRow } from "./BackendRow.tsx";

/** The backends grouped by tier, tier 1 (tried first) on top. */
export function Tiers({ snapshot, locale }: { snapshot: Snapshot; locale: string }): JSX.Element {
  const total = snapshot.backends.reduce((sum, backend) => sum + backend.requests, 0);
  const scale = Math.max(1, ...snapshot.backends.map((backend) => backend.requests));
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
              <BackendRow
                key={backend.name}
                backend={backend}
                now={snapshot.at}
                total={total}
                scale={scale}
                locale={locale}
              />
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
