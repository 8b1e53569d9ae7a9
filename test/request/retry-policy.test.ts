/**
 * The retry policy on its own: which outcomes and methods are retried, backoff and seeded jitter,
 * Retry-After in both forms and its cap, the attempt count and the budget.
 */
import { describe, expect, it } from "vitest";
import { parseRetryAfter, RetryPolicy, type AttemptOutcome } from "../../src/request-node/retry-policy.ts";
import { Result } from "../../src/status/result.ts";

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const outcome = (o: Partial<AttemptOutcome>): AttemptOutcome => ({
  attempt: 1,
  method: "GET",
  result: Result.RESULT_SUCCESS,
  phaseTimeout: false,
  responseCode: 503,
  headers: [],
  elapsed: 0,
  now: NOW,
  bodyReplayable: true,
  ...o,
});

describe("parseRetryAfter", () => {
  it.each([
    ["2", 2],
    [" 120 ", 120],
    [new Date(NOW + 30_000).toUTCString(), 30],
    [new Date(NOW - 30_000).toUTCString(), 0],
    ["soon", null],
    ["-1", null],
    ["1.5", null],
  ])("%j → %s", (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
});

describe("RetryPolicy.decide", () => {
  const policy = new RetryPolicy({ attempts: 4, baseDelay: 1, factor: 2, maxDelay: 3, jitter: 0 });
  const never = (): number => {
    throw new Error("no jitter expected");
  };

  it.each([408, 425, 429, 500, 502, 503, 504])("retries status %i by default", (code) => {
    expect(policy.decide(outcome({ responseCode: code }), () => 0).retry).toBe(true);
  });

  it.each([200, 301, 400, 404, 501])("does not retry status %i", (code) => {
    expect(policy.decide(outcome({ responseCode: code }), never)).toEqual({ retry: false, reason: "" });
  });

  it.each([
    [Result.RESULT_CANT_CONNECT, false, true],
    [Result.RESULT_CONNECTION_ERROR, false, true],
    [Result.RESULT_NO_RESPONSE, false, true],
    [Result.RESULT_TIMEOUT, true, true],
    [Result.RESULT_TIMEOUT, false, false],
    [Result.RESULT_CANT_RESOLVE, false, false],
    [Result.RESULT_TLS_HANDSHAKE_ERROR, false, false],
    [Result.RESULT_BODY_SIZE_LIMIT_EXCEEDED, false, false],
  ])("result %i (phase timeout %s) retried: %s", (result, phaseTimeout, expected) => {
    expect(policy.decide(outcome({ result, phaseTimeout, responseCode: 0 }), () => 0).retry).toBe(expected);
  });

  it("retries idempotent methods only, unless POST is listed", () => {
    expect(policy.decide(outcome({ method: "PUT" }), () => 0).retry).toBe(true);
    expect(policy.decide(outcome({ method: "POST" }), never)).toMatchObject({ retry: false, reason: "503; POST is not retried" });
    const withPost = new RetryPolicy({ methods: ["GET", "POST"], jitter: 0 });
    expect(withPost.decide(outcome({ method: "post" }), () => 0).retry).toBe(true);
  });

  it("a body that cannot be sent again is not retried", () => {
    expect(policy.decide(outcome({ bodyReplayable: false }), never)).toMatchObject({ retry: false });
  });

  it("backs off exponentially up to maxDelay, and stops when attempts are used up", () => {
    expect([1, 2, 3].map((attempt) => policy.decide(outcome({ attempt }), () => 0))).toEqual([
      { retry: true, delay: 1, reason: "503" },
      { retry: true, delay: 2, reason: "503" },
      { retry: true, delay: 3, reason: "503" },
    ]);
    expect(policy.decide(outcome({ attempt: 4 }), never)).toMatchObject({ retry: false, reason: "503; no attempts left (4 in all)" });
  });

  it("Retry-After wins over backoff, exactly, and is capped", () => {
    expect(policy.decide(outcome({ headers: ["Retry-After: 2"] }), never)).toEqual({
      retry: true,
      delay: 2,
      reason: "503 with Retry-After: 2",
    });
    const date = new Date(NOW + 5_000).toUTCString();
    expect(policy.decide(outcome({ headers: [`Retry-After: ${date}`] }), never)).toMatchObject({ retry: true, delay: 5 });
    const capped = new RetryPolicy({ maxRetryAfter: 10 });
    expect(capped.decide(outcome({ headers: ["Retry-After: 3600"] }), never)).toMatchObject({ retry: true, delay: 10 });
    const ignoring = new RetryPolicy({ respectRetryAfter: false, jitter: 0, baseDelay: 0.25 });
    expect(ignoring.decide(outcome({ headers: ["Retry-After: 30"] }), () => 0)).toMatchObject({ delay: 0.25 });
  });

  it("the budget stops a retry that would start after it", () => {
    const budgeted = new RetryPolicy({ budget: 5, baseDelay: 1, jitter: 0 });
    expect(budgeted.decide(outcome({ elapsed: 3.5 }), () => 0)).toMatchObject({ retry: true, delay: 1 });
    expect(budgeted.decide(outcome({ elapsed: 4.5, attempt: 2 }), () => 0)).toMatchObject({ retry: false });
  });

  it("jitter comes from the seeded generator: the same seed, the same delays", () => {
    const seeded = new RetryPolicy({ attempts: 10, seed: 42, jitter: 1, baseDelay: 1, maxDelay: 100 });
    const trace = (): number[] => {
      const random = seeded.createRandom();
      return [1, 2, 3, 4, 5].map((attempt) => {
        const d = seeded.decide(outcome({ attempt }), random);
        return d.retry ? d.delay : -1;
      });
    };
    const first = trace();
    for (let i = 0; i < 100; i++) expect(trace()).toEqual(first);
    first.forEach((delay, i) => {
      expect(delay).toBeGreaterThan(0);
      expect(delay).toBeLessThanOrEqual(2 ** i);
    });
    const other = new RetryPolicy({ attempts: 10, seed: 43, jitter: 1, baseDelay: 1, maxDelay: 100 });
    const random = other.createRandom();
    expect(other.decide(outcome({}), random)).not.toEqual(seeded.decide(outcome({}), seeded.createRandom()));
  });
});
