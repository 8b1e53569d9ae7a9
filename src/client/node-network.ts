import { eventLoopTurns } from "./event-loop-turns.ts";
import type { Network, ResolvedAddress, TlsConnectOptions } from "./network.ts";
import { NodeLookup } from "./node-lookup.ts";
import { FailedPeer } from "./peer/failed-peer.ts";
import type { SocketPeerOptions } from "./peer/socket-peer.ts";
import { PeerState, type StreamPeer } from "./peer/stream-peer.ts";
import { TcpPeer } from "./peer/tcp-peer.ts";
import { TlsPeer } from "./peer/tls-peer.ts";

/** Settings of a {@link NodeNetwork}. */
export type NodeNetworkOptions = SocketPeerOptions;

/**
 * The real {@link Network}: `dns.lookup()` for names, `node:net` for TCP ({@link TcpPeer}) and
 * `node:tls` for TLS ({@link TlsPeer}). Nothing blocks: lookups run on libuv's thread pool and
 * sockets deliver their bytes on Node's event loop, where the peers buffer them until polled.
 *
 * @example
 * ```ts
 * const network = new NodeNetwork({ readBufferBytes: 8 * 1024 * 1024 });
 * const lookup = network.resolve("example.com");
 * // …poll lookup.getState() each frame; once "done":
 * const peer = network.connect(lookup.getAddresses()[0]!, 443);
 * // …once peer.getState() === PeerState.OPEN:
 * const tls = network.startTls(peer, { servername: "example.com" });
 * ```
 */
export class NodeNetwork implements Network {
  readonly #peerOptions: SocketPeerOptions;

  /**
   * @param options - Buffer bounds for the peers this network creates.
   */
  constructor(options: NodeNetworkOptions = {}) {
    this.#peerOptions = { ...options };
  }

  /** {@inheritDoc Network.resolve} */
  resolve(host: string): NodeLookup {
    return new NodeLookup(host);
  }

  /**
   * {@inheritDoc Network.connect}
   *
   * @param options - Buffer bounds for this connection, overriding the network's.
   */
  connect(address: ResolvedAddress, port: number, options?: SocketPeerOptions): StreamPeer {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      return new FailedPeer({ kind: "connect", code: "ERR_SOCKET_BAD_PORT", message: `ERR_SOCKET_BAD_PORT: invalid port ${port}` });
    }
    return new TcpPeer(address, port, { ...this.#peerOptions, ...options });
  }

  /** {@inheritDoc Network.startTls} */
  startTls(peer: StreamPeer, options: TlsConnectOptions): StreamPeer {
    if (!(peer instanceof TcpPeer) || peer.getState() !== PeerState.OPEN || peer.getAvailableBytes() > 0) {
      return new FailedPeer({
        kind: "tls",
        code: "EINVAL",
        message: "EINVAL: startTls needs an OPEN peer from this network's connect() with no unread bytes",
      });
    }
    const peerOptions: SocketPeerOptions = {
      readBufferBytes: peer.getReadBufferBytes(),
      maxReadBufferBytes: peer.getMaxReadBufferBytes(),
      writeBufferBytes: peer.getWriteBufferBytes(),
    };
    return new TlsPeer(peer.detachSocket(), options, peerOptions);
  }

  /** {@inheritDoc Network.eventLoopTurns} */
  eventLoopTurns(): number {
    return eventLoopTurns();
  }
}
