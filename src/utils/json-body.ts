/** A request body as JSON, when it is JSON text or bytes; `undefined` for anything else (multipart, streams). */
export function jsonBody(body: RequestInit["body"]): unknown {
  const text =
    typeof body === "string"
      ? body
      : body instanceof Uint8Array || body instanceof ArrayBuffer
        ? new TextDecoder().decode(body)
        : undefined;
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
