import type * as Package from "../../src/index.js";
import type { Registry } from "./harness.js";

/** The package under test, as a runtime imported it (the built `dist/index.js`, or the JSR entry's TypeScript sources). */
export type Lib = typeof Package;

/** What the runtime's runner provides besides the package. */
export interface Platform {
  /** Runtime and version, e.g. `node v20.20.2`. */
  readonly runtime: string;
  /** Origin of a local HTTP server that this runtime started, answering with `handleBackendRequest`. */
  readonly serverUrl: string;
  /** An `http:` origin on which nothing listens. */
  readonly closedUrl: string;
}

/** What each file of cases registers its tests with. */
export interface Context {
  readonly t: Registry;
  readonly lib: Lib;
  readonly platform: Platform;
}

/**
 * The URL the client asks for; the balancer replaces its origin with the chosen backend's. An OpenAI-style
 * path, so that state is kept for the backend as a whole (an Azure deployment path has state of its own:
 * {@link DEPLOYMENT_API}).
 */
export const API = "https://api.example.com/v1/chat/completions?api-version=2024-10-21";

/** {@link API}'s path and query, as every backend should receive it. */
export const API_PATH = "/v1/chat/completions?api-version=2024-10-21";

/** An Azure deployment URL for `deployment`: its 429s take that deployment, not the backend, out of rotation. */
export const DEPLOYMENT_API = (deployment: string): string =>
  `https://api.example.com/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`;
