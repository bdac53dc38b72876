import type { FetchFunction } from "../../src/index.js";

/**
 * A balancer cut down to the work every request of a real one does, for scale in the loopback benchmark: the
 * init copied with `redirect: "manual"`, a weighted random pick among three backends with in-flight counts, a
 * race of the fetch against the caller's abort (its listener added a microtask later, removed at the end), one
 * time-to-headers sample into a log-scale histogram, the status checked, and the response's `content-type` and
 * two `x-ratelimit-*` headers read. No validation, events, cooldowns, pacing, queue, stream guard or routing.
 * What `lb.fetch` costs beyond this is its own; what this costs is the price of balancing at all.
 */
export function skeletonBalancer(origins: readonly string[]): FetchFunction {
  const backends = origins.map((base) => ({ base, inFlight: 0, weight: 1, cooling: false }));
  const samples = new Float64Array(24);
  const pick = () => {
    let total = 0;
    for (const backend of backends) if (!backend.cooling) total += backend.weight;
    let point = Math.random() * total;
    for (const backend of backends) {
      if (backend.cooling) continue;
      point -= backend.weight;
      if (point < 0) return backend;
    }
    return backends[backends.length - 1]!;
  };
  const race = (pending: Promise<Response>, signal: AbortSignal | null | undefined): Promise<Response> => {
    if (!signal) return pending;
    let listener: (() => void) | undefined;
    return new Promise<Response>((resolve, reject) => {
      pending.then(resolve, reject);
      queueMicrotask(() => {
        listener = () => reject(signal.reason);
        signal.addEventListener("abort", listener);
      });
    }).finally(() => {
      if (listener) signal.removeEventListener("abort", listener);
    });
  };
  const send = async (url: string, init: RequestInit): Promise<Response> => {
    const started = performance.now();
    const response = await race(fetch(url, init), init.signal);
    const ms = performance.now() - started;
    samples[Math.min(23, Math.max(0, Math.floor(Math.log2(ms / 50) * 2)))]!++;
    return response;
  };
  return async (input, init) => {
    const copy: RequestInit = Object.assign({}, init);
    copy.redirect = "manual";
    const url = String(input);
    const path = url.slice(url.indexOf("/", url.indexOf("//") + 2));
    for (;;) {
      const backend = pick();
      backend.inFlight++;
      let response: Response;
      try {
        response = await send(backend.base + path, copy);
      } finally {
        backend.inFlight--;
      }
      if (response.status === 429 || response.status >= 500) {
        backend.cooling = true;
        continue;
      }
      const { headers } = response;
      headers.get("content-type");
      headers.get("x-ratelimit-remaining-requests");
      headers.get("x-ratelimit-remaining-tokens");
      return response;
    }
  };
}
