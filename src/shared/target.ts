/**
 * One string for a backend and deployment, unambiguous whatever the names contain:
 * `encodeURIComponent` escapes `:`, so `a:b` (backend `a`, deployment `b`) and `a%3Ab` (backend `a:b`) differ.
 */
export function targetId(backend: string, deployment: string | null): string {
  const name = encodeURIComponent(backend);
  return deployment === null ? name : `${name}:${encodeURIComponent(deployment)}`;
}
