import type { Network, PendingLookup, ResolvedAddress, TlsConnectOptions } from "../network.ts";
import type { StreamPeer } from "../peer/stream-peer.ts";
import { CASSETTE_VERSION, writeCassette, type Cassette, type CassetteEvent } from "./cassette.ts";
import { DEFAULT_REDACTED_HEADERS } from "./head-scanner.ts";
import type { Recorder } from "./recorder.ts";
import { RecordingLookup } from "./recording-lookup.ts";
import { RecordingPeer } from "./recording-peer.ts";
import { attachTicks, type TickSource } from "./tick-source.ts";

/** Settings of a {@link RecordingNetwork}. */
export interface RecordingNetworkOptions {
  /**
   * Header names whose values are overwritten with `*` in the cassette (never in what the client
   * sees), in requests and responses. Default {@link DEFAULT_REDACTED_HEADERS}; `[]` keeps all.
   */
  readonly redact?: readonly string[];
  /** The numbers of the first ids; for appending to a cassette. Default 0 and 0. */
  readonly firstIds?: FirstIds;
}

/** The numbers the ids of a {@link RecordingNetwork} start from. */
export interface FirstIds {
  /** The first lookup is `l<lookup>`. */
  readonly lookup: number;
  /** The first connection is `c<connection>`. */
  readonly connection: number;
}

/**
 * A {@link Network} that passes everything through to another network (`NodeNetwork`, a threaded
 * one, even a `ScriptedNetwork`) and writes down what the client saw: every lookup and its answer,
 * every connection's outcome, TLS settings and outcome, each chunk written and read exactly as the
 * peer accepted or handed it out, bytes arriving, the remote end closing, errors and closes — each
 * on the tick it happened. {@link toCassette} turns it into a {@link Cassette} that a
 * `ReplayNetwork` plays back without a socket.
 *
 * Ticks: call {@link tick} once at the start of every step, before the client polls; with a
 * `SceneTree`, {@link attach} does it (`tree.stepStarted`). A raw `HTTPClient` user calls
 * `network.tick(delta)` before each pass of `poll()` calls. The recording reads no clock: the
 * deltas given to `tick` are kept so that the replay steps with the same ones.
 *
 * Nothing the client sees changes: the wrapper returns the inner network's answers and bytes as
 * they are. Secrets are hidden in the cassette only (see {@link RecordingNetworkOptions.redact}).
 *
 * @example
 * ```ts
 * const network = new RecordingNetwork(new NodeNetwork());
 * const tree = new SceneTree();
 * network.attach(tree);
 * const req = new HTTPRequest({ network });
 * // … run the tree until done …
 * network.save("fixtures/api.cassette.jsonl");
 * ```
 */
export class RecordingNetwork implements Network {
  /** The inner network's (see {@link Network.deterministic}). */
  readonly deterministic: boolean;
  readonly #inner: Network;
  readonly #redact: readonly string[];
  readonly #events: CassetteEvent[] = [];
  readonly #deltas: number[] = [];
  readonly #live = new Set<RecordingLookup | RecordingPeer>();
  #tick = 0;
  #elapsedMs = 0;
  #nextLookup: number;
  /**
   * The inner network's `waitForActivity` (blocking mode, e.g. `ThreadedNetwork`), present when
   * it has one: blocks without spinning until `ready()` is true or the time has passed.
   */
  readonly waitForActivity?: (ready: () => boolean, timeoutMs: number) => boolean;
  /** The inner network's `eventLoopTurns` (`NodeNetwork`), present when it has one. */
  readonly eventLoopTurns?: () => number;
  #nextConnection: number;
  readonly #recorder: Recorder = {
    tick: () => this.#tick,
    add: (event) => {
      this.#events.push(event);
    },
  };

  /**
   * @param inner - The network that does the work.
   * @param options - Redaction and id numbering.
   */
  constructor(inner: Network, options: RecordingNetworkOptions = {}) {
    this.#inner = inner;
    // The inner network's optional abilities pass through, so the client behaves as without the recorder.
    if (inner.waitForActivity !== undefined)
      this.waitForActivity = (ready, timeoutMs) => inner.waitForActivity?.(ready, timeoutMs) ?? ready();
    if (inner.eventLoopTurns !== undefined) this.eventLoopTurns = () => inner.eventLoopTurns?.() ?? 0;
    this.deterministic = inner.deterministic === true;
    this.#redact = (options.redact ?? DEFAULT_REDACTED_HEADERS).map((name) => name.toLowerCase());
    this.#nextLookup = options.firstIds?.lookup ?? 0;
    this.#nextConnection = options.firstIds?.connection ?? 0;
  }

  /**
   * Starts a new tick: counts it, keeps its delta and notes what changed on every open lookup and
   * peer since the last call (bytes that arrived, an end, a state change).
   *
   * @param delta - The seconds the step is given (kept for the replay). Default 0.
   */
  tick(delta = 0): void {
    this.#tick++;
    const step = Number.isFinite(delta) && delta > 0 ? delta : 0;
    this.#deltas.push(step);
    this.#elapsedMs += step * 1000;
    for (const item of this.#live) item.observe();
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

  /**
   * A clock for `HTTPRequestOptions.clock` that reads the sum of the ticks' deltas in
   * milliseconds, so that timings replay identically.
   *
   * @returns Milliseconds.
   */
  readonly clock = (): number => this.#elapsedMs;

  /** The header names redacted. */
  getRedactedHeaders(): readonly string[] {
    return this.#redact;
  }

  /**
   * The cassette so far: a copy of the events recorded up to now.
   *
   * @returns The cassette.
   */
  toCassette(): Cassette {
    return {
      version: CASSETTE_VERSION,
      deltas: [...this.#deltas],
      redacted: [...this.#redact],
      ...(this.waitForActivity !== undefined ? { blocking: true } : {}),
      events: [...this.#events],
    };
  }

  /**
   * Writes the cassette so far to a file (see `docs/cassettes.md`).
   *
   * @param path - The file, replaced.
   */
  save(path: string): void {
    writeCassette(path, this.toCassette());
  }

  /** {@inheritDoc Network.resolve} */
  resolve(host: string): PendingLookup {
    const id = `l${this.#nextLookup++}`;
    this.#recorder.add({ ev: "resolve", id, t: this.#tick, host });
    const lookup = new RecordingLookup(this.#inner.resolve(host), id, this.#recorder, (done) => this.#live.delete(done));
    this.#live.add(lookup);
    return lookup;
  }

  /** {@inheritDoc Network.connect} */
  connect(address: ResolvedAddress, port: number): StreamPeer {
    const id = `c${this.#nextConnection++}`;
    this.#recorder.add({ ev: "connect", id, t: this.#tick, address: address.address, family: address.family, port });
    return this.#track(new RecordingPeer(this.#inner.connect(address, port), id, this.#recorder, this.#redact));
  }

  /**
   * Starts TLS over a peer from {@link RecordingNetwork.connect} on the inner network, and records
   * the handshake and the plaintext exchanged over it as a new connection. A peer that this network
   * did not make is passed to the inner network unrecorded.
   *
   * @param peer - An `OPEN` peer from this network's `connect()` with no unread bytes.
   * @param options - Verification and identity settings.
   * @returns The TLS peer.
   */
  startTls(peer: StreamPeer, options: TlsConnectOptions): StreamPeer {
    if (!(peer instanceof RecordingPeer) || !this.#live.has(peer)) return this.#inner.startTls(peer, options);
    const id = `c${this.#nextConnection++}`;
    this.#recorder.add({ ev: "tls", id, t: this.#tick, over: peer.id, servername: options.servername, unsafe: options.unsafe === true });
    this.#live.delete(peer);
    const tls = this.#inner.startTls(peer.handOver(), options);
    return this.#track(new RecordingPeer(tls, id, this.#recorder, this.#redact));
  }

  #track(peer: RecordingPeer): RecordingPeer {
    this.#live.add(peer);
    peer.onClosed = () => this.#live.delete(peer);
    return peer;
  }
}
