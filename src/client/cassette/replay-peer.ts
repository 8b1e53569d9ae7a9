import type { ResolvedAddress, TlsConnectOptions } from "../network.ts";
import { PeerState, type PeerError, type StreamPeer } from "../peer/stream-peer.ts";
import { HeadScanner } from "./head-scanner.ts";
import { requestKey, requestLine, type Observation, type RecordedConnection } from "./recorded-connection.ts";
import { isDue, type ReplayClock } from "./replay-clock.ts";
import type { ReplayFailure } from "./replay-failure.ts";

/** What a replayed peer needs from its network. */
export interface PeerContext {
  /** The current tick. */
  readonly clock: ReplayClock;
  /** Strict mode (else matched). */
  readonly strict: boolean;
  /** The cassette's hidden header names. */
  readonly redacted: readonly string[];
  /** Matched mode: the headers compared besides method and target. */
  readonly matchHeaders: readonly string[];
  /** Reports a refusal to the network. */
  fail(failure: ReplayFailure): void;
  /** Matched mode: the unused recording whose first request matches `head`, marked used; null when none. */
  rebind(peer: ReplayPeer, head: string): RecordedConnection | null;
  /** "Record missing": a real, recorded connection to take over from a replayed one; null without. */
  openLive(address: ResolvedAddress, port: number): StreamPeer | null;
  /** "Record missing": starts TLS, recorded, over a real connection from `openLive`. */
  startLiveTls(peer: StreamPeer, options: TlsConnectOptions): StreamPeer;
}

const EMPTY = new Uint8Array(0);

/**
 * A recorded connection played back. Every client call first makes visible what was recorded up
 * to now, then counts itself, then answers from the recording — as the recording peer noted.
 *
 * In matched mode with "record missing", a first request that nothing recorded matches moves the
 * peer onto a real connection (connected, TLS started if this is a TLS peer, the bytes written so
 * far sent again), recorded like any other; the client sees the same open peer throughout.
 */
export class ReplayPeer implements StreamPeer {
  readonly address: ResolvedAddress;
  readonly port: number;
  onClosed: () => void = () => {};
  #recording: RecordedConnection;
  readonly #context: PeerContext;
  /** The TLS settings when this is a TLS peer, for a real connection that takes over. */
  readonly #tls: TlsConnectOptions | null;
  /** Added to recorded ticks (matched mode: the recording may have run at another time). */
  #shift = 0;
  #ops = 0;
  #cursor = 0;
  #state: PeerState = PeerState.CONNECTING;
  #error: PeerError | null = null;
  #arrived = 0;
  #ended = false;
  #pending = 0;
  #readChunk = 0;
  #readOffset = 0;
  #readTotal = 0;
  #writeIndex = 0;
  /** Strict mode: the written bytes compared so far (hidden values left out). */
  #compared = 0;
  readonly #scanner: HeadScanner;
  /** Matched mode: the request heads seen so far on this connection. */
  #heads = 0;
  #bound: boolean;
  /** Until bound, with "record missing": copies of the bytes written, to send again on a real connection. */
  #sent: Uint8Array[] | null;
  /** The real connection that took over, and the bytes still to send on it. */
  #live: StreamPeer | null = null;
  #liveOpen = false;
  #queued: Uint8Array[] = [];
  #listener: (() => void) | null = null;

  constructor(
    recording: RecordedConnection,
    context: PeerContext,
    address: ResolvedAddress,
    port: number,
    tls: TlsConnectOptions | null,
    canGoLive: boolean,
  ) {
    this.#recording = recording;
    this.#context = context;
    this.address = address;
    this.port = port;
    this.#tls = tls;
    this.#bound = context.strict;
    this.#sent = !context.strict && canGoLive ? [] : null;
    this.#scanner = new HeadScanner("request", context.redacted, []);
    this.#shift = context.strict ? 0 : context.clock.now() - recording.start.t;
  }

  /** The recording this peer plays (matched mode may switch it at the first request). */
  get recording(): RecordedConnection {
    return this.#recording;
  }

  /** Makes visible what is due; `notify` at the start of a tick. */
  advance(notify: boolean): void {
    if (this.#live !== null) {
      this.#pump();
      return;
    }
    const observations = this.#recording.observations;
    const now = this.#context.clock.now();
    let changed = false;
    while (this.#cursor < observations.length) {
      const event = observations[this.#cursor] as Observation;
      if (!isDue(event, this.#shift, now, this.#ops, this.#context.strict)) break;
      this.#cursor++;
      changed = true;
      this.#apply(event);
    }
    if (changed && notify) this.#listener?.();
  }

  /** True when the next recorded change comes later in this tick, after more of the client's calls. */
  isDueLaterThisTick(): boolean {
    if (this.#state === PeerState.CLOSED || this.#live !== null || !this.#context.strict) return false;
    const next = this.#recording.observations[this.#cursor];
    return next !== undefined && next.t + this.#shift === this.#context.clock.now();
  }

  /** True while recorded changes are still to come (a real connection that took over wakes its tree itself). */
  isWaiting(): boolean {
    if (this.#state === PeerState.CLOSED || this.#live !== null) return false;
    return this.#cursor < this.#recording.observations.length;
  }

  getState(): PeerState {
    this.#enter();
    if (this.#live !== null && this.#state === PeerState.OPEN) {
      const state = this.#live.getState();
      return state === PeerState.CONNECTING ? PeerState.OPEN : state;
    }
    return this.#state;
  }

  getError(): PeerError | null {
    this.#enter();
    if (this.#live !== null && this.#state === PeerState.OPEN) return this.#live.getError();
    return this.#state === PeerState.ERROR ? this.#error : null;
  }

  getAvailableBytes(): number {
    this.#enter();
    if (this.#live !== null) return this.#liveOpen ? this.#live.getAvailableBytes() : 0;
    return this.#available();
  }

  read(maxBytes: number): Uint8Array {
    this.#enter();
    if (this.#live !== null) return this.#liveOpen ? this.#live.read(maxBytes) : EMPTY;
    const available = this.#available();
    if (available === 0 || !(maxBytes >= 1)) return EMPTY;
    const chunk = this.#recording.reads[this.#readChunk];
    if (chunk === undefined) return EMPTY;
    const take = Math.min(Math.floor(maxBytes), available, chunk.length - this.#readOffset);
    const view = chunk.subarray(this.#readOffset, this.#readOffset + take);
    this.#readOffset += take;
    this.#readTotal += take;
    if (this.#readOffset >= chunk.length) {
      this.#readChunk++;
      this.#readOffset = 0;
    }
    return view;
  }

  releaseReads(keepLastBytes: number): void {
    this.#enter();
    if (this.#liveOpen) this.#live?.releaseReads?.(keepLastBytes);
  }

  write(data: Uint8Array): number {
    this.#enter();
    if (this.#live !== null) return this.#writeLive(data);
    if (this.#state !== PeerState.OPEN) return 0;
    const recorded = this.#recording.writes[this.#writeIndex++];
    // Strict mode accepts what the recording accepted (back-pressure replays); matched mode takes all.
    const accepted = recorded === undefined || !this.#context.strict ? data.length : Math.min(data.length, recorded.length);
    if (accepted === 0) return 0;
    if (!this.#bound && this.#sent !== null) this.#sent.push(data.slice(0, accepted));
    const shown = this.#scanner.collapse(data.subarray(0, accepted));
    if (this.#context.strict) this.#compare(shown);
    else this.#checkHeads();
    if (this.#live !== null) return accepted; // handed to a real connection at this request
    return (this.#state as PeerState) === PeerState.ERROR ? 0 : accepted;
  }

  getPendingWriteBytes(): number {
    this.#enter();
    if (this.#live !== null)
      return this.#queued.reduce((sum, chunk) => sum + chunk.length, 0) + (this.#liveOpen ? this.#live.getPendingWriteBytes() : 0);
    return this.#pending;
  }

  isEnded(): boolean {
    this.#enter();
    if (this.#live !== null) return this.#liveOpen && this.#live.isEnded();
    return this.#ended;
  }

  close(): void {
    this.#enter();
    this.#live?.close();
    this.#state = PeerState.CLOSED;
    this.#listener = null;
    this.onClosed();
  }

  setIdle(idle: boolean): void {
    this.#enter();
    if (this.#liveOpen) this.#live?.setIdle?.(idle);
  }

  setActivityListener(listener: (() => void) | null): void {
    this.#listener = listener;
    this.#live?.setActivityListener(listener);
  }

  /** Hands the peer to TLS: it is closed for the client. */
  handOver(): void {
    this.#enter();
    this.#state = PeerState.CLOSED;
    this.#listener = null;
  }

  #available(): number {
    return Math.max(0, Math.min(this.#arrived, this.#streamLength()) - this.#readTotal);
  }

  #streamLengthCache = -1;
  #streamLength(): number {
    if (this.#streamLengthCache < 0) this.#streamLengthCache = this.#recording.reads.reduce((sum, chunk) => sum + chunk.length, 0);
    return this.#streamLengthCache;
  }

  #apply(event: Observation): void {
    switch (event.ev) {
      case "state":
        if (this.#state === PeerState.CLOSED) return;
        if (event.state === "open") this.#state = PeerState.OPEN;
        else {
          this.#state = PeerState.ERROR;
          this.#error = event.error ?? { kind: "io", code: "EUNKNOWN", message: "EUNKNOWN" };
        }
        return;
      case "arrive":
        this.#arrived += event.n;
        return;
      case "end":
        this.#ended = true;
        return;
      case "pending":
        this.#pending = event.n;
        return;
    }
  }

  /**
   * Strict mode: compares the bytes written with the recorded ones, hidden header values left out
   * on both sides; the first difference fails the peer.
   */
  #compare(shown: Uint8Array): void {
    const recorded = collapsedWrites(this.#recording, this.#context.redacted);
    for (let i = 0; i < shown.length; i++) {
      const offset = this.#compared + i;
      const expected = offset < recorded.length ? (recorded[offset] as number) : null;
      const sent = shown[i] as number;
      if (expected !== sent) {
        const id = this.#recording.id;
        const reason = `connection ${id}: the request differs from the recording at byte ${offset}: recorded ${describeByte(expected)}, sent ${describeByte(sent)}`;
        this.#context.fail({ code: "mismatch", connection: id, offset, recorded: expected, sent, reason, fault: "caller" });
        this.#failWith("ECASSETTE_MISMATCH", reason);
        return;
      }
    }
    this.#compared += shown.length;
  }

  /** Matched mode: binds the connection at its first request, then checks each later one. */
  #checkHeads(): void {
    for (const head of this.#scanner.takeHeads()) {
      const index = this.#heads++;
      if (!this.#bound) {
        const chosen = this.#context.rebind(this, head);
        if (chosen !== null) {
          this.#bind(chosen);
          continue;
        }
        if (this.#goLive()) return;
        return this.#missing(head);
      }
      const recorded = this.#recording.heads[index];
      const keyOf = (text: string): string => requestKey(text, this.#context.matchHeaders, this.#context.redacted);
      if (recorded === undefined || keyOf(recorded) !== keyOf(head)) return this.#missing(head);
    }
  }

  /** Switches to `chosen`, keeping what is visible now, with its ticks counted from this first request. */
  #bind(chosen: RecordedConnection): void {
    this.#bound = true;
    this.#sent = null;
    const now = this.#context.clock.now();
    const firstWrite = chosen.firstWriteTick < 0 ? chosen.start.t : chosen.firstWriteTick;
    this.#recording = chosen;
    this.#shift = now - firstWrite;
    // Skip the new recording's observations before its first write: its connect and handshake
    // stand for the ones already played.
    const observations = chosen.observations;
    this.#cursor = 0;
    while (this.#cursor < observations.length && (observations[this.#cursor] as Observation).t < firstWrite) this.#cursor++;
    this.#streamLengthCache = -1;
  }

  /** "Record missing": moves onto a real connection, sending again what was written. */
  #goLive(): boolean {
    if (this.#sent === null) return false;
    const live = this.#context.openLive(this.address, this.port);
    if (live === null) return false;
    this.#live = live;
    this.#bound = true;
    this.#queued = this.#sent;
    this.#sent = null;
    live.setActivityListener(this.#listener);
    return true;
  }

  #writeLive(data: Uint8Array): number {
    if ((this.#live?.getState() ?? PeerState.ERROR) === PeerState.ERROR) return 0;
    this.#queued.push(data.slice());
    this.#pump();
    return data.length;
  }

  /** Moves the real connection on: TLS once TCP is open, then the queued bytes. */
  #pump(): void {
    const live = this.#live;
    if (live === null || live.getState() !== PeerState.OPEN) return;
    if (!this.#liveOpen && this.#tls !== null && !this.#tlsStarted) {
      this.#tlsStarted = true;
      this.#live = this.#context.startLiveTls(live, this.#tls);
      this.#live.setActivityListener(this.#listener);
      return;
    }
    this.#liveOpen = true;
    while (this.#queued.length > 0) {
      const chunk = this.#queued[0] as Uint8Array;
      const accepted = live.write(chunk);
      if (accepted === chunk.length) this.#queued.shift();
      else {
        if (accepted > 0) this.#queued[0] = chunk.subarray(accepted);
        break;
      }
    }
  }

  #tlsStarted = false;

  #missing(head: string): void {
    const reason = `no recorded exchange for ${requestLine(head)} (${this.#recording.start.ev === "tls" ? "TLS " : ""}${this.address.address}:${this.port})`;
    this.#context.fail({ code: "missing", connection: "", offset: -1, recorded: null, sent: null, reason, fault: "caller" });
    this.#failWith("ECASSETTE_MISSING", reason);
  }

  #failWith(code: string, reason: string): void {
    this.#state = PeerState.ERROR;
    this.#error = { kind: "io", code, message: `${code}: ${reason}` };
  }

  #enter(): void {
    this.advance(false);
    this.#ops++;
  }
}

/** A connection's written bytes with hidden header values left out, computed once. */

function collapsedWrites(connection: RecordedConnection, redacted: readonly string[]): Uint8Array {
  const cached = collapsedCache.get(connection);
  if (cached !== undefined) return cached;
  const total = connection.writes.reduce((sum, chunk) => sum + chunk.length, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const chunk of connection.writes) {
    all.set(chunk, at);
    at += chunk.length;
  }
  const collapsed = new HeadScanner("request", redacted, []).collapse(all);
  collapsedCache.set(connection, collapsed);
  return collapsed;
}
const collapsedCache = new WeakMap<RecordedConnection, Uint8Array>();

function describeByte(byte: number | null): string {
  if (byte === null) return "nothing (end of the recorded request bytes)";
  const hex = `0x${byte.toString(16).padStart(2, "0")}`;
  return byte >= 0x20 && byte < 0x7f ? `${hex} '${String.fromCharCode(byte)}'` : hex;
}
