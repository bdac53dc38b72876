import { http, HttpResponse, type HttpResponseResolver } from "msw";

/** What one simulated backend received. */
export interface Hit {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A simulated backend at `origin` (any method, any path below it) that records what it receives. */
export function backend(origin: string, resolver: HttpResponseResolver) {
  const hits: Hit[] = [];
  const handler = http.all(`${origin}/*`, async (info) => {
    hits.push({
      url: info.request.url,
      headers: Object.fromEntries(info.request.headers),
      body: await info.request.clone().text(),
    });
    return resolver(info);
  });
  return { handler, hits };
}

export { http, HttpResponse };
export { useMsw } from "../support/msw.js";
