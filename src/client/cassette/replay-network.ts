import type { LookupState, Network, PendingLookup, ResolvedAddress, TlsConnectOptions } from "../network.ts";
import { FailedPeer } from "../peer/failed-peer.ts";
import { PeerState, type PeerError, type StreamPeer } from "../peer/stream-peer.ts";
import { parseIpAddress } from "../resolved-address.ts";
import { CASSETTE_VERSION, writeCassette, type Cassette, type EventTime } from "./cassette.ts";
import { HeadScanner } from "./head-scanner.ts";
import { indexCassette, requestKey, requestLine, type CassetteIndex, type Observation, type RecordedConnection, type RecordedLookup } from "./recorded-connection.ts";
import { RecordingNetwork } from "./recording-network.ts";
import { attachTicks, type TickSource } from "./tick-source.ts";

/**
 * How a {@link ReplayNetwork} pairs what the client does with what was recorded:
 * - `strict`: lookups and connections are taken in recorded order, and every byte written must be
 *   the recorded one; the first difference fails the connection and is reported with the
 *   connection, the byte offset and both bytes.
 * - `matched`: a lookup takes a recording of the same host, and a connection the recording whose
 *   first request has the same method, target and chosen headers, in any order (for requests that
 *   run in parallel); later requests on a connection are checked the same way.
 */
export type ReplayMode = "strict" | "matched";

/** Settings of a {@link ReplayNetwork}. */
export interface ReplayNetworkOptions {
  /** Default `strict`. */
  readonly mode?: ReplayMode;
  /** In `matched` mode, the headers compared besides method and target. Default `["host"]`. */
  readonly matchHeaders?: readonly string[];
  /**
   * A real network to use, and record from, when nothing recorded is left for a lookup or a
   * connection ("record missing"); its recordings are added to {@link ReplayNetwork.toCassette}.
   * Without it such a lookup fails with `ECASSETTE_MISSING` and such a connection fails with a
   * peer error of that code.
   */
  readonly recordMissing?: Network;
}

/** Why a replay refused what the client did. */
export interface ReplayFailure {
  /** `mismatch`: a byte written differs from the recording (strict); `missing`: nothing recorded matches. */
  readonly code: "mismatch" | "missing";
  /** The recorded connection (`c<n>`) or lookup (`l<n>`) concerned, or `""` when none. */
  readonly connection: string;
  /** For a mismatch, the offset in the connection's written bytes of the first difference; otherwise -1. */
  readonly offset: number;
  /** The recorded byte there, or null past the end of the recording. */
  readonly recorded: number | null;
  /** The byte the client wrote there, or null. */
  readonly sent: number | null;
  /** A sentence for people. */
  readonly reason: string;
  /** Always the caller: the program did something the cassette does not hold. */
  readonly fault: "caller";
}

/** What the replay network shares with its lookups and peers. */
interface ReplayClock {
  now(): number;
}

/**
 * A {@link Network} that plays a {@link Cassette} back in memory, like a `ScriptedNetwork` whose
 * script was recorded: no DNS, no socket, no timer, no clock. Each peer shows what the recorded
 * one showed, on the same tick: the same bytes available, handed out in the same chunks, the same
 * end, errors and write acceptance; lookups settle as recorded. The same program with the same
 * ticks therefore produces the same signals, results, timings and bodies, byte for byte.
 *
 * Ticks: call {@link tick} at the start of every step (with a `SceneTree`, {@link attach}), as
 * when recording; {@link nextDelta} gives the recorded delta of the next step.
 *
 * @example
 * ```ts
 * const network = new ReplayNetwork(readCassette("fixtures/api.cassette.jsonl"));
 * const tree = new SceneTree();
 * network.attach(tree);
 * const req = new HTTPRequest({ network });
 * tree.root.addChild(req);
 * req.request("http://127.0.0.1:8080/api");
 * while (!done) tree.process(network.nextDelta());
 * ```
 */
export class ReplayNetwork implements Network {
  readonly #cassette: Cassette;
  readonly #index: CassetteIndex;
  readonly #mode: ReplayMode;
  readonly #matchHeaders: readonly string[];
  readonly #recorder: RecordingNetwork | null;
  readonly #live = new Set<ReplayLookup | ReplayPeer>();
  readonly #failures: ReplayFailure[] = [];
  #nextLookup = 0;
  #nextConnection = 0;
  #tick = 0;
  #elapsedMs = 0;
  #socketsOpened = 0;
  readonly #clock: ReplayClock = { now: () => this.#tick };

  /**
   * @param cassette - The recording.
   * @param options - Mode, matched headers and "record missing".
   * @throws Error when the cassette's version is not {@link CASSETTE_VERSION}.
   */
  constructor(cassette: Cassette, options: ReplayNetworkOptions = {}) {
    if (cassette.version !== CASSETTE_VERSION) throw new Error(`cassette version ${cassette.version} is not supported`);
    this.#cassette = cassette;
    this.#index = indexCassette(cassette.events, cassette.redacted);
    this.#mode = options.mode ?? "strict";
    this.#matchHeaders = (options.matchHeaders ?? ["host"]).map((name) => name.toLowerCase());
    const lookups = this.#index.lookups.length;
    const connections = this.#index.connections.length;
    this.#recorder = options.recordMissing === undefined
      ? null
      : new RecordingNetwork(options.recordMissing, { redact: cassette.redacted, firstIds: { lookup: lookups, connection: connections } });
  }

  /**
   * Starts a new tick: what was recorded for it becomes visible, and the peers and lookups that
   * changed call their activity listeners (as a real peer does between steps).
   *
   * @param delta - The step's seconds (for {@link clock}). Default 0.
   */
  tick(delta = 0): void {
    this.#tick++;
    this.#elapsedMs += Number.isFinite(delta) && delta > 0 ? delta * 1000 : 0;
    this.#recorder?.tick(delta);
    for (const item of [...this.#live]) item.advance(true);
  }

  /**
   * Calls {@link tick} at the start of every step of a tree.
   *
   * @param tree - A `SceneTree`.
   * @returns A function that stops it.
   */
  attach(tree: TickSource): () => void {
    return attachTicks(tree, this);
  }

  /** The number of ticks so far. */
  getTick(): number {
    return this.#tick;
  }

  /** The number of ticks the cassette recorded. */
  getRecordedTicks(): number {
    return this.#cassette.deltas.length;
  }

  /**
   * The delta the recording gave the next tick; past the recorded ticks, the last one (1/60 s
   * for a cassette without ticks).
   *
   * @returns Seconds.
   */
  nextDelta(): number {
    const deltas = this.#cassette.deltas;
    return deltas[this.#tick] ?? deltas[deltas.length - 1] ?? 1 / 60;
  }

  /**
   * A clock for `HTTPRequestOptions.clock`: the sum of the ticks' deltas in milliseconds, as
   * {@link RecordingNetwork.clock} read it while recording.
   *
   * @returns Milliseconds.
   */
  readonly clock = (): number => this.#elapsedMs;

  /** What the replay refused so far, oldest first. */
  getFailures(): readonly ReplayFailure[] {
    return this.#failures;
  }

  /** The number of real connections opened ("record missing" only); 0 for a pure replay. */
  getSocketsOpened(): number {
    return this.#socketsOpened;
  }

  /**
   * The cassette with whatever "record missing" added to it.
   *
   * @returns The cassette.
   */
  toCassette(): Cassette {
    const added = this.#recorder?.toCassette();
    if (added === undefined || added.events.length === 0) return this.#cassette;
    return {
      version: CASSETTE_VERSION,
      deltas: added.deltas.length > this.#cassette.deltas.length ? added.deltas : this.#cassette.deltas,
      redacted: this.#cassette.redacted,
      events: [...this.#cassette.events, ...added.events],
    };
  }

  /** True when "record missing" recorded something. */
  hasNewRecordings(): boolean {
    return (this.#recorder?.toCassette().events.length ?? 0) > 0;
  }

  /**
   * Writes {@link toCassette} to a file.
   *
   * @param path - The file, replaced.
   */
  save(path: string): void {
    writeCassette(path, this.toCassette());
  }

  /** {@inheritDoc Network.resolve} */
  resolve(host: string): PendingLookup {
    const lookups = this.#index.lookups;
    let found: RecordedLookup | undefined;
    if (this.#mode === "strict") {
      const next = lookups[this.#nextLookup];
      if (next !== undefined && next.start.host.toLowerCase() === host.toLowerCase()) {
        this.#nextLookup++;
        found = next;
      }
    } else {
      found = lookups.find((lookup) => !lookup.used && lookup.start.host.toLowerCase() === host.toLowerCase());
    }
    if (found === undefined) {
      if (this.#recorder !== null) return this.#recorder.resolve(host);
      const expected = this.#mode === "strict" ? lookups[this.#nextLookup]?.start.host : undefined;
      this.#fail({
        code: "missing", connection: "", offset: -1, recorded: null, sent: null, fault: "caller",
        reason: `no recorded lookup of ${host}${expected === undefined ? "" : ` (the recording looks up ${expected} next)`}`,
      });
      return new ReplayLookup(host, "missing", this.#clock, false, () => {});
    }
    found.used = true;
    const lookup = new ReplayLookup(host, found.settle, this.#clock, this.#mode === "strict", (done) => this.#live.delete(done));
    this.#live.add(lookup);
    return lookup;
  }

  /** {@inheritDoc Network.connect} */
  connect(address: ResolvedAddress, port: number): StreamPeer {
    const fits = (connection: RecordedConnection): boolean =>
      connection.start.ev === "connect" && connection.start.address === address.address && connection.start.port === port;
    let found: RecordedConnection | undefined;
    const tcp = this.#index.connections.filter((connection) => connection.start.ev === "connect");
    if (this.#mode === "strict") {
      const next = tcp[this.#nextConnection];
      if (next !== undefined && fits(next)) {
        this.#nextConnection++;
        found = next;
      }
    } else {
      found = tcp.find((connection) => !connection.used && fits(connection));
    }
    if (found === undefined) {
      if (this.#recorder !== null) {
        this.#socketsOpened++;
        return this.#recorder.connect(address, port);
      }
      const next = this.#mode === "strict" ? tcp[this.#nextConnection] : undefined;
      const recorded = next?.start.ev === "connect" ? ` (the recording connects to ${next.start.address}:${next.start.port} next, as ${next.id})` : "";
      const reason = `no recorded connection to ${address.address}:${port}${recorded}`;
      this.#fail({ code: "missing", connection: next?.id ?? "", offset: -1, recorded: null, sent: null, reason, fault: "caller" });
      return new FailedPeer({ kind: "connect", code: "ECASSETTE_MISSING", message: `ECASSETTE_MISSING: ${reason}` });
    }
    if (this.#mode === "strict") found.used = true;
    return this.#track(new ReplayPeer(found, this.#peerContext(), address, port, null, true));
  }

  /** {@inheritDoc Network.startTls} */
  startTls(peer: StreamPeer, options: TlsConnectOptions): StreamPeer {
    if (!(peer instanceof ReplayPeer) || !this.#live.has(peer)) {
      if (this.#recorder !== null) return this.#recorder.startTls(peer, options);
      return new FailedPeer({ kind: "tls", code: "EINVAL", message: "EINVAL: startTls needs an OPEN peer from this network's connect()" });
    }
    const over = peer.recording;
    const unsafe = options.unsafe === true;
    const fits = (connection: RecordedConnection, anyParent: boolean): boolean => {
      const start = connection.start;
      if (start.ev !== "tls" || start.servername !== options.servername || start.unsafe !== unsafe || connection.used) return false;
      if (start.over === over.id) return true;
      const parent = this.#index.byId.get(start.over)?.start;
      return anyParent && parent?.ev === "connect" && over.start.ev === "connect" && parent.address === over.start.address && parent.port === over.start.port;
    };
    const connections = this.#index.connections;
    const found = connections.find((connection) => fits(connection, false)) ?? (this.#mode === "matched" ? connections.find((connection) => fits(connection, true)) : undefined);
    const address = peer.address;
    const port = peer.port;
    peer.handOver();
    this.#live.delete(peer);
    if (found === undefined) {
      const reason = `no recorded TLS handshake with ${options.servername}${unsafe ? " (unsafe)" : ""} over ${over.id}`;
      this.#fail({ code: "missing", connection: over.id, offset: -1, recorded: null, sent: null, reason, fault: "caller" });
      return new FailedPeer({ kind: "tls", code: "ECASSETTE_MISSING", message: `ECASSETTE_MISSING: ${reason}` });
    }
    if (this.#mode === "strict") found.used = true;
    // A tunnel through a proxy (CONNECT on the TCP connection) cannot be redone by "record missing".
    const tunnelled = over.heads.some((head) => head.startsWith("CONNECT "));
    return this.#track(new ReplayPeer(found, this.#peerContext(), address, port, options, !tunnelled));
  }

  #peerContext(): PeerContext {
    return {
      clock: this.#clock,
      strict: this.#mode === "strict",
      redacted: this.#cassette.redacted,
      matchHeaders: this.#matchHeaders,
      fail: (failure) => this.#fail(failure),
      rebind: (peer, head) => this.#rebind(peer, head),
      openLive: (address, port) => {
        if (this.#recorder === null) return null;
        this.#socketsOpened++;
        return this.#recorder.connect(address, port);
      },
      startLiveTls: (peer, options) => (this.#recorder as RecordingNetwork).startTls(peer, options),
    };
  }

  /** Matched mode: the recording of the same kind whose first request matches `head`, unused. */
  #rebind(peer: ReplayPeer, head: string): RecordedConnection | null {
    const current = peer.recording;
    const key = requestKey(head, this.#matchHeaders, this.#cassette.redacted);
    const sameKind = (connection: RecordedConnection): boolean => {
      const a = connection.start;
      const b = current.start;
      if (a.ev === "connect" && b.ev === "connect") return a.address === b.address && a.port === b.port;
      return a.ev === "tls" && b.ev === "tls" && a.servername === b.servername && a.unsafe === b.unsafe;
    };
    const candidates = this.#index.connections.filter((connection) => !connection.used && sameKind(connection));
    const chosen = candidates.find((connection) => connection.heads[0] !== undefined && requestKey(connection.heads[0], this.#matchHeaders, this.#cassette.redacted) === key);
    if (chosen === undefined) return null;
    chosen.used = true;
    return chosen;
  }

  #track(peer: ReplayPeer): ReplayPeer {
    this.#live.add(peer);
    peer.onClosed = () => this.#live.delete(peer);
    return peer;
  }

  #fail(failure: ReplayFailure): void {
    this.#failures.push(failure);
  }
}

/** Whether a recorded event is visible now: an earlier tick, or this tick once the client made as many calls. */
function isDue(event: EventTime, shift: number, now: number, ops: number, useOps: boolean): boolean {
  const t = event.t + shift;
  return t < now || (t === now && (!useOps || event.op <= ops));
}

/** A recorded lookup played back: `pending` until its recorded tick. */
class ReplayLookup implements PendingLookup {
  readonly host: string;
  readonly #settle: RecordedLookup["settle"] | "missing";
  readonly #clock: ReplayClock;
  readonly #useOps: boolean;
  readonly #done: (lookup: ReplayLookup) => void;
  #state: LookupState = "pending";
  #addresses: ResolvedAddress[] = [];
  #error = "";
  #ops = 0;
  #cancelled = false;
  #listener: (() => void) | null = null;

  /**
   * @param settle - How the recorded lookup settled (null: it never did), or `missing` for a
   *   lookup the cassette does not hold, failed at once with `ECASSETTE_MISSING`.
   */
  constructor(host: string, settle: RecordedLookup["settle"] | "missing", clock: ReplayClock, useOps: boolean, done: (lookup: ReplayLookup) => void) {
    this.host = host;
    this.#settle = settle;
    this.#clock = clock;
    this.#useOps = useOps;
    this.#done = done;
    if (settle === "missing") {
      this.#state = "failed";
      this.#error = "ECASSETTE_MISSING";
    }
  }

  /** Settles the lookup if its recorded time has come; `notify` at the start of a tick. */
  advance(notify: boolean): void {
    const settle = this.#settle;
    if (this.#state !== "pending" || this.#cancelled || settle === null || settle === "missing") return;
    if (!isDue(settle, 0, this.#clock.now(), this.#ops, this.#useOps)) return;
    if (settle.state === "done") {
      this.#addresses = (settle.addresses ?? []).map((text) => parseIpAddress(text) ?? { address: text, family: 4 });
      this.#state = "done";
    } else {
      this.#error = settle.error ?? "ENOTFOUND";
      this.#state = "failed";
    }
    this.#done(this);
    if (notify) this.#listener?.();
  }

  getState(): LookupState {
    this.#enter();
    return this.#state;
  }

  getAddresses(): readonly ResolvedAddress[] {
    this.#enter();
    return this.#addresses;
  }

  getError(): string {
    this.#enter();
    return this.#error;
  }

  cancel(): void {
    this.#cancelled = true;
    this.#listener = null;
    this.#done(this);
  }

  setActivityListener(listener: (() => void) | null): void {
    this.#listener = listener;
  }

  #enter(): void {
    this.advance(false);
    this.#ops++;
  }
}

/** What a replayed peer needs from its network. */
interface PeerContext {
  readonly clock: ReplayClock;
  readonly strict: boolean;
  readonly redacted: readonly string[];
  readonly matchHeaders: readonly string[];
  fail(failure: ReplayFailure): void;
  rebind(peer: ReplayPeer, head: string): RecordedConnection | null;
  /** "Record missing": a real, recorded connection to take over from a replayed one; null without. */
  openLive(address: ResolvedAddress, port: number): StreamPeer | null;
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
class ReplayPeer implements StreamPeer {
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

  constructor(recording: RecordedConnection, context: PeerContext, address: ResolvedAddress, port: number, tls: TlsConnectOptions | null, canGoLive: boolean) {
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
    if (this.#live !== null) return this.#queued.reduce((sum, chunk) => sum + chunk.length, 0) + (this.#liveOpen ? this.#live.getPendingWriteBytes() : 0);
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
