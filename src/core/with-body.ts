/**
 * The response the caller gets: the same status and headers, the given body. A constructed Response has
 * an empty url, and SDKs quote it in errors, so the original's is kept.
 */
export function withBody(response: Response, body: ReadableStream<Uint8Array>): Response {
  const copy = new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  Object.defineProperty(copy, "url", { value: response.url });
  return copy;
}
