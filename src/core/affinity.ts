/**
 * Affinity by id: the Responses, Files, Batches, Vector Stores and Uploads APIs keep state on the
 * server that created it. Ids seen in that server's answers are remembered here, so that a later
 * request naming one goes to the backend that can know it.
 */

/**
 * The collections whose ids belong to one backend, right after the API root (`/v1`, Azure's `/openai`, or none):
 * a request path with one of these can name an id. The rest of the path is captured.
 */
const STATEFUL =
  /^[^?]*?(?:^|\/v1|\/openai)\/(?:responses|files|batches|uploads|vector_stores|fine_tuning|conversations|containers)(\/[^?]*)?(?:\?|$)/;

/** Request body fields that name an id owned by a backend, at any depth (`tools[].vector_store_ids` too). */
const ID_FIELDS: ReadonlySet<string> = new Set([
  "previous_response_id",
  "response_id",
  "file_id",
  "file_ids",
  "input_file_id",
  "training_file",
  "validation_file",
  "vector_store_id",
  "vector_store_ids",
  "upload_id",
  "conversation",
]);

/** Response fields that name an id the responding backend owns: an object's own `id`, a batch's output files. */
const CREATED_FIELDS = ["id", "output_file_id", "error_file_id"] as const;

// The last path tested and the answer (a pure function's memo, one entry: the same paths come again and again).
let lastPath = "";
let lastStateful = false;

/** Whether a request to this path can name an id or create one; only those have their bodies read. */
export function isStatefulPath(pathAndQuery: string): boolean {
  if (pathAndQuery !== lastPath) {
    lastStateful = STATEFUL.test(pathAndQuery);
    lastPath = pathAndQuery;
  }
  return lastStateful;
}

/**
 * Path segments after the first stateful collection: `/v1/vector_stores/vs_1/files/file-2` → `vs_1`,
 * `files`, `file-2`. Segments that are not ids (`files`, `input_items`) are simply never found in the map.
 */
function pathIds(pathAndQuery: string, into: string[]): void {
  const rest = STATEFUL.exec(pathAndQuery)?.[1];
  if (rest === undefined) return;
  for (const segment of rest.split("/")) {
    if (segment === "") continue;
    try {
      into.push(decodeURIComponent(segment));
    } catch {
      into.push(segment);
    }
  }
}

function collect(value: unknown, into: string[], depth: number): void {
  // A request body is the caller's own; the depth bound only keeps a hostile one from costing much.
  if (depth > 8 || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (const item of value) collect(item, into, depth + 1);
    return;
  }
  for (const [key, field] of Object.entries(value)) {
    if (ID_FIELDS.has(key)) {
      if (typeof field === "string") into.push(field);
      else if (Array.isArray(field)) {
        for (const item of field) if (typeof item === "string") into.push(item);
      } else if (field !== null && typeof field === "object") {
        // `conversation` may be `{ id }`.
        const { id } = field as { id?: unknown };
        if (typeof id === "string") into.push(id);
      }
    } else collect(field, into, depth + 1);
  }
}

/**
 * The ids a request to a stateful path names, in its path and its JSON body (as `jsonBody` parses it);
 * the caller reads bodies for stateful paths only, never for chat completions.
 */
export function referencedIds(pathAndQuery: string, json: unknown): string[] {
  const ids: string[] = [];
  pathIds(pathAndQuery, ids);
  collect(json, ids, 0);
  return ids;
}

/** The ids a JSON object from a backend says that backend owns. */
export function createdIds(json: unknown): string[] {
  const ids: string[] = [];
  if (json === null || typeof json !== "object" || Array.isArray(json)) return ids;
  for (const field of CREATED_FIELDS) {
    const value = (json as Record<string, unknown>)[field];
    if (typeof value === "string" && value !== "") ids.push(value);
  }
  return ids;
}

/** Where an id lives: the backend's name (names, never URLs: an entry can be shared with other processes). */
export type Owner = string;

/**
 * A bounded map of ids to their owners, least recently used first out. `onRemember` sees every entry
 * learned here (the seam where shared state can publish owners to other processes); `learn` takes
 * one learned elsewhere without calling it back.
 */
export class OwnerMap {
  readonly #owners = new Map<string, Owner>();
  readonly #capacity: number;
  /** Sees every entry remembered here (not those learned); set once, by the balancer that shares state. */
  onRemember: ((id: string, owner: Owner) => void) | undefined;

  constructor(capacity: number, onRemember?: (id: string, owner: Owner) => void) {
    this.#capacity = capacity;
    this.onRemember = onRemember;
  }

  get size(): number {
    return this.#owners.size;
  }

  /** The owner of `id`, if known; a hit makes the entry the most recently used. */
  ownerOf(id: string): Owner | undefined {
    const owner = this.#owners.get(id);
    if (owner !== undefined) {
      this.#owners.delete(id);
      this.#owners.set(id, owner);
    }
    return owner;
  }

  /** The first known owner of the ids, in the order given; `undefined` when none is known. */
  ownerOfAny(ids: readonly string[]): { id: string; owner: Owner } | undefined {
    for (const id of ids) {
      const owner = this.ownerOf(id);
      if (owner !== undefined) return { id, owner };
    }
    return undefined;
  }

  /** Remembers that `owner` created `id` (and tells `onRemember`). */
  remember(id: string, owner: Owner): void {
    this.learn(id, owner);
    this.onRemember?.(id, owner);
  }

  /** Takes an entry learned elsewhere (another process); does not call `onRemember`. */
  learn(id: string, owner: Owner): void {
    if (this.#capacity <= 0) return;
    this.#owners.delete(id);
    this.#owners.set(id, owner);
    if (this.#owners.size > this.#capacity) {
      // A Map iterates in insertion order, and every use re-inserts: the first key is the least recently used.
      this.#owners.delete(this.#owners.keys().next().value!);
    }
  }
}
