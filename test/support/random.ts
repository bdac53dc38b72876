/** A seeded pseudo-random source in [0, 1) (mulberry32), so simulated latencies and failures repeat across runs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Counts the answers of `n` sequential calls by the name `nameOf` gives each response (e.g. the backend that served it). */
export async function distribution(
  call: () => Promise<Response>,
  n: number,
  nameOf: (response: Response) => string,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = nameOf(await call());
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}
