import type { PacingSnapshot } from "../types/balancer.ts";
import type { PacingBasis } from "../types/events.ts";
import { parseDuration } from "./cooldown.ts";
import type { PreparedRequest } from "./request.ts";

/**
 * How long a reported remaining quota is trusted when the response said no reset time: one second, the
 * shortest window Azure OpenAI enforces its limits over. After it the next response reports afresh.
 */
const UNDATED_QUOTA_MS = 1000;

/** What a request is told to wait (and when the queue looks again) while only a request in flight ending can free a scope. */
export const PACED_RETRY_MS = 1000;

/**
 * Azure OpenAI evaluates a per-minute limit over short periods, "typically 1 or 10 seconds" (a 600-RPM deployment
 * is throttled past 10 requests in one second): a bucket holds one second's share, so no burst it lets through
 * can break the limit over either period.
 */
const BURST_SHARE = 1 / 60;

/** A learned in-flight limit that grew past this has nothing left to teach: it is dropped (no limit). */
const LEARNED_CEILING = 64;

/** What a response said about its scope's quota; `null` where a header was absent or unusable. */
export interface Quota {
  readonly remainingRequests: number | null;
  readonly remainingTokens: number | null;
  /** Time until the requests' and tokens' windows reset, ms; `null` if not said (or 0, or negative). */
  readonly resetRequestsMs: number | null;
  readonly resetTokensMs: number | null;
  /** `x-ratelimit-limit-*`: what a window holds, so a reset window starts from it rather than from nothing known. */
  readonly limitRequests: number | null;
  readonly limitTokens: number | null;
}

/** A count from a header: a non-negative integer, else `null` (Azure's Responses API sends `-1`). */
function count(value: string | null): number | null {
  if (value === null) return null;
  const number = Number(value.trim());
  return Number.isSafeInteger(number) && number >= 0 && value.trim() !== "" ? number : null;
}

/** A reset duration that can be used: positive ms (Azure has sent `0` and `-1`, which say nothing). */
function resetMs(value: string | null): number | null {
  const ms = parseDuration(value);
  return ms !== undefined && ms > 0 ? ms : null;
}

/**
 * A success that reports no requests or tokens left (`x-ratelimit-remaining-*: 0`) will be followed by 429s:
 * the cooldown until the later reset of the spent limits (`defaultMs` when none was said), instead of paying
 * for that round trip; `undefined` while something is left. Read from the {@link Quota} already parsed, not
 * from the headers again.
 */
export function spentQuotaMs(quota: Quota, defaultMs: number): number | undefined {
  const requests = quota.remainingRequests === 0;
  const tokens = quota.remainingTokens === 0;
  if (!requests && !tokens) return undefined;
  const reset = Math.max((requests && quota.resetRequestsMs) || 0, (tokens && quota.resetTokensMs) || 0);
  return reset > 0 ? reset : defaultMs;
}

/**
 * The quota headers of a response (`x-ratelimit-remaining-*`, `x-ratelimit-reset-*`), or `undefined` when it
 * carries no remaining count: two `Headers.get` calls for a response without them.
 */
export function readQuota(headers: Headers): Quota | undefined {
  const requests = headers.get("x-ratelimit-remaining-requests");
  const tokens = headers.get("x-ratelimit-remaining-tokens");
  if (requests === null && tokens === null) return undefined;
  return {
    remainingRequests: count(requests),
    remainingTokens: count(tokens),
    resetRequestsMs: resetMs(headers.get("x-ratelimit-reset-requests")),
    resetTokensMs: resetMs(headers.get("x-ratelimit-reset-tokens")),
    limitRequests: count(headers.get("x-ratelimit-limit-requests")),
    limitTokens: count(headers.get("x-ratelimit-limit-tokens")),
  };
}

const MAX_TOKENS = /"max_(?:completion_|output_)?tokens"\s*:\s*(\d{1,9})/;
/** Estimates made, per request (weakly: a request's body is not kept alive by it). */
const estimates = new WeakMap<PreparedRequest, number>();

/**
 * An ESTIMATE of the tokens a request uses, for `tpm` and `x-ratelimit-remaining-tokens`: its body's size / 4
 * (about four bytes per token of English text), plus `max_tokens` / `max_completion_tokens` /
 * `max_output_tokens` when the body is a string (found by a regular expression, not a second JSON parse).
 * A body of another kind counts by its size alone; a `FormData` or a stream as 0. Made once per request.
 */
export function estimateTokens(request: PreparedRequest): number {
  const known = estimates.get(request);
  if (known !== undefined) return known;
  const body = request.init.body;
  let estimate = 0;
  if (typeof body === "string") {
    estimate = Math.ceil(body.length / 4);
    const max = MAX_TOKENS.exec(body);
    if (max !== null) estimate += Number(max[1]);
  } else if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) estimate = Math.ceil(body.byteLength / 4);
  else if (typeof Blob !== "undefined" && body instanceof Blob) estimate = Math.ceil(body.size / 4);
  estimates.set(request, estimate);
  return estimate;
}

/** A token bucket: `capacity` at most, refilled at `perMs`, starting full. */
class Bucket {
  readonly capacity: number;
  readonly perMs: number;
  level: number;
  at: number;
  constructor(perMinute: number, now: number) {
    this.capacity = Math.max(1, perMinute * BURST_SHARE);
    this.perMs = perMinute / 60_000;
    this.level = this.capacity;
    this.at = now;
  }
  refill(now: number): number {
    if (now > this.at) {
      this.level = Math.min(this.capacity, this.level + (now - this.at) * this.perMs);
      this.at = now;
    }
    return this.level;
  }
  /** Whether `amount` can be taken now: it is there, or the bucket is full (a request larger than the bucket goes alone). */
  has(amount: number, now: number): boolean {
    const level = this.refill(now);
    return level >= amount || level >= this.capacity;
  }
  /** Time until `amount` is there (or the bucket is full), ms. */
  waitMs(amount: number, now: number): number {
    const level = this.refill(now);
    return Math.max(0, (Math.min(amount, this.capacity) - level) / this.perMs);
  }
}

/** Windows in a row without a 429 after which a learned window budget is dropped (demand fell, or capacity grew). */
const QUIET_WINDOWS = 10;

/**
 * A window learned from 429s: the scope took `budget` requests between a window's start (the end of a 429's
 * cooldown) and the next 429 (the requests admitted before the one it refused), and that 429's cooldown ended the window: `period` is from start to then. Each
 * period admits at most `budget` requests; after {@link QUIET_WINDOWS} periods without a 429 the window is
 * dropped and learned afresh (capacity may have grown).
 */
interface Window {
  /** When the current period began (or begins: the end of the cooldown), monotonic ms. */
  start: number;
  /** `null` until a second 429 closes the first window. */
  period: number | null;
  budget: number | null;
  admitted: number;
  succeeded: number;
  quiet: number;
}

/** What a pacer tells the event it emits when its limit changes. */
export type PacedReport = (allowed: number | null, basis: PacingBasis) => void;

/**
 * The pacing of one scope (an Azure deployment, or a backend as a whole): a reservation per request in
 * flight, held against what the scope said it has left (`x-ratelimit-remaining-*`), its configured
 * `rpm`/`tpm` (token buckets), and what 429s taught: an in-flight limit (half of what was in flight, grown by
 * one per success, dropped past {@link LEARNED_CEILING}) and a window (see {@link Window}).
 */
export class Pacer {
  /** Requests in flight it holds reservations of, {@link adopted} ones included. */
  reserved = 0;
  reservedTokens = 0;
  /** Of {@link reserved}, the requests already in flight when it was created (they hold no ticket of it). */
  adopted = 0;
  remainingRequests: number | null = null;
  remainingTokens: number | null = null;
  /** When the reported remaining counts stop being trusted (their window resets), monotonic ms. */
  #requestsUntil = 0;
  #tokensUntil = 0;
  /** What a window holds, when said: a reset window starts with it. */
  #limitRequests: number | null = null;
  #limitTokens: number | null = null;
  /** The in-flight limit learned from 429s; `null` while none was. */
  learned: number | null = null;
  /** The window learned from 429s; `null` while none was. */
  #window: Window | null = null;
  readonly #rpm: Bucket | undefined;
  readonly #tpm: Bucket | undefined;
  #basis: PacingBasis;
  #allowed: number | null = null;
  readonly #report: PacedReport;

  constructor(rpm: number | undefined, tpm: number | undefined, now: number, report: PacedReport) {
    this.#rpm = rpm === undefined ? undefined : new Bucket(rpm, now);
    this.#tpm = tpm === undefined ? undefined : new Bucket(tpm, now);
    this.#basis = "configured";
    this.#report = report;
    if (this.#rpm !== undefined) this.#changed(now);
  }

  /**
   * Once their window has reset, the remaining counts become the window's limit when it was said (until the next
   * response reports afresh), else unknown.
   */
  #expire(now: number): void {
    if (this.remainingRequests !== null && now >= this.#requestsUntil) {
      this.remainingRequests = this.#limitRequests === this.remainingRequests ? null : this.#limitRequests;
      this.#requestsUntil = now + UNDATED_QUOTA_MS;
    }
    if (this.remainingTokens !== null && now >= this.#tokensUntil) {
      this.remainingTokens = this.#limitTokens === this.remainingTokens ? null : this.#limitTokens;
      this.#tokensUntil = now + UNDATED_QUOTA_MS;
    }
  }

  /** Whether one more request of `tokens` (estimated) may go now. */
  admits(tokens: number, now: number): boolean {
    this.#expire(now);
    const { reserved } = this;
    if (this.remainingRequests !== null && reserved >= this.remainingRequests) return false;
    if (this.learned !== null && reserved >= Math.floor(this.learned)) return false;
    if (this.remainingTokens !== null && reserved > 0 && this.reservedTokens + tokens > this.remainingTokens)
      return false;
    if (this.#window !== null && this.#spent(now)) return false;
    if (this.#rpm !== undefined && !this.#rpm.has(1, now)) return false;
    if (this.#tpm !== undefined && !this.#tpm.has(tokens, now)) return false;
    return true;
  }

  /**
   * How long until it may admit, as far as time alone tells (a window reset, a bucket's refill); `null` when only
   * a request in flight ending can free it (the queue is woken by that).
   */
  waitMs(tokens: number, now: number): number | null {
    if (this.admits(tokens, now)) return 0;
    let wait: number | null = null;
    const longer = (ms: number): void => {
      wait = Math.max(wait ?? 0, ms);
    };
    if (this.remainingRequests !== null && this.reserved >= this.remainingRequests) longer(this.#requestsUntil - now);
    if (this.remainingTokens !== null && this.reserved > 0 && this.reservedTokens + tokens > this.remainingTokens)
      longer(this.#tokensUntil - now);
    if (this.#rpm !== undefined) longer(this.#rpm.waitMs(1, now));
    if (this.#tpm !== undefined) longer(this.#tpm.waitMs(tokens, now));
    const window = this.#window;
    if (window !== null && this.#spent(now)) longer(window.start + window.period! - now);
    return wait;
  }

  /** Whether the learned window's budget is used up now (rolling it on to the current period first). */
  #spent(now: number): boolean {
    const window = this.#window!;
    const { period, budget } = window;
    if (period === null || budget === null) return false;
    if (now >= window.start + period) {
      const periods = Math.floor((now - window.start) / period);
      window.start += periods * period;
      window.admitted = 0;
      window.succeeded = 0;
      if (++window.quiet >= QUIET_WINDOWS) {
        this.#window = null;
        return false;
      }
    }
    return now >= window.start && window.admitted >= window.budget!;
  }

  /**
   * A request starts: it holds a reservation (and takes from the buckets). Returns its place in the learned
   * window (1 for the first request of the window; 0 without one).
   */
  reserve(tokens: number, now: number): number {
    this.reserved++;
    this.reservedTokens += tokens;
    if (this.#rpm !== undefined) this.#rpm.level = this.#rpm.refill(now) - 1;
    if (this.#tpm !== undefined) this.#tpm.level = this.#tpm.refill(now) - tokens;
    if (this.#window === null) return 0;
    this.#spent(now);
    return this.#window === null ? 0 : ++this.#window.admitted;
  }

  /**
   * It was created while `requests` were already in flight to its scope: they are reserved, so what the scope
   * says it has left is not admitted on top of them (their tokens are not known: they are not counted).
   */
  adopt(requests: number): void {
    this.reserved += requests;
    this.adopted += requests;
  }

  /** A request ended (success, failure or abort): its reservation is released. */
  release(tokens: number): void {
    this.reserved--;
    this.reservedTokens -= tokens;
  }

  /** A response reported the scope's quota. */
  observe(quota: Quota, now: number): void {
    if (quota.limitRequests !== null) this.#limitRequests = quota.limitRequests;
    if (quota.limitTokens !== null) this.#limitTokens = quota.limitTokens;
    if (quota.remainingRequests !== null) {
      this.remainingRequests = quota.remainingRequests;
      this.#requestsUntil = now + (quota.resetRequestsMs ?? UNDATED_QUOTA_MS);
    }
    if (quota.remainingTokens !== null) {
      this.remainingTokens = quota.remainingTokens;
      this.#tokensUntil = now + (quota.resetTokensMs ?? UNDATED_QUOTA_MS);
    }
    this.#basis = "headers";
    this.#changed(now);
  }

  /**
   * A 429 with `inFlight` requests in flight to the scope: at most half of them may be in flight again. One
   * request alone teaches nothing about concurrency (the window was spent), and a limit already lower stays.
   */
  throttled(inFlight: number, now: number, cooldownMs: number, place: number): void {
    if (inFlight < 2 && this.#window === null) return;
    // The window: from the end of the first cooldown to this 429 and its cooldown, and what it served.
    const end = now + Math.max(0, cooldownMs);
    const window = this.#window;
    if (window === null) this.#window = { start: end, period: null, budget: null, admitted: 0, succeeded: 0, quiet: 0 };
    else if (now >= window.start) {
      window.period = Math.max(1, end - window.start);
      // The requests admitted before this one in its window were taken (a server takes them in order); those
      // still in flight then are counted by their place, not only the successes already back.
      window.budget = Math.max(1, place > 1 ? place - 1 : window.succeeded);
      window.start = end;
      window.admitted = 0;
      window.succeeded = 0;
      window.quiet = 0;
    }
    if (inFlight < 2) return;
    const halved = Math.floor(inFlight / 2);
    if (this.learned !== null && this.learned <= halved) return;
    this.learned = halved;
    this.#basis = "learned";
    this.#changed(now);
  }

  /**
   * A success: a learned limit grows by one (it doubles per round trip, as TCP's slow start: the burst after a
   * window reset is halved, not the throughput of the windows after it).
   */
  succeeded(now: number): void {
    const window = this.#window;
    // A window that no second 429 closed within as many successes as a learned limit may grow: nothing to learn.
    if (window !== null && ++window.succeeded >= LEARNED_CEILING && window.period === null) this.#window = null;
    const { learned } = this;
    if (learned === null) return;
    const next = learned + 1;
    this.learned = next >= LEARNED_CEILING ? null : next;
    if (Math.floor(next) !== Math.floor(learned) || this.learned === null) this.#changed(now);
  }

  /** Whether nothing limits it any more and nothing is reserved (it can be forgotten). */
  get idle(): boolean {
    return (
      this.reserved === 0 &&
      this.learned === null &&
      this.#window === null &&
      this.remainingRequests === null &&
      this.remainingTokens === null &&
      this.#rpm === undefined &&
      this.#tpm === undefined
    );
  }

  /** Requests that may be in flight at once now; `null`: unlimited. */
  allowed(now: number): number | null {
    this.#expire(now);
    let allowed: number | null = null;
    const lower = (value: number): void => {
      allowed = allowed === null ? value : Math.min(allowed, value);
    };
    if (this.remainingRequests !== null) lower(this.remainingRequests);
    if (this.learned !== null) lower(Math.floor(this.learned));
    const window = this.#window;
    if (window?.budget != null) lower(this.reserved + Math.max(0, window.budget - window.admitted));
    if (this.#rpm !== undefined) lower(this.reserved + Math.floor(this.#rpm.refill(now)));
    return allowed;
  }

  /** Emits `paced` when what it allows changed. */
  #changed(now: number): void {
    const allowed = this.allowed(now);
    if (allowed === this.#allowed) return;
    this.#allowed = allowed;
    this.#report(allowed, this.#basis);
  }

  /** What the snapshot shows. */
  view(now: number): PacingSnapshot {
    return {
      allowed: this.allowed(now),
      reserved: this.reserved,
      remainingRequests: this.remainingRequests,
      remainingTokens: this.remainingTokens,
      reservedTokens: this.reservedTokens,
      basis: this.#basis,
    };
  }
}
