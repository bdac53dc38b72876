import type { TestProject } from "vitest/node";
import { refusedUrl, serveBackends } from "../support/server.js";
import { conformanceBackends, ROUTES } from "./backends.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The real-socket URL of each conformance route. */
    conformanceUrls: Record<string, string>;
    refusedUrl: string;
  }
}

/** Serves the conformance backends from Node for the browser run, with CORS so the page may call them. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const served = await serveBackends(conformanceBackends(), { cors: true });
  project.provide(
    "conformanceUrls",
    Object.fromEntries(Object.values(ROUTES).map((route) => [route, served.url(route)])),
  );
  project.provide("refusedUrl", await refusedUrl());
  return () => served.close();
}
