import { http, type HttpHandler } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type Answer, type Received, SimulatedBackends } from "./backends.js";

/** An msw server for one test file: an unhandled request fails the test; handlers reset after each test. */
export function useMsw(): ReturnType<typeof setupServer> {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}

/** msw handlers that serve `backends` on the global `fetch`: one per route, any method, any path below it. */
export function mswHandlers(backends: SimulatedBackends): HttpHandler[] {
  return backends.routes().map((route) =>
    http.all(`${route}/*`, async ({ request }) => {
      try {
        return await backends.handle(request, request.signal, route);
      } catch {
        // A network error; after an abort the client has already rejected, whatever is returned.
        return Response.error();
      }
    }),
  );
}

/** One simulated backend behind msw: `server.use(b.handler)`, then assert on `b.hits`. */
export interface MswBackend {
  readonly handler: HttpHandler;
  /** What it received, in order. */
  readonly hits: Received[];
  /** Its POST requests only (the openai package probes its `fetch` with a GET of `data:,` before uploads). */
  readonly posts: () => Received[];
}

/** A simulated backend at `route` (an origin, or origin and path prefix) answering with `answer`, behind msw. */
export function backend(route: string, answer: Answer): MswBackend {
  const backends = new SimulatedBackends({ [route]: answer });
  const [handler] = mswHandlers(backends);
  return {
    handler: handler!,
    hits: backends.received,
    posts: () => backends.received.filter((hit) => hit.method === "POST"),
  };
}
