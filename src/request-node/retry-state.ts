/**
 * The retries of one request: which attempt runs, the request's own jitter generator, and the
 * wait, in tick time, before the next attempt.
 *
 * @module
 */
import type { AttemptOutcome, RetryDecision, RetryPolicy } from "./retry-policy.ts";

/** Slack when comparing summed deltas with a delay, so 20 ticks of 0.1 s reach 2 s despite float rounding. */
const TIME_EPSILON = 1e-9;

/**
 * One request's side of a {@link RetryPolicy}: the attempt number, a jitter generator made for this
 * request (so the same seed gives the same trace), and the delay still to pass before the next
 * attempt, counted down by the ticks' deltas.
 *
 * @internal
 */
export class RetryState {
  /** The policy. */
  readonly policy: RetryPolicy;
  /** The attempt running (or that ran last), 1 for the first. */
  attempt = 1;
  readonly #random: () => number;
  /** Seconds still to wait before the next attempt; -1 when not waiting. */
  #remaining = -1;

  /** @param policy - The policy. */
  constructor(policy: RetryPolicy) {
    this.policy = policy;
    this.#random = policy.createRandom();
  }

  /**
   * Asks the policy about the attempt that just ended.
   *
   * @param outcome - How it ended (the attempt number is filled in).
   * @returns The policy's decision.
   */
  decide(outcome: Omit<AttemptOutcome, "attempt">): RetryDecision {
    return this.policy.decide({ ...outcome, attempt: this.attempt }, this.#random);
  }

  /**
   * Starts waiting before the next attempt.
   *
   * @param delay - Seconds of tick time.
   */
  wait(delay: number): void {
    this.#remaining = Math.max(0, delay);
  }

  /** True while waiting for the next attempt. */
  isWaiting(): boolean {
    return this.#remaining >= 0;
  }

  /**
   * Counts a tick's time off the wait.
   *
   * @param seconds - The tick's delta.
   * @returns true when the wait is over: the next attempt is due (and counted).
   */
  advance(seconds: number): boolean {
    if (this.#remaining < 0) return false;
    this.#remaining -= seconds;
    if (this.#remaining > TIME_EPSILON) return false;
    this.#remaining = -1;
    this.attempt++;
    return true;
  }

  /** Seconds of ticks until the next attempt is due, or null when not waiting. */
  nextDeadline(): number | null {
    return this.#remaining < 0 ? null : Math.max(0, this.#remaining);
  }
}
