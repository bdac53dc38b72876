/**
 * The top-level `"model"` of a JSON object body, found and replaced without parsing the whole body: a
 * 50 MB prompt is neither decoded, parsed, re-serialised nor encoded again. The scan walks the top-level
 * object only (nested values are skipped, their strings jumped over with a native `indexOf`); whatever it
 * is unsure about (an escaped key, anything unexpected) it leaves to `JSON.parse`.
 */

/** Where the top-level `"model"` value is: `[start, end)` in code units (text) or bytes (UTF-8). */
export interface ModelSpan {
  readonly start: number;
  readonly end: number;
}

/** A body as text or as UTF-8 bytes; JSON's structural characters are ASCII, the same code in both. */
type Source = string | Uint8Array;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const codeAt = (source: Source, index: number): number =>
  typeof source === "string" ? source.charCodeAt(index) : (source[index] ?? Number.NaN);

const isSpace = (code: number): boolean => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;

function skipSpace(source: Source, index: number): number {
  while (isSpace(codeAt(source, index))) index++;
  return index;
}

/** The index just after the string that opens at `index`, or -1 when it does not close. */
function skipString(source: Source, index: number): number {
  let from = index + 1;
  for (;;) {
    const close = typeof source === "string" ? source.indexOf('"', from) : source.indexOf(QUOTE, from);
    if (close === -1) return -1;
    let backslashes = 0;
    while (codeAt(source, close - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return close + 1;
    from = close + 1;
  }
}

/** The index just after the value that starts at `index`, or -1 when unsure. */
function skipValue(source: Source, index: number): number {
  const first = codeAt(source, index);
  if (first === QUOTE) return skipString(source, index);
  if (first === 0x7b || first === 0x5b) {
    let depth = 0;
    for (let at = index; at < source.length; ) {
      const code = codeAt(source, at);
      if (code === QUOTE) {
        at = skipString(source, at);
        if (at === -1) return -1;
        continue;
      }
      if (code === 0x7b || code === 0x5b) depth++;
      else if ((code === 0x7d || code === 0x5d) && --depth === 0) return at + 1;
      at++;
    }
    return -1;
  }
  // A number or a literal: up to the next delimiter.
  let at = index;
  for (let code = codeAt(source, at); at < source.length; code = codeAt(source, ++at)) {
    if (code === 0x2c || code === 0x7d || code === 0x5d || isSpace(code)) break;
  }
  return at === index ? -1 : at;
}

const slice = (source: Source, start: number, end: number): string =>
  typeof source === "string" ? source.slice(start, end) : new TextDecoder().decode(source.subarray(start, end));

/**
 * Scans a JSON object body's top level.
 * @returns the span of the last top-level `"model"` value (JSON.parse keeps the last too), `null` when the
 * object has none, `undefined` when the body is not an object this scan can vouch for.
 */
export function findModel(source: Source): ModelSpan | null | undefined {
  let at = skipSpace(source, 0);
  if (codeAt(source, at) !== 0x7b) return undefined;
  at = skipSpace(source, at + 1);
  let found: ModelSpan | null = null;
  if (codeAt(source, at) === 0x7d) return skipSpace(source, at + 1) === source.length ? null : undefined;
  for (;;) {
    if (codeAt(source, at) !== QUOTE) return undefined;
    const keyEnd = skipString(source, at);
    if (keyEnd === -1) return undefined;
    const key = slice(source, at + 1, keyEnd - 1);
    if (key.includes("\\")) return undefined; // an escaped key may spell "model": JSON.parse decides
    at = skipSpace(source, keyEnd);
    if (codeAt(source, at) !== 0x3a) return undefined;
    const start = skipSpace(source, at + 1);
    const end = skipValue(source, start);
    if (end === -1) return undefined;
    if (key === "model") found = { start, end };
    at = skipSpace(source, end);
    const next = codeAt(source, at);
    if (next === 0x7d) break;
    if (next !== 0x2c) return undefined;
    at = skipSpace(source, at + 1);
  }
  return skipSpace(source, at + 1) === source.length ? found : undefined;
}

/** The value at a span, parsed (it is small); `undefined` when it is not valid JSON. */
export function valueAt(source: Source, span: ModelSpan): unknown {
  try {
    return JSON.parse(slice(source, span.start, span.end));
  } catch {
    return undefined;
  }
}

/**
 * At most this many code units (text) or bytes per Blob part. A runtime reads a Blob part by part (Node gives
 * each part as one chunk, copied), so small parts keep each attempt's copies small and short-lived.
 */
export const PART = 2 ** 20;

/**
 * `[start, end)` of the source as parts of at most `size`, never cutting a surrogate pair in two (a half on
 * its own would be encoded as U+FFFD).
 */
export function partsOf(source: Source, start: number, end: number, size: number = PART): BlobPart[] {
  const parts: BlobPart[] = [];
  while (start < end) {
    let cut = Math.min(end, start + size);
    if (typeof source === "string" && cut < end && cut - start > 1 && (source.charCodeAt(cut - 1) & 0xfc00) === 0xd800)
      cut--;
    parts.push((typeof source === "string" ? source.slice(start, cut) : source.subarray(start, cut)) as BlobPart);
    start = cut;
  }
  return parts;
}

/**
 * The body cut once around its top-level model's value (at `span`; `null`: just inside the opening brace, where
 * a `"model"` member is added): the bytes before and after it, encoded once into two Blobs. Each call gives
 * the body with another value (JSON text) in between, a Blob that holds nothing of its own: the body is
 * neither decoded, parsed, re-serialised nor encoded again per attempt, and fetch streams a Blob with its
 * length instead of copying a string or buffer body whole. A text body keeps the content type fetch gives
 * a string.
 */
export function modelSplicer(source: Source, span: ModelSpan | null): (value: string) => Blob {
  let open = "";
  let close = "";
  let at = span;
  if (at === null) {
    const inside = skipSpace(source, 0) + 1;
    at = { start: inside, end: inside };
    open = '"model":';
    close = codeAt(source, skipSpace(source, inside)) === 0x7d ? "" : ",";
  }
  const before = new Blob(partsOf(source, 0, at.start));
  const after = new Blob(partsOf(source, at.end, source.length));
  const type = typeof source === "string" ? "text/plain;charset=UTF-8" : "";
  return (value) => new Blob([before, open + value + close, after], { type });
}
