/** The value at quantile `q` (0…1) of `values`, linearly interpolated; `NaN` for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const lowValue = sorted[low]!;
  return lowValue + (sorted[high]! - lowValue) * (position - low);
}

/** The median of `values`. */
export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** Rounds to `digits` significant decimals for display and JSON (keeps integers as they are). */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
