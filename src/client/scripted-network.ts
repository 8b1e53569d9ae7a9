import type { Network, ResolvedAddress, TlsConnectOptions } from "./network.ts";
import { FailedPeer } from "./peer/failed-peer.ts";
import { ScriptedPeer } from "./peer/scripted-peer.ts";
import { ScriptedTlsPeer } from "./peer/scripted-tls-peer.ts";
import { PeerState, type StreamPeer } from "./peer/stream-peer.ts";
import { parseIpAddress } from "./peer/address.ts";
import { ScriptedLookup, toResolvedAddresses } from "./scripted-lookup.ts";

/**
 * An in-memory {@link Network} for tests: no DNS, no socket, no event loop turn. Every lookup,
 * connection and TLS handshake the code under test starts is recorded, and stays pending until the
 * test settles it — or settles at once if the test asked for that with {@link addHost},
 * {@link autoAccept} and {@link autoHandshake}.
 *
 * Step by step:
 * ```ts
 * const network = new ScriptedNetwork();
 * const client = new HTTPClient({ network });
 * client.connectToHost("example.com", 80);
 * client.poll();
 * network.pendingLookups()[0]!.resolve(["10.0.0.1"]);
 * client.poll();
 * const peer = network.pendingConnections()[0]!;
 * expect(peer.address.address).toBe("10.0.0.1");
 * peer.accept();
 * client.poll();                            // STATUS_CONNECTED
 * ```
 *
 * With conveniences (a known host, connections accepted at once):
 * ```ts
 * const network = new ScriptedNetwork().addHost("example.com", ["10.0.0.1"]);
 * network.autoAccept = true;
 * const client = new HTTPClient({ network });
 * client.connectToHost("example.com", 80);
 * client.poll();                            // resolved and connected
 * client.request(Method.METHOD_GET, "/", []);
 * client.poll();
 * const peer = network.connections[0]!;
 * expect(peer.takeOutgoingText()).toContain("Host: example.com\r\n");
 * peer.pushIncoming("HTTP/1.1 204 No Content\r\n\r\n");
 * client.poll();
 * ```
 */
export class ScriptedNetwork implements Network {
  /** Always true: nothing here depends on real time (see {@link Network.deterministic}). */
  readonly deterministic = true;
  /** When true, connections are `OPEN` as soon as they are created. Default false. */
  autoAccept = false;
  /** When true, TLS peers are `OPEN` (handshake done) as soon as they are created. Default false. */
  autoHandshake = false;
  readonly #hosts = new Map<string, ResolvedAddress[]>();
  readonly #lookups: ScriptedLookup[] = [];
  readonly #connections: ScriptedPeer[] = [];
  readonly #handshakes: ScriptedTlsPeer[] = [];
  readonly #lookupListeners = new Set<(lookup: ScriptedLookup) => void>();
  readonly #connectionListeners = new Set<(peer: ScriptedPeer) => void>();
  readonly #handshakeListeners = new Set<(peer: ScriptedTlsPeer) => void>();

  /** Every lookup ever started, oldest first. */
  get lookups(): readonly ScriptedLookup[] {
    return this.#lookups;
  }

  /** Every peer ever created by `connect()`, oldest first. */
  get connections(): readonly ScriptedPeer[] {
    return this.#connections;
  }

  /** Every TLS peer ever created by `startTls()`, oldest first. */
  get handshakes(): readonly ScriptedTlsPeer[] {
    return this.#handshakes;
  }

  /**
   * Makes lookups of `name` (case-insensitive) that start from now on `done` at once with these
   * addresses. Calling it again replaces the addresses.
   *
   * @param name - The host name.
   * @param addresses - IP literals or resolved addresses, in the order to try them.
   * @returns This network, for chaining.
   * @throws Error when a string is not an IP literal.
   */
  addHost(name: string, addresses: ReadonlyArray<string | ResolvedAddress>): this {
    this.#hosts.set(name.toLowerCase(), toResolvedAddresses(addresses));
    return this;
  }

  /**
   * Forgets a name given to {@link addHost}; its lookups stay pending again.
   *
   * @param name - The host name.
   */
  removeHost(name: string): void {
    this.#hosts.delete(name.toLowerCase());
  }

  /** The lookups still `pending` and not cancelled, oldest first. */
  pendingLookups(): ScriptedLookup[] {
    return this.#lookups.filter((lookup) => lookup.getState() === "pending" && !lookup.isCancelled());
  }

  /** The connections still `CONNECTING`, oldest first. */
  pendingConnections(): ScriptedPeer[] {
    return this.#connections.filter((peer) => peer.getState() === PeerState.CONNECTING);
  }

  /** The TLS peers whose handshake is still in progress (`CONNECTING`), oldest first. */
  pendingHandshakes(): ScriptedTlsPeer[] {
    return this.#handshakes.filter((peer) => peer.getState() === PeerState.CONNECTING);
  }

  /**
   * Calls `listener` with each new lookup, after {@link addHost} has been applied.
   *
   * @param listener - The function.
   * @returns A function that removes the listener.
   */
  onLookup(listener: (lookup: ScriptedLookup) => void): () => void {
    this.#lookupListeners.add(listener);
    return () => this.#lookupListeners.delete(listener);
  }

  /**
   * Calls `listener` with each new connection, after {@link autoAccept} has been applied and
   * before `connect()` returns it to the client.
   *
   * @param listener - The function.
   * @returns A function that removes the listener.
   */
  onConnection(listener: (peer: ScriptedPeer) => void): () => void {
    this.#connectionListeners.add(listener);
    return () => this.#connectionListeners.delete(listener);
  }

  /**
   * Calls `listener` with each new TLS peer, after {@link autoHandshake} has been applied and
   * before `startTls()` returns it to the client.
   *
   * @param listener - The function.
   * @returns A function that removes the listener.
   */
  onHandshake(listener: (peer: ScriptedTlsPeer) => void): () => void {
    this.#handshakeListeners.add(listener);
    return () => this.#handshakeListeners.delete(listener);
  }

  /**
   * Starts a lookup. IP literals and names given to {@link addHost} are `done` at once; others
   * stay `pending` until the test settles them.
   *
   * @param host - The host name.
   * @returns The lookup.
   */
  resolve(host: string): ScriptedLookup {
    const lookup = new ScriptedLookup(host);
    this.#lookups.push(lookup);
    const literal = parseIpAddress(host);
    const known = literal === null ? this.#hosts.get(host.toLowerCase()) : [literal];
    if (known !== undefined && known.length > 0) lookup.resolve(known);
    for (const listener of [...this.#lookupListeners]) listener(lookup);
    return lookup;
  }

  /**
   * Creates a {@link ScriptedPeer} for `address` and `port`: `CONNECTING` until the test calls
   * `accept()` or `refuse()`, or `OPEN` at once with {@link autoAccept}.
   *
   * @param address - The address to connect to.
   * @param port - The port.
   * @returns The peer.
   */
  connect(address: ResolvedAddress, port: number): ScriptedPeer {
    const peer = new ScriptedPeer({ address, port, open: this.autoAccept });
    this.#connections.push(peer);
    for (const listener of [...this.#connectionListeners]) listener(peer);
    return peer;
  }

  /**
   * Starts a scripted TLS handshake over an `OPEN` {@link ScriptedPeer} from {@link connect} with no
   * unread bytes: that peer is handed over (`CLOSED`) and a {@link ScriptedTlsPeer} is returned,
   * `CONNECTING` until the test completes or fails the handshake (or `OPEN` at once with
   * {@link autoHandshake}). Any other peer gets a peer already in `ERROR` (kind `tls`, code `EINVAL`).
   *
   * @param peer - The TCP peer.
   * @param options - The TLS settings, kept on the returned peer for the test to check.
   * @returns The TLS peer.
   */
  startTls(peer: StreamPeer, options: TlsConnectOptions): StreamPeer {
    if (
      !(peer instanceof ScriptedPeer) ||
      peer instanceof ScriptedTlsPeer ||
      !this.#connections.includes(peer) ||
      peer.getState() !== PeerState.OPEN ||
      peer.getAvailableBytes() > 0
    ) {
      return new FailedPeer({
        kind: "tls",
        code: "EINVAL",
        message: "EINVAL: startTls needs an OPEN peer from this network's connect() with no unread bytes",
      });
    }
    peer.handOver();
    const tls = new ScriptedTlsPeer(peer, options);
    if (this.autoHandshake) tls.completeHandshake();
    this.#handshakes.push(tls);
    for (const listener of [...this.#handshakeListeners]) listener(tls);
    return tls;
  }
}
