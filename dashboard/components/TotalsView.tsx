import type { JSX } from "preact";
import { averageAttempts, type Totals } from "../totals.ts";

/** Requests, responses by status class, synthetic 429s and attempts per request since mounting. */
export function TotalsView({ totals }: { totals: Totals }): JSX.Element {
  const classes = Object.keys(totals.byClass).sort();
  // [key, label, value, description]
  const items: Array<[string, string, string, string?]> = [
    ["requests", "Requests", String(totals.requests)],
    ...classes.map((key): [string, string, string] => [key, `${key} responses`, String(totals.byClass[key])]),
    [
      "synthetic429",
      "Synthetic 429",
      String(totals.synthetic429),
      "429s answered by the balancer: every backend was cooling",
    ],
    ["attempts", "Avg attempts", averageAttempts(totals).toFixed(2), "Average attempts per request"],
  ];
  return (
    <dl class="totals" aria-label="Totals since the dashboard was mounted">
      {items.map(([key, label, value, description]) => (
        <div key={key} data-total={key} title={description}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
