import type { Network, PendingLookup, ResolvedAddress, TlsConnectOptions } from "../network.ts";
import { FailedPeer } from "../peer/failed-peer.ts";
import type { StreamPeer } from "../peer/stream-peer.ts";
import { CASSETTE_VERSION, writeCassette, type Cassette } from "./cassette.ts";
import { indexCassette, requestKey, type CassetteIndex, type RecordedConnection, type RecordedLookup } from "./recorded-connection.ts";
import { RecordingNetwork } from "./recording-network.ts";
import type { ReplayClock } from "./replay-clock.ts";
import type { ReplayFailure } from "./replay-failure.ts";
import { ReplayLookup } from "./replay-lookup.ts";
import { ReplayPeer, type PeerContext } from "./replay-peer.ts";
import { attachTicks, type TickSource } from "./tick-source.ts";

export type { ReplayFailure } from "./replay-failure.ts";

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

/** What the replay network shares with its lookups and peers. */

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
 * let done = false; // set by a requestCompleted listener
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
  /**
   * True unless missing exchanges are recorded from a real network (see
   * {@link Network.deterministic}).
   */
  readonly deterministic: boolean;
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
   * Blocking mode (`HTTPClient.blockingModeEnabled`), present when the recorded network could
   * block: calls `ready()` again while a peer has recorded changes due later in this tick (bytes
   * that arrived during a blocking poll while recording become visible as the client's calls reach
   * the recorded count), and returns at once otherwise. Never waits on anything real.
   */
  readonly waitForActivity?: (ready: () => boolean, timeoutMs: number) => boolean;

  /**
   * @param cassette - The recording.
   * @param options - Mode, matched headers and "record missing".
   * @throws Error when the cassette's version is not {@link CASSETTE_VERSION}.
   */
  constructor(cassette: Cassette, options: ReplayNetworkOptions = {}) {
    if (cassette.version !== CASSETTE_VERSION) throw new Error(`cassette version ${cassette.version} is not supported`);
    this.#cassette = cassette;
    this.#index = indexCassette(cassette.events, cassette.redacted);
    if (cassette.blocking === true) this.waitForActivity = (ready) => this.#replayWait(ready);
    this.#mode = options.mode ?? "strict";
    this.#matchHeaders = (options.matchHeaders ?? ["host"]).map((name) => name.toLowerCase());
    const lookups = this.#index.lookups.length;
    const connections = this.#index.connections.length;
    this.#recorder =
      options.recordMissing === undefined
        ? null
        : new RecordingNetwork(options.recordMissing, {
            redact: cassette.redacted,
            firstIds: { lookup: lookups, connection: connections },
          });
    this.deterministic = this.#recorder === null || this.#recorder.deterministic === true;
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
   * Calls {@link tick} at the start of every step of a tree, and wakes the tree while recorded
   * events are still to come (so an `as-fast-as-possible` `TreeRunner` steps through the
   * recording; its deltas are then its own, not the recorded ones).
   *
   * @param tree - A `SceneTree`.
   * @returns A function that stops it.
   */
  attach(tree: TickSource): () => void {
    // While recorded events are still to come, ask for the next step: a runner that sleeps until
    // woken (`as-fast-as-possible`) then steps through the recording instead of waiting forever.
    return attachTicks(tree, {
      tick: (delta) => {
        this.tick(delta);
        if (this.isWaiting()) tree.wake?.();
      },
    });
  }

  #replayWait(ready: () => boolean): boolean {
    for (let rounds = 0; rounds < 100_000; rounds++) {
      if (ready()) return true;
      let dueThisTick = false;
      for (const item of this.#live) if (item.isDueLaterThisTick()) dueThisTick = true;
      if (!dueThisTick) return false;
    }
    return false;
  }

  /** True while a lookup or peer in use still has recorded events to come. */
  isWaiting(): boolean {
    for (const item of this.#live) if (item.isWaiting()) return true;
    return false;
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
        code: "missing",
        connection: "",
        offset: -1,
        recorded: null,
        sent: null,
        fault: "caller",
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
      const recorded =
        next?.start.ev === "connect" ? ` (the recording connects to ${next.start.address}:${next.start.port} next, as ${next.id})` : "";
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
      return (
        anyParent &&
        parent?.ev === "connect" &&
        over.start.ev === "connect" &&
        parent.address === over.start.address &&
        parent.port === over.start.port
      );
    };
    const connections = this.#index.connections;
    const found =
      connections.find((connection) => fits(connection, false)) ??
      (this.#mode === "matched" ? connections.find((connection) => fits(connection, true)) : undefined);
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
    const chosen = candidates.find(
      (connection) =>
        connection.heads[0] !== undefined && requestKey(connection.heads[0], this.#matchHeaders, this.#cassette.redacted) === key,
    );
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
