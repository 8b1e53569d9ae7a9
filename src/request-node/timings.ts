/**
 * Per-request phase timings, after OpenHarmony's `PerformanceTiming`, fed by the caller with
 * timestamps from its own injectable clock. This file never reads a clock.
 *
 * @module
 */

/**
 * A moment in a request's life, marked by the code that sees it happen:
 * - `start`: the request was started (before any lookup). Once per request.
 * - `redirectStart`: a redirect is being followed: a new hop begins.
 * - `dnsStart` / `dnsEnd`: host name resolution began / produced its addresses.
 * - `tcpStart` / `tcpEnd`: the TCP connect began / the socket connected.
 * - `tlsStart` / `tlsEnd`: the TLS handshake began / completed.
 * - `firstByteSent`: the first byte of the HTTP request was written.
 * - `firstByteReceived`: the first byte of the response arrived.
 * - `headersReceived`: the whole response head was parsed.
 * - `bodyEnd`: the last byte of the response body arrived.
 * - `end`: the request finished, whatever the result (success, failure, cancel).
 */
export type TimingEvent =
  | "start"
  | "redirectStart"
  | "dnsStart"
  | "dnsEnd"
  | "tcpStart"
  | "tcpEnd"
  | "tlsStart"
  | "tlsEnd"
  | "firstByteSent"
  | "firstByteReceived"
  | "headersReceived"
  | "bodyEnd"
  | "end";

/**
 * Durations in milliseconds, each -1 while one of the marks it needs is missing. Unless noted,
 * a field describes the final hop: the one after the last `redirectStart`, or the only one. The
 * hop starts at the last `redirectStart` mark, or at `start` when there was no redirect. A
 * difference the clock made negative (it went backwards) reads 0.
 */
export interface TimingSnapshot {
  /** `dnsEnd − dnsStart`: name resolution. -1 when the hop resolved nothing (reused connection, IP literal). */
  readonly dns: number;
  /** `tcpEnd − tcpStart`: the TCP connect, across every address tried. -1 on a reused connection. */
  readonly tcp: number;
  /** `tlsEnd − tlsStart`: the TLS handshake. -1 for plain HTTP or a reused connection. */
  readonly tls: number;
  /** `firstByteSent − hop start`: until the request began going out; includes `dns`, `tcp` and `tls`. */
  readonly firstSend: number;
  /** `firstByteReceived − firstByteSent`: waiting for the server (sending the request, server time, round trip). */
  readonly firstReceive: number;
  /** `headersReceived − firstByteReceived`: receiving the response head (and any 1xx heads before it). */
  readonly headers: number;
  /** `bodyEnd − headersReceived`: receiving the response body. */
  readonly body: number;
  /** `last redirectStart − start`: time spent in the hops before the final one; 0 without redirects, -1 without `start`. */
  readonly redirect: number;
  /** `end − start`: the whole request, every hop included. */
  readonly total: number;
  /** How many redirects were followed (`redirectStart` marks). */
  readonly redirects: number;
  /** How many attempts the request made: 1, plus one for each retry of its retry policy. */
  readonly attempts: number;
}

/**
 * The slot of each event in a {@link RequestTimings}' marks; the observer that feeds the marks
 * names slots through it (a property read, where a lookup by a variable name is a keyed one).
 *
 * @internal
 */
export const SLOT: Readonly<Record<TimingEvent, number>> = {
  start: 0,
  redirectStart: 1,
  dnsStart: 2,
  dnsEnd: 3,
  tcpStart: 4,
  tcpEnd: 5,
  tlsStart: 6,
  tlsEnd: 7,
  firstByteSent: 8,
  firstByteReceived: 9,
  headersReceived: 10,
  bodyEnd: 11,
  end: 12,
};
const SLOTS = 13;
/** Slots from here on are per hop: a `redirectStart` forgets them. */
const FIRST_PER_HOP = SLOT.dnsStart;
/** By slot: true for the per-hop events of which a hop keeps the first mark (a phase starts once); the other per-hop events keep the last. */
const FIRST_IN_HOP: readonly boolean[] = (() => {
  const first = new Array<boolean>(SLOTS).fill(false);
  for (const event of ["dnsStart", "tcpStart", "tlsStart", "firstByteSent", "firstByteReceived"] as const) first[SLOT[event]] = true;
  return first;
})();
/** An unmarked slot: marks are finite numbers, so NaN is never one. */
const UNSET = NaN;

/**
 * Records when a request passed each {@link TimingEvent} and turns the marks into durations.
 * Time is passed in by the caller (`mark(event, clock())`, milliseconds from any origin), so the
 * same marks give the same snapshot: tests drive it with a fake clock.
 *
 * Repeated marks follow fixed rules:
 * - `start` keeps its first mark for the whole request; `end` keeps its last.
 * - `redirectStart` keeps its last mark, counts the redirects, and forgets every per-hop mark,
 *   so the phase fields describe the final hop and `redirect` covers all the earlier ones.
 * - Within a hop, the starts of phases (`dnsStart`, `tcpStart`, `tlsStart`, `firstByteSent`,
 *   `firstByteReceived`) keep their first mark and their ends (`dnsEnd`, `tcpEnd`, `tlsEnd`,
 *   `headersReceived`, `bodyEnd`) keep their last: a connect that tries three addresses counts
 *   from the first attempt to the success, and after a `100 Continue` `headers` ends with the
 *   final head.
 *
 * @example
 * ```ts
 * // `clock` is the `() => number` (milliseconds) the application injected; a fake one in tests.
 * declare const clock: () => number;
 * const timings = new RequestTimings();
 * timings.mark("start", clock());
 * // … the client marks the phases as they happen …
 * timings.mark("end", clock());
 * console.log(timings.snapshot().total);
 * ```
 */
export class RequestTimings {
  /** The mark of each event by slot; {@link UNSET} when not marked. */
  readonly #marks = new Float64Array(SLOTS).fill(UNSET);
  #redirects = 0;
  #attempts = 1;

  /**
   * Counts a new attempt of the request (a retry): the phase fields describe the last attempt's
   * hop from here on, as after a redirect.
   */
  countAttempt(): void {
    this.#marks.fill(UNSET, FIRST_PER_HOP, SLOT.end);
    this.#attempts++;
  }

  /**
   * Records that `event` happened at `now`.
   *
   * @param event - What happened.
   * @param now - When, in milliseconds from the caller's clock.
   * @returns True when the mark was kept; false when `now` is not a finite number, `event` is not
   * a {@link TimingEvent}, or an earlier mark of a first-wins event stands.
   */
  mark(event: TimingEvent, now: number): boolean {
    const slot: unknown = SLOT[event]; // not a number for anything but a TimingEvent
    return typeof slot === "number" && this.markAt(slot, now);
  }

  /**
   * {@link RequestTimings.mark} by slot ({@link SLOT}).
   *
   * @param slot - The event's slot.
   * @param now - When, in milliseconds from the caller's clock.
   * @returns As {@link RequestTimings.mark}.
   * @internal
   */
  markAt(slot: number, now: number): boolean {
    if (!Number.isFinite(now)) return false;
    if (slot === SLOT.redirectStart) {
      this.#marks.fill(UNSET, FIRST_PER_HOP, SLOT.end);
      this.#redirects++;
    } else if ((slot === SLOT.start || FIRST_IN_HOP[slot] === true) && this.#get(slot) !== undefined) {
      return false;
    }
    this.#marks[slot] = now;
    return true;
  }

  /**
   * The mark kept for an event.
   *
   * @param event - The event.
   * @returns Its timestamp, or -1 when it was not marked (in the current hop, for per-hop events).
   */
  timeOf(event: TimingEvent): number {
    const slot: unknown = SLOT[event];
    return typeof slot === "number" ? this.timeAt(slot) : -1;
  }

  /**
   * {@link RequestTimings.timeOf} by slot ({@link SLOT}).
   *
   * @param slot - The event's slot.
   * @returns As {@link RequestTimings.timeOf}.
   * @internal
   */
  timeAt(slot: number): number {
    const mark = this.#marks[slot] as number;
    return Number.isNaN(mark) ? -1 : mark;
  }

  /**
   * The durations as of now; a field whose marks are missing is -1 (see {@link TimingSnapshot}).
   *
   * @returns A fresh object; later marks do not change it.
   */
  snapshot(): TimingSnapshot {
    const start = this.#get(SLOT.start);
    const lastRedirect = this.#get(SLOT.redirectStart);
    const hopStart = lastRedirect ?? start;
    return {
      dns: this.#between(SLOT.dnsStart, SLOT.dnsEnd),
      tcp: this.#between(SLOT.tcpStart, SLOT.tcpEnd),
      tls: this.#between(SLOT.tlsStart, SLOT.tlsEnd),
      firstSend: span(hopStart, this.#get(SLOT.firstByteSent)),
      firstReceive: this.#between(SLOT.firstByteSent, SLOT.firstByteReceived),
      headers: this.#between(SLOT.firstByteReceived, SLOT.headersReceived),
      body: this.#between(SLOT.headersReceived, SLOT.bodyEnd),
      redirect: start === undefined ? -1 : lastRedirect === undefined ? 0 : span(start, lastRedirect),
      total: span(start, this.#get(SLOT.end)),
      redirects: this.#redirects,
      attempts: this.#attempts,
    };
  }

  /** Forgets every mark, to time another request. */
  reset(): void {
    this.#marks.fill(UNSET);
    this.#redirects = 0;
    this.#attempts = 1;
  }

  #get(slot: number): number | undefined {
    const mark = this.#marks[slot] as number;
    return Number.isNaN(mark) ? undefined : mark;
  }

  #between(from: number, to: number): number {
    return span(this.#get(from), this.#get(to));
  }
}

function span(from: number | undefined, to: number | undefined): number {
  if (from === undefined || to === undefined) return -1;
  return Math.max(0, to - from);
}
