/**
 * The phase timeouts of one request, counted in tick time: `connectTimeout` (name lookup, TCP, a
 * proxy tunnel and TLS), `headTimeout` (from the last request byte sent to the complete response
 * head) and `idleTimeout` (no body byte: a stalled transfer).
 *
 * @module
 */

/** Seconds allowed to each phase; 0 for no limit. */
export interface PhaseTimeouts {
  /** From the start of a connection to the connection being ready (DNS, TCP, tunnel, TLS). */
  readonly connect: number;
  /** From the last byte of the request sent to the complete response head. */
  readonly head: number;
  /** Between two body bytes, from the complete head on. */
  readonly idle: number;
}

/** The phase a request is in, as far as phase timeouts go; null for none that is timed. */
export type TimedPhase = "connect" | "head" | "body" | null;

/** Slack when comparing summed deltas with a limit, so 10 ticks of 0.1 s reach 1 s despite float rounding. */
const TIME_EPSILON = 1e-9;

/**
 * Counts the time a request spends in its current phase without progress. The run tells it, after
 * each step, the phase and a progress count (bytes sent for the head phase, body bytes for the body
 * phase); a new phase or a moved count restarts the clock. At the start of each tick the tick's
 * delta is added and a phase over its limit is reported, so a timeout fires on the first tick whose
 * summed deltas reach the limit, whatever arrives in that tick.
 *
 * @internal
 */
export class PhaseTimer {
  readonly #timeouts: PhaseTimeouts;
  #phase: TimedPhase = null;
  #progress = -1;
  #elapsed = 0;

  /** @param timeouts - The limits. */
  constructor(timeouts: PhaseTimeouts) {
    this.#timeouts = timeouts;
  }

  /**
   * Notes where the request is after a step.
   *
   * @param phase - The phase.
   * @param progress - A count that moves when the phase makes progress.
   */
  observe(phase: TimedPhase, progress: number): void {
    if (phase !== this.#phase || progress !== this.#progress) this.#elapsed = 0;
    this.#phase = phase;
    this.#progress = progress;
  }

  /**
   * Adds a tick's time and reports a phase over its limit.
   *
   * @param seconds - The tick's delta.
   * @returns The phase whose timeout is reached, with its limit, or null.
   */
  advance(seconds: number): { readonly phase: "connect" | "head" | "body"; readonly limit: number } | null {
    const phase = this.#phase;
    if (phase === null) return null;
    const limit = this.#limitOf(phase);
    if (limit <= 0) return null;
    this.#elapsed += seconds;
    return this.#elapsed >= limit - TIME_EPSILON ? { phase, limit } : null;
  }

  /**
   * A timer for `timeouts`, or null when no phase has one (a run without phase timeouts keeps no
   * timer and does no phase bookkeeping).
   *
   * @param timeouts - The request's phase timeouts.
   * @returns The timer, or null.
   */
  static of(timeouts: PhaseTimeouts): PhaseTimer | null {
    return timeouts.connect > 0 || timeouts.head > 0 || timeouts.idle > 0 ? new PhaseTimer(timeouts) : null;
  }

  /** Seconds of ticks until the current phase's timeout, or null when it has none. */
  nextDeadline(): number | null {
    const phase = this.#phase;
    if (phase === null) return null;
    const limit = this.#limitOf(phase);
    return limit > 0 ? Math.max(0, limit - this.#elapsed) : null;
  }

  #limitOf(phase: "connect" | "head" | "body"): number {
    return phase === "connect" ? this.#timeouts.connect : phase === "head" ? this.#timeouts.head : this.#timeouts.idle;
  }
}
