import type { HTTPClient } from "../client/http-client.ts";
import { Status } from "../status/status.ts";
import { RequestTimings, SLOT, type TimingEvent, type TimingSnapshot } from "./timings.ts";

/**
 * Feeds {@link RequestTimings} from what an `HTTPRequest` sees of its client on each tick: the
 * phases it has passed (lookup, TCP, TLS, bytes sent and received), read against the node's clock.
 *
 * @internal
 */
export class TimingObserver {
  private readonly timings = new RequestTimings();
  private readonly now: () => number;
  /**
   * True once this hop's first response byte is marked: every phase `observe()` looks for is then
   * behind, so it has nothing left to do until the next request or redirect.
   */
  private received = false;
  /**
   * True once this hop's first byte sent is marked (with every connection phase before it): only
   * the first response byte is left to look for.
   */
  private sent = false;

  /** @param now - The node's time in milliseconds. */
  constructor(now: () => number) {
    this.now = now;
  }

  /** Starts a new request's timings. */
  start(): void {
    this.received = false;
    this.sent = false;
    this.timings.reset();
    this.timings.mark("start", this.now());
  }

  /**
   * Marks an event now (see {@link RequestTimings.mark} for repeated marks).
   *
   * @param event - The event.
   */
  mark(event: TimingEvent): void {
    if (event === "redirectStart") {
      this.received = false; // a new hop: its phases are to come
      this.sent = false;
    }
    this.timings.mark(event, this.now());
  }

  /**
   * Marks an event now unless it was marked already in this hop.
   *
   * @param event - The event.
   */
  markOnce(event: TimingEvent): void {
    this.#markOnceAt(SLOT[event]);
  }

  /** {@link TimingObserver.markOnce} by slot. */
  #markOnceAt(slot: number): void {
    if (this.timings.timeAt(slot) < 0) this.timings.markAt(slot, this.now());
  }

  /** Counts a retry: a new attempt, whose phases are to come. */
  countAttempt(): void {
    this.received = false;
    this.sent = false;
    this.timings.countAttempt();
  }

  /**
   * Marks where a connection starts, right after `connectToHost`.
   *
   * @param status - The client's status then.
   */
  connectStarted(status: Status): void {
    this.received = false; // a new connection in the same hop (a retry): its phases are to come
    this.sent = false;
    if (status === Status.STATUS_RESOLVING) this.#markOnceAt(SLOT.dnsStart);
    else if (status === Status.STATUS_CONNECTING || status === Status.STATUS_CONNECTED) this.#markOnceAt(SLOT.tcpStart);
  }

  /**
   * Marks the phases the client has passed, as this tick sees them.
   *
   * @param client - The client, just polled.
   * @param status - Its status.
   * @param requestSent - True once the request was handed to the client.
   */
  observe(client: HTTPClient, status: Status, requestSent: boolean): void {
    if (this.received) return;
    if (this.sent) {
      if (client.getResponseWireBytes() > 0) this.#receivedNow();
      return;
    }
    const dnsStarted = this.timings.timeAt(SLOT.dnsStart) >= 0;
    if (status === Status.STATUS_RESOLVING) {
      this.#markOnceAt(SLOT.dnsStart);
      return;
    }
    if (dnsStarted) this.#markOnceAt(SLOT.dnsEnd);
    if (status === Status.STATUS_CONNECTING) {
      this.#markOnceAt(SLOT.tcpStart);
      if (client.getConnectStage() === "tls") {
        this.#markOnceAt(SLOT.tcpEnd);
        this.#markOnceAt(SLOT.tlsStart);
      }
      return;
    }
    if (this.timings.timeAt(SLOT.tcpStart) >= 0) this.#markOnceAt(SLOT.tcpEnd);
    if (this.timings.timeAt(SLOT.tlsStart) >= 0) this.#markOnceAt(SLOT.tlsEnd);
    if (requestSent || status === Status.STATUS_REQUESTING) this.#markOnceAt(SLOT.firstByteSent);
    if (this.timings.timeAt(SLOT.firstByteSent) < 0) return;
    this.sent = true;
    // Until this request is sent, a kept connection's client still counts the previous response.
    if (client.getResponseWireBytes() > 0) this.#receivedNow();
  }

  /** Marks the hop's first response byte: every phase `observe()` looks for is then behind. */
  #receivedNow(): void {
    this.#markOnceAt(SLOT.firstByteReceived);
    this.received = true;
  }

  /** The durations so far. */
  snapshot(): TimingSnapshot {
    return this.timings.snapshot();
  }
}
