import type { JSX } from "preact";
import { timeLabel } from "../format.ts";
import type { LogEntry } from "../log.ts";

/** The recent events, newest first, with a pause toggle. */
export function EventLog(props: {
  entries: readonly LogEntry[];
  paused: boolean;
  unseen: number;
  onTogglePause: () => void;
  /** For the clock times. */
  locale: string;
}): JSX.Element {
  const { entries, paused, unseen, onTogglePause, locale } = props;
  return (
    <section aria-label="Recent events">
      <div class="log-head">
        <h3>Recent events{paused ? ` · paused${unseen > 0 ? `, ${unseen} new` : ""}` : ""}</h3>
        <button type="button" class="pause" aria-pressed={paused} onClick={onTogglePause}>
          {paused ? "Resume" : "Pause"}
        </button>
      </div>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable list must be reachable by keyboard to scroll it */}
      <ol class="log" tabIndex={0} aria-label="Events, newest first">
        {entries.length === 0 && <li class="empty">No events yet.</li>}
        {entries.map((entry) => (
          <li key={entry.id} data-type={entry.type}>
            <time dateTime={new Date(entry.at).toISOString()}>{timeLabel(entry.at, locale)}</time>
            <span class={`type ${entry.type}`}>{entry.type}</span>
            <span class="text">{entry.text}</span>
            {entry.count > 1 && <span class="repeats">{` × ${entry.count}`}</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}
