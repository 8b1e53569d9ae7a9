import { performance } from "node:perf_hooks";
import type { Network, PendingLookup, ResolvedAddress, TlsConnectOptions } from "../network.ts";
import { NodeLookup } from "../node-lookup.ts";
import { FailedPeer } from "../peer/failed-peer.ts";
import {
  DEFAULT_READ_BUFFER_BYTES,
  DEFAULT_WRITE_BUFFER_BYTES,
  MAX_READ_BUFFER_BYTES,
  MAX_WRITE_BUFFER_BYTES,
  MIN_READ_BUFFER_BYTES,
  MIN_WRITE_BUFFER_BYTES,
  type SocketPeerOptions,
} from "../peer/socket-peer.ts";
import { PeerState, type StreamPeer } from "../peer/stream-peer.ts";
import { parseIpAddress } from "../peer/address.ts";
import { NotifyWord } from "./channel-layout.ts";
import { SocketThread } from "./socket-thread.ts";
import { ThreadedLookup } from "./threaded-lookup.ts";
import { ThreadedPeer } from "./threaded-peer.ts";

/** Settings of a {@link ThreadedNetwork}: the same buffer bounds as a `NodeNetwork`'s peers. */
export type ThreadedNetworkOptions = SocketPeerOptions;

function clamp(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.floor(value)));
}

/**
 * A {@link Network} whose sockets, DNS lookups and TLS handshakes run on one shared worker thread,
 * handing bytes and state to the calling thread through `SharedArrayBuffer`s read with `Atomics`
 * (never through messages to this thread). `poll()` therefore progresses in a loop that never
 * yields — a plain synchronous `while` over `client.poll()` or `tree.process(delta)` — where a
 * {@link NodeNetwork}, whose sockets deliver bytes on Node's event loop, would see nothing.
 *
 * Same behaviour as `NodeNetwork` otherwise: the same read and write bounds per connection (a full
 * receive ring pauses the socket on the worker), the same TLS settings and verification, the same
 * error kinds and Node codes in the reasons; a proxy's `CONNECT` tunnel runs over its peers as
 * over any. `HTTPClient` and `HTTPRequest` use it unchanged (`network` option, or
 * `HTTPRequest.useThreads`), and a client in blocking mode (`HTTPClient.setBlockingMode`) waits on
 * it with `Atomics.wait` until there is news.
 *
 * The worker starts with the first connection or lookup and stops on the first event-loop turn
 * after the last is closed. It keeps the process alive only while a request is in flight (or a
 * connection or lookup is being opened), as sockets do; an idle kept connection does not.
 *
 * @example
 * ```ts
 * const client = new HTTPClient({ network: new ThreadedNetwork() });
 * client.connectToHost("127.0.0.1", 8080);
 * while (client.getStatus() !== Status.STATUS_CONNECTED) client.poll(); // no await needed
 * ```
 */
export class ThreadedNetwork implements Network {
  readonly #thread = new SocketThread();
  readonly #readBufferBytes: number;
  readonly #writeBufferBytes: number;

  /**
   * @param options - Buffer bounds for the peers this network creates.
   */
  constructor(options: ThreadedNetworkOptions = {}) {
    this.#readBufferBytes = options.readBufferBytes ?? DEFAULT_READ_BUFFER_BYTES;
    this.#writeBufferBytes = options.writeBufferBytes ?? DEFAULT_WRITE_BUFFER_BYTES;
  }

  /** {@inheritDoc Network.resolve} */
  resolve(host: string): PendingLookup {
    // An IP literal is answered at once, as NodeLookup does, without the thread.
    if (parseIpAddress(host) !== null) return new NodeLookup(host);
    return new ThreadedLookup(this.#thread, host);
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
    const start = { t: "connect", host: address.address, port, family: address.family } as const;
    return new ThreadedPeer(this.#thread, start, ...this.#bounds(options));
  }

  /** {@inheritDoc Network.startTls} */
  startTls(peer: StreamPeer, options: TlsConnectOptions): StreamPeer {
    if (!(peer instanceof ThreadedPeer) || peer.getState() !== PeerState.OPEN || peer.getAvailableBytes() > 0) {
      return new FailedPeer({
        kind: "tls",
        code: "EINVAL",
        message: "EINVAL: startTls needs an OPEN peer from this network's connect() with no unread bytes",
      });
    }
    const plain: Record<string, unknown> = { ...options };
    if (Array.isArray(options.trustedCA)) plain["trustedCA"] = [...(options.trustedCA as readonly string[])];
    const bounds = this.#bounds({ readBufferBytes: peer.getReadBufferBytes(), writeBufferBytes: peer.getWriteBufferBytes() });
    const tls = new ThreadedPeer(this.#thread, { t: "tls", from: peer.id, options: plain }, ...bounds);
    peer.handOver();
    return tls;
  }

  /**
   * Blocks the calling thread (with `Atomics.wait`, never a spin) until `ready()` returns true or
   * `timeoutMs` has passed. `ready()` is called first, then again after each change on any of
   * this network's connections or lookups. Used by `HTTPClient.poll()` in blocking mode.
   *
   * @param ready - Checks for progress (e.g. polls a client and compares its status).
   * @param timeoutMs - The most milliseconds to wait; 0 checks once without waiting.
   * @returns The last value of `ready()`.
   */
  waitForActivity(ready: () => boolean, timeoutMs: number): boolean {
    const notify = this.#thread.notify;
    const end = performance.now() + Math.max(0, timeoutMs);
    for (;;) {
      const serial = Atomics.load(notify, NotifyWord.SEQ);
      if (ready()) return true;
      const left = end - performance.now();
      if (!(left > 0) || !this.#thread.isRunning()) return false;
      Atomics.wait(notify, NotifyWord.SEQ, serial, left);
    }
  }

  /** True while the worker thread runs (from the first connection or lookup until the last is gone). */
  isThreadRunning(): boolean {
    return this.#thread.isRunning();
  }

  /**
   * A promise settled once the worker thread is stopped (at once when it is not running). It stops
   * by itself on the first event-loop turn after the last connection and lookup are closed.
   */
  whenThreadStopped(): Promise<void> {
    return this.#thread.whenStopped();
  }

  /**
   * Stops the worker thread now. Connections still open fail (kind `io`, or their opening kind),
   * pending lookups fail with `ECONNABORTED`. A later connection or lookup starts a new thread.
   *
   * @returns A promise settled once the thread has exited.
   */
  close(): Promise<void> {
    return this.#thread.stop();
  }

  #bounds(options: SocketPeerOptions | undefined): [number, number] {
    return [
      clamp(options?.readBufferBytes ?? this.#readBufferBytes, DEFAULT_READ_BUFFER_BYTES, MIN_READ_BUFFER_BYTES, MAX_READ_BUFFER_BYTES),
      clamp(
        options?.writeBufferBytes ?? this.#writeBufferBytes,
        DEFAULT_WRITE_BUFFER_BYTES,
        MIN_WRITE_BUFFER_BYTES,
        MAX_WRITE_BUFFER_BYTES,
      ),
    ];
  }
}

let shared: ThreadedNetwork | null = null;

/**
 * The process-wide {@link ThreadedNetwork} that `HTTPRequest.useThreads` uses: made on first use,
 * with default bounds. Its worker thread runs only while it has connections.
 *
 * @returns The shared network.
 */
export function sharedThreadedNetwork(): ThreadedNetwork {
  shared ??= new ThreadedNetwork();
  return shared;
}
