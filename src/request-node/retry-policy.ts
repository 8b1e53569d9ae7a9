/**
 * When and after how long a failed attempt is tried again: which methods, which outcomes,
 * exponential backoff with jitter from a seeded generator, `Retry-After`, and a total time budget.
 * Pure: it is told the attempt's outcome and the time (tick time, in seconds since the first
 * attempt started) and answers with a delay, so the same seed gives the same attempts at the same
 * virtual instants on every run.
 *
 * @module
 */
import { getHeaderValue } from "../client/wire/headers.ts";
import { Result, resultName } from "../status/result.ts";

/** Settings of a {@link RetryPolicy}. Every field has a default. */
export interface RetryPolicyInit {
  /** Attempts in all, the first one included (1 = no retry). Default 3. */
  readonly attempts?: number;
  /**
   * Methods retried. Default the idempotent ones: GET, HEAD, OPTIONS, TRACE, PUT, DELETE. POST and
   * PATCH are retried only when listed here.
   */
  readonly methods?: readonly string[];
  /** Response codes retried. Default 408, 425, 429, 500, 502, 503, 504. */
  readonly statuses?: readonly number[];
  /**
   * Results retried. Default `RESULT_CANT_CONNECT`, `RESULT_CONNECTION_ERROR`, `RESULT_NO_RESPONSE`
   * and `RESULT_TIMEOUT` of a phase (`connectTimeout`, `headTimeout`, `idleTimeout`; the overall
   * `timeout` ends the request and is never retried).
   */
  readonly results?: readonly Result[];
  /** The first backoff delay, in seconds. Default 0.5. */
  readonly baseDelay?: number;
  /** The backoff factor per attempt. Default 2. */
  readonly factor?: number;
  /** The longest backoff delay, in seconds. Default 30. */
  readonly maxDelay?: number;
  /**
   * The share of each backoff delay drawn at random, 0–1: the delay is `d × (1 − jitter × r)` for
   * `r` in [0, 1) from the seeded generator. Default 0.5.
   */
  readonly jitter?: number;
  /** The seed of the jitter generator. Default 1. */
  readonly seed?: number;
  /** Honour `Retry-After` on 429 and 503 (and any retried status): seconds or an HTTP-date. Default true. */
  readonly respectRetryAfter?: boolean;
  /** The longest `Retry-After` honoured, in seconds; a longer one is cut to this. Default 60. */
  readonly maxRetryAfter?: number;
  /**
   * The total time budget, in seconds from the start of the first attempt: a retry that would start
   * after it is not made. Default none.
   */
  readonly budget?: number;
}

/** What the policy is told about a finished attempt. */
export interface AttemptOutcome {
  /** The attempt that finished, 1 for the first. */
  readonly attempt: number;
  /** The request method. */
  readonly method: string;
  /** How the attempt ended. */
  readonly result: Result;
  /** True when `result` is `RESULT_TIMEOUT` of a phase timeout, not of the overall `timeout`. */
  readonly phaseTimeout: boolean;
  /** The response code, 0 when no response head arrived. */
  readonly responseCode: number;
  /** The response's header lines, for `Retry-After`. */
  readonly headers: readonly string[];
  /** Tick time since the first attempt started, in seconds. */
  readonly elapsed: number;
  /**
   * The time (ms since the epoch) an HTTP-date `Retry-After` is measured from: `HTTPRequest` gives
   * the response's own `Date` (it reads no clock), NaN when there is none, and an HTTP-date is then
   * not honoured (the backoff applies).
   */
  readonly now: number;
  /** False when the request body cannot be sent again (a one-shot stream). */
  readonly bodyReplayable: boolean;
}

/** The policy's answer. */
export type RetryDecision =
  | {
      /** Try again after `delay` seconds. */
      readonly retry: true;
      /** Seconds of tick time to wait. */
      readonly delay: number;
      /** Why the attempt is retried, in words (`"503 Service Unavailable"`, `"RESULT_CONNECTION_ERROR"`). */
      readonly reason: string;
    }
  | {
      /** Do not retry. */
      readonly retry: false;
      /** Why not, `""` when the outcome is not one that is retried at all. */
      readonly reason: string;
    };

const IDEMPOTENT = ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"];
const STATUSES = [408, 425, 429, 500, 502, 503, 504];
const RESULTS: readonly Result[] = [
  Result.RESULT_CANT_CONNECT,
  Result.RESULT_CONNECTION_ERROR,
  Result.RESULT_NO_RESPONSE,
  Result.RESULT_TIMEOUT,
];

/**
 * A generator of numbers in [0, 1), the same sequence for the same seed (mulberry32).
 *
 * @param seed - Any integer.
 * @returns The generator.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Reads `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
 *
 * @param value - The field value.
 * @param now - The current time (ms since the epoch), for an HTTP-date; NaN when unknown.
 * @returns Seconds to wait (0 for a date in the past), or `null` when the value is neither form
 * (or an HTTP-date without a known current time).
 */
export function parseRetryAfter(value: string, now: number): number | null {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (!/[a-z]/i.test(text) || !Number.isFinite(now)) return null;
  const when = Date.parse(text);
  return Number.isNaN(when) ? null : Math.max(0, (when - now) / 1000);
}

/**
 * A retry policy: see the module comment. Immutable; one policy may serve many requests, each of
 * which draws its jitter from its own generator made by {@link RetryPolicy.createRandom}.
 *
 * @example
 * ```ts
 * const policy = new RetryPolicy({ attempts: 4, baseDelay: 1, seed: 7 });
 * const random = policy.createRandom();
 * policy.decide({ attempt: 1, method: "GET", result: 0, phaseTimeout: false, responseCode: 503,
 *   headers: ["Retry-After: 2"], elapsed: 0.1, now: Date.now(), bodyReplayable: true }, random);
 * // { retry: true, delay: 2, reason: "503 with Retry-After: 2" }
 * ```
 */
export class RetryPolicy {
  /** Attempts in all, the first one included. */
  readonly attempts: number;
  /** Methods retried, upper-case. */
  readonly methods: ReadonlySet<string>;
  /** Response codes retried. */
  readonly statuses: ReadonlySet<number>;
  /** Results retried. */
  readonly results: ReadonlySet<Result>;
  /** The first backoff delay, seconds. */
  readonly baseDelay: number;
  /** The backoff factor. */
  readonly factor: number;
  /** The longest backoff delay, seconds. */
  readonly maxDelay: number;
  /** The random share of each backoff delay. */
  readonly jitter: number;
  /** The jitter generator's seed. */
  readonly seed: number;
  /** Whether `Retry-After` is honoured. */
  readonly respectRetryAfter: boolean;
  /** The longest `Retry-After` honoured, seconds. */
  readonly maxRetryAfter: number;
  /** The total budget, seconds (`Infinity` for none). */
  readonly budget: number;

  /**
   * Creates a policy; out-of-range numbers are clamped.
   *
   * @param init - The settings.
   */
  constructor(init: RetryPolicyInit = {}) {
    const nonNegative = (v: number | undefined, d: number): number => (v === undefined || !Number.isFinite(v) || v < 0 ? d : v);
    this.attempts = Math.max(1, Math.floor(init.attempts ?? 3));
    this.methods = new Set((init.methods ?? IDEMPOTENT).map((m) => m.toUpperCase()));
    this.statuses = new Set(init.statuses ?? STATUSES);
    this.results = new Set(init.results ?? RESULTS);
    this.baseDelay = nonNegative(init.baseDelay, 0.5);
    this.factor = Math.max(1, init.factor ?? 2);
    this.maxDelay = nonNegative(init.maxDelay, 30);
    this.jitter = Math.min(1, nonNegative(init.jitter, 0.5));
    this.seed = Math.floor(init.seed ?? 1);
    this.respectRetryAfter = init.respectRetryAfter ?? true;
    this.maxRetryAfter = nonNegative(init.maxRetryAfter, 60);
    this.budget = init.budget === undefined ? Number.POSITIVE_INFINITY : nonNegative(init.budget, Number.POSITIVE_INFINITY);
  }

  /** A new jitter generator from the policy's seed: one per request, so each request's trace is its own. */
  createRandom(): () => number {
    return seededRandom(this.seed);
  }

  /**
   * The backoff delay before attempt `attempt + 1`, before jitter.
   *
   * @param attempt - The attempt that failed, 1 for the first.
   * @returns Seconds.
   */
  backoff(attempt: number): number {
    return Math.min(this.maxDelay, this.baseDelay * this.factor ** Math.max(0, attempt - 1));
  }

  /**
   * Decides whether a finished attempt is tried again, and after how long.
   *
   * @param outcome - How the attempt ended.
   * @param random - The request's jitter generator (from {@link RetryPolicy.createRandom}).
   * @returns Retry after a delay, or not, with the reason.
   */
  decide(outcome: AttemptOutcome, random: () => number): RetryDecision {
    const byStatus = outcome.result === Result.RESULT_SUCCESS && this.statuses.has(outcome.responseCode);
    const byResult =
      outcome.result !== Result.RESULT_SUCCESS &&
      this.results.has(outcome.result) &&
      (outcome.result !== Result.RESULT_TIMEOUT || outcome.phaseTimeout);
    if (!byStatus && !byResult) return { retry: false, reason: "" };
    const what = byStatus ? `${outcome.responseCode}` : resultName(outcome.result);
    if (outcome.attempt >= this.attempts) return { retry: false, reason: `${what}; no attempts left (${this.attempts} in all)` };
    if (!this.methods.has(outcome.method.toUpperCase())) return { retry: false, reason: `${what}; ${outcome.method} is not retried` };
    if (!outcome.bodyReplayable) return { retry: false, reason: `${what}; the request body cannot be sent again` };
    let delay: number;
    let reason = what;
    const retryAfter = byStatus && this.respectRetryAfter ? getHeaderValue(outcome.headers, "retry-after") : undefined;
    const after = retryAfter === undefined ? null : parseRetryAfter(retryAfter, outcome.now);
    if (after !== null) {
      delay = Math.min(after, this.maxRetryAfter);
      reason = `${what} with Retry-After: ${retryAfter?.trim()}`;
    } else {
      const d = this.backoff(outcome.attempt);
      delay = d * (1 - this.jitter * random());
    }
    if (outcome.elapsed + delay > this.budget)
      return { retry: false, reason: `${reason}; the retry budget of ${this.budget} s would be exceeded` };
    return { retry: true, delay, reason };
  }
}
