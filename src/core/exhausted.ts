/**
 * The answer when no backend can take a request: a 429 in OpenAI's error shape whose
 * `retry-after-ms` (which the OpenAI SDK honours first) and `retry-after` (whole seconds,
 * rounded up) give the time until the soonest backend is back.
 */
export function exhaustedResponse(retryAfterMs: number, backendCount: number): Response {
  const ms = Math.ceil(retryAfterMs);
  const seconds = Math.ceil(ms / 1000);
  const message =
    `All ${backendCount} backend${backendCount === 1 ? " is" : "s are"} cooling down or failed for this request; ` +
    `the soonest is back in ${seconds} s.`;
  const body = JSON.stringify({
    error: { message, type: "rate_limit_exceeded", param: null, code: "all_backends_cooling_down" },
  });
  return new Response(body, {
    status: 429,
    statusText: "Too Many Requests",
    headers: {
      "content-type": "application/json",
      "retry-after": String(seconds),
      "retry-after-ms": String(ms),
    },
  });
}

/**
 * The answer when no backend is configured to serve the requested model (or can express the
 * request at all): a 404 in OpenAI's error shape, as the service itself answers an unknown model.
 */
export function unservableResponse(model: string | undefined): Response {
  const message =
    model === undefined
      ? "No backend of this load balancer can serve this request: its path is in no shape the backends' kinds accept."
      : `No backend of this load balancer serves the model ${JSON.stringify(model)}: add it to a backend's models map.`;
  return Response.json(
    { error: { message, type: "invalid_request_error", param: "model", code: "model_not_found" } },
    { status: 404, statusText: "Not Found" },
  );
}
