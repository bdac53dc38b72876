/** A response in OpenAI's error shape, so SDKs report it as they would the service's own. */
function errorResponse(
  status: number,
  message: string,
  type: string,
  code: string,
  headers?: Record<string, string>,
): Response {
  return Response.json({ error: { message, type, param: null, code } }, { status, headers });
}

/**
 * The answer when no backend can take a request: a 429 whose `retry-after-ms` (which the OpenAI
 * SDK honours first) and `retry-after` (whole seconds, rounded up) give the time until the soonest
 * backend is back.
 */
export function exhaustedResponse(retryAfterMs: number, backendCount: number): Response {
  const ms = Math.ceil(retryAfterMs);
  const seconds = Math.ceil(ms / 1000);
  const message = `All ${backendCount} backend(s) are cooling down; retry in ${seconds} s.`;
  return errorResponse(429, message, "rate_limit_exceeded", "all_backends_cooling_down", {
    "retry-after": String(seconds),
    "retry-after-ms": String(ms),
  });
}

/**
 * The answer when no backend accepts the request at all (no adapter serves its model or its API
 * shape): a 404, as the service itself answers an unknown model, naming the model when it is known.
 */
export function unservableResponse(model?: string): Response {
  const message =
    model === undefined
      ? "No backend serves this request's model or API shape: check the backends' models maps and URLs."
      : `No backend serves the model ${JSON.stringify(model)}: add it to a backend's models map (or leave a backend without one, to serve every model).`;
  return errorResponse(404, message, "invalid_request_error", "model_not_found");
}
