import { http, HttpResponse, type HttpResponseResolver } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll } from "vitest";

/** An msw server for the test file: unhandled requests fail the test, handlers reset after each test. */
export function useMsw(): ReturnType<typeof setupServer> {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}

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
