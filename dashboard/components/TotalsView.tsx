import type { JSX } from "preact";
import { averageAttempts, type Totals } from "../totals.js";

/** Requests, responses by status class, synthetic 429s and attempts per request since mounting. */
export function TotalsView({ totals }: { totals: Totals }): JSX.Element {
  const classes = Object.keys(totals.byClass).sort();
  const items: Array<[string, string, string]> = [
    ["requests", "Requests", String(totals.requests)],
    ...classes.map((key): [string, string, string] => [key, `${key} responses`, String(totals.byClass[key])]),
    ["synthetic429", "Synthetic 429", String(totals.synthetic429)],
    ["attempts", "Attempts / request", averageAttempts(totals).toFixed(2)],
  ];
  return (
    <dl class="totals" aria-label="Totals since the dashboard was mounted">
      {items.map(([key, label, value]) => (
        <div key={key} data-total={key}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
