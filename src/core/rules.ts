import type { CooldownReason } from "../types/events.ts";
import type { FailoverCandidate, FailoverDecision, FailoverOptions } from "../types/options.ts";
import { raceAbort } from "../utils/timers.ts";
import { concat } from "./sse.ts";
import { CONTENT_FILTER_CODES } from "./stream-guard.ts";

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
   * The response, for the caller when no other backend can take the request (set when this backend was not cooled: the answer is the caller's, not a 429 of the balancer's).
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
      fail(`failoverOn.statuses[${index}]`, status, "a 4xx status but 429");
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

/**
 * Reads at most {@link MAX_ERROR_BODY} bytes of a copy of the body (`clone()`), so the response itself
 * stays as it came; `undefined` when the body is longer. Rejects with the signal's reason when the caller aborts.
 */
async function readBounded(response: Response, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
  const reader = (response.clone().body as ReadableStream<Uint8Array>).getReader();
  const parts: Uint8Array[] = [];
  let length = 0;
  try {
    while (length <= MAX_ERROR_BODY) {
      const read = await (signal ? raceAbort(reader.read(), signal) : reader.read());
      if (read.done) return concat(parts);
      parts.push(read.value);
      length += read.value.length;
    }
    return undefined; // the response's own copy goes on
  } catch (error) {
    // A body that breaks is judged without it (the caller meets the same error reading it), unless the caller aborted.
    if (!signal?.aborted) return undefined;
    response.body?.cancel().catch(() => {});
    throw error;
  } finally {
    reader.cancel().catch(() => {});
  }
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
function names(error: FailoverCandidate["error"], codes: ReadonlySet<unknown>): boolean {
  const inner = (error as { innererror?: { code?: unknown } } | undefined)?.innererror;
  return [error?.code, error?.type, inner?.code].some((code) => codes.has(code));
}

const CONTEXT_LENGTH: ReadonlySet<unknown> = new Set(["context_length_exceeded"]);

/** The built-in rules and `statuses`, for a response no `when` decided. */
function builtIn(rules: FailoverRules, status: number, error: FailoverCandidate["error"]): FailoverDecision {
  if (names(error, CONTENT_FILTER_CODES)) return rules.contentFilter ? { cool: false } : false;
  if (status === 400 && rules.contextLength && names(error, CONTEXT_LENGTH)) return { cool: false };
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
  return readBounded(response, signal).then((bytes) => decide(response, rules, backend, bytes));
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
