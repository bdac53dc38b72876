import type { CooldownReason } from "../types/events.js";
import type { FailoverCandidate, FailoverDecision, FailoverOptions } from "../types/options.js";
import { concat } from "./sse.js";
import { CONTENT_FILTER_CODES } from "./stream-guard.js";

/** The `failoverOn` option, validated. */
export interface FailoverRules {
  readonly contextLength: boolean;
  readonly credentials: boolean;
  readonly contentFilter: boolean;
  readonly statuses: ReadonlySet<number>;
  readonly when: ((candidate: FailoverCandidate) => FailoverDecision) | undefined;
}

/** Sends the request on to the next backend; `cool: false` leaves this one in rotation. */
export interface RuleFailover {
  readonly reason?: CooldownReason;
  readonly cool: boolean;
  /** The cooldown a rule asked for; otherwise the loop's default. */
  readonly cooldownMs?: number;
  readonly status: number;
  /**
   * The response, re-created from the bytes read, for the caller when no other backend can take the
   * request (set when this backend was not cooled: the answer is the caller's, not a 429 of the balancer's).
   */
  readonly fallback?: Response;
}

/** A rule's verdict on a response: the caller's (`deliver`, byte-identical), or a failover. */
export type RuleVerdict = { readonly deliver: Response } | { readonly failover: RuleFailover };

/** Error bodies larger than this are not read: they are handed back, or judged without their `error`. */
export const MAX_ERROR_BODY = 64 * 1024;

const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json\b/i;

/**
 * Validates `failoverOn`; throws a TypeError naming the field at fault.
 * @param fail - the options' error reporter, `(field, value, expected) => never`
 */
export function resolveFailoverRules(
  value: FailoverOptions | undefined,
  fail: (field: string, value: unknown, expected: string) => never,
): FailoverRules {
  if (value !== undefined && (value === null || typeof value !== "object")) fail("failoverOn", value, "an object");
  const option = value ?? {};
  const flag = (name: "contextLength" | "credentials" | "contentFilter", fallback: boolean): boolean => {
    const flagValue = option[name] ?? fallback;
    if (typeof flagValue !== "boolean") fail(`failoverOn.${name}`, flagValue, "a boolean");
    return flagValue;
  };
  const statuses = option.statuses ?? [];
  if (!Array.isArray(statuses)) fail("failoverOn.statuses", statuses, "an array of 4xx statuses");
  for (const [index, status] of statuses.entries()) {
    if (!Number.isInteger(status) || status < 400 || status > 499 || status === 429) {
      fail(`failoverOn.statuses[${index}]`, status, "a 4xx status other than 429 (always failed over)");
    }
  }
  if (option.when !== undefined && typeof option.when !== "function")
    fail("failoverOn.when", option.when, "a function");
  return {
    contextLength: flag("contextLength", true),
    credentials: flag("credentials", true),
    contentFilter: flag("contentFilter", false),
    statuses: new Set(statuses),
    when: option.when,
  };
}

/** Whether any rule can apply to this status: everything else is handed back untouched, unread. */
function concerns(rules: FailoverRules, status: number): boolean {
  if (status < 400 || status > 499 || status === 429) return false;
  return rules.when !== undefined || status === 400 || status === 401 || status === 403 || rules.statuses.has(status);
}

/** The bytes read of a body, and the reader of the rest when it was longer than the bound. */
interface Bounded {
  readonly bytes: Uint8Array;
  readonly rest: ReadableStreamDefaultReader<Uint8Array> | undefined;
}

/** Reads at most {@link MAX_ERROR_BODY} bytes; rejects with the signal's reason when the caller aborts. */
async function readBounded(body: ReadableStream<Uint8Array>, signal: AbortSignal | undefined): Promise<Bounded> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let length = 0;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      reject(signal!.reason); // first: cancelling settles the pending read, which would win the race
      reader.cancel().catch(() => {});
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => {});
  try {
    while (length <= MAX_ERROR_BODY) {
      const read = await Promise.race([reader.read(), aborted]);
      if (read.done) return { bytes: concat(parts), rest: undefined };
      parts.push(read.value);
      length += read.value.length;
    }
    return { bytes: concat(parts), rest: reader };
  } finally {
    signal?.removeEventListener("abort", onAbort!);
  }
}

/** The response again, from the bytes read (and the rest of its body), with its status, headers and URL. */
function recreate(response: Response, { bytes, rest }: Bounded): Response {
  const body =
    rest === undefined
      ? bytes
      : new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(bytes);
          },
          async pull(controller) {
            const read = await rest.read();
            if (read.done) controller.close();
            else controller.enqueue(read.value);
          },
          cancel: (reason) => rest.cancel(reason),
        });
  const copy = new Response(body as BodyInit, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  Object.defineProperty(copy, "url", { value: response.url });
  return copy;
}

/** The `error` object of a JSON error body, if it has one. */
function errorOf(bytes: Uint8Array): FailoverCandidate["error"] {
  try {
    const body: unknown = JSON.parse(new TextDecoder().decode(bytes));
    const error = typeof body === "object" && body !== null ? (body as { error?: unknown }).error : undefined;
    return typeof error === "object" && error !== null ? (error as FailoverCandidate["error"]) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether an error names one of `codes` (its `code`, `type` or Azure's `innererror.code`). */
function names(error: FailoverCandidate["error"], codes: ReadonlySet<string> | string): boolean {
  if (error === undefined) return false;
  const inner = (error as { innererror?: { code?: unknown } }).innererror;
  const has = (value: unknown): boolean =>
    typeof value === "string" && (typeof codes === "string" ? value === codes : codes.has(value));
  return has(error.code) || has(error.type) || (typeof inner === "object" && inner !== null && has(inner.code));
}

/** The built-in rules and `statuses`, for a response no `when` decided. */
function builtIn(rules: FailoverRules, status: number, error: FailoverCandidate["error"]): FailoverDecision {
  if (names(error, CONTENT_FILTER_CODES)) return rules.contentFilter ? { cool: false } : false;
  if (status === 400 && rules.contextLength && names(error, "context_length_exceeded")) return { cool: false };
  if ((status === 401 || status === 403) && rules.credentials) return true;
  return rules.statuses.has(status) || undefined;
}

/**
 * Applies the failover rules to a response the status rules would hand back (a 4xx but 429). Reads
 * only a small JSON error body (at most {@link MAX_ERROR_BODY} bytes), never a successful one; when no
 * rule applies, the caller gets a response with the same status, headers and bytes.
 */
export function applyRules(
  response: Response,
  rules: FailoverRules,
  backend: string,
  signal: AbortSignal | undefined,
): RuleVerdict | Promise<RuleVerdict> {
  const { status } = response;
  if (!concerns(rules, status)) return { deliver: response };
  const length = Number(response.headers.get("content-length") ?? 0);
  const readable =
    response.body !== null &&
    JSON_TYPE.test(response.headers.get("content-type")?.trimStart() ?? "") &&
    !(length > MAX_ERROR_BODY);
  if (!readable) return decide(response, rules, backend, undefined);
  return readBounded(response.body, signal).then((bounded) =>
    decide(recreate(response, bounded), rules, backend, bounded.rest === undefined ? bounded.bytes : undefined),
  );
}

function decide(response: Response, rules: FailoverRules, backend: string, bytes: Uint8Array | undefined): RuleVerdict {
  const { status } = response;
  const error = bytes === undefined ? undefined : errorOf(bytes);
  let decision: FailoverDecision;
  try {
    decision = rules.when?.({ status, headers: response.headers, error, backend });
  } catch (thrown) {
    response.body?.cancel().catch(() => {});
    throw thrown;
  }
  if (decision === undefined) decision = builtIn(rules, status, error);
  if (decision === undefined || decision === false) return { deliver: response };
  if (decision === true) {
    const reason = status === 401 || status === 403 ? "credentials" : "rule";
    response.body?.cancel().catch(() => {});
    return { failover: { reason, cool: true, status } };
  }
  const { cooldownMs } = decision;
  const valid = typeof cooldownMs === "number" && cooldownMs >= 0 && cooldownMs < Infinity;
  if (decision.cool) {
    response.body?.cancel().catch(() => {});
    return { failover: { reason: "rule", cool: true, status, cooldownMs: valid ? cooldownMs : undefined } };
  }
  return { failover: { cool: false, status, fallback: response } };
}
