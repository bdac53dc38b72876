/** A wait in OpenAI's `x-ratelimit-reset-*` form: `347ms` below a second, else seconds such as `1s` or `1.25s`. */
export function formatResetDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  return `${Number((ms / 1000).toFixed(3))}s`;
}
