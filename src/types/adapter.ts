/** A request as an adapter sees it: read once, the same object for every attempt of one call. */
export interface AdapterRequest {
  /** Path and query of the caller's URL, e.g. `/openai/deployments/d/chat/completions?api-version=v`. */
  readonly pathAndQuery: string;
  readonly method: string;
  /** The caller's init, with a body that can be sent again (never a one-shot stream). */
  readonly init: RequestInit;
}

/** Where one attempt goes and what it carries. */
export interface AttemptTarget {
  readonly url: string;
  readonly init: RequestInit;
}

/** A request the provider itself moved from one deployment to another (Azure's provisioned spillover). */
export interface Spillover {
  /** The deployment it spilled from, when the provider says. */
  readonly from: string | null;
  /** The deployment that served it, when the provider says. */
  readonly to: string | null;
  /** The deployment it spilled to failed as well. */
  readonly failed: boolean;
}

/**
 * Shapes requests for one backend: the seam where API dialects (Azure deployments, OpenAI-style
 * APIs) live, outside the core. `openai-priority-loadbalancer/providers` has the ready-made ones.
 */
export interface BackendAdapter {
  /** A short name for snapshots and dashboards, e.g. `"azure"`. */
  readonly kind: string;
  /** Can this backend take the request at all (its API can express it, it serves the model)? Checked before it is chosen. */
  accepts(request: AdapterRequest): boolean;
  /**
   * The attempt for this backend. `base` is the backend's origin and path prefix, without a trailing slash.
   * May be async (a token provider); if it throws, the backend cools down (`credentials`) and the request fails over.
   */
  target(request: AdapterRequest, base: string): AttemptTarget | Promise<AttemptTarget>;
  /**
   * The deployment or model whose quota this request draws on at this backend (the Azure deployment it
   * is sent to, the model of a model-in-body API), so that a 429 there leaves the backend's other
   * deployments in rotation. `undefined`, or no method: the backend as a whole.
   */
  scope?(request: AdapterRequest): string | undefined;
  /**
   * Whether a response says the provider spilled the request over to another deployment of this backend
   * (`azure()` reads Azure's headers). A spilled request has been to this backend's spillover deployment
   * already: the balancer does not send it to this backend's origin again.
   */
  spillover?(headers: Headers): Spillover | undefined;
}
