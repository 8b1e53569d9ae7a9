import { connect as netConnect, type Socket } from "node:net";
import type { ResolvedAddress } from "./address.ts";
import { SLAB_BYTES } from "./slab-pool.ts";
import { SocketCore } from "./socket-core.ts";
import type { SocketPeer, SocketPeerOptions } from "./socket-peer.ts";
import { type PeerError, PeerState } from "./stream-peer.ts";

/**
 * The one buffer every TCP socket reads into (`onread`). Each read is copied out in the callback,
 * before the next read can happen, so all sockets of the process can share it.
 */
const READ_BUFFER = new Uint8Array(SLAB_BYTES);

/**
 * Whether sockets read through `onread`. Deno's `node:net` accepts it, but a socket opened with it
 * never completes a TLS handshake once `tls.connect({ socket })` wraps it, so on Deno sockets
 * deliver `'data'` events instead (queued as they come, without the slab copy). Decided once, at load.
 */
const USE_ONREAD = !("Deno" in globalThis);

/**
 * A {@link StreamPeer} over a TCP connection (`node:net`), with Nagle's algorithm off.
 *
 * It starts `CONNECTING` and becomes `OPEN` when the connection is established, or `ERROR` with
 * kind `connect` and Node's code (`ECONNREFUSED`, `ETIMEDOUT`, `EHOSTUNREACH`…). Failures of the
 * open connection have kind `io` (`ECONNRESET`, `EPIPE`). Received bytes are buffered up to the
 * read bound (see {@link SocketPeerOptions}) and handed out as views by `read()`.
 *
 * On Node and Bun the socket reads into one static buffer (`net.connect`'s `onread`; on Deno it
 * delivers `'data'` events instead), and each read is copied
 * into recycled 64 KiB slabs, so a steady download allocates nothing per read; a small read (at
 * most 4 KiB) into an empty buffer gets memory of its exact size, so a thousand connections with
 * small responses hold no slabs. The views `read()`
 * returns therefore stay valid only until {@link TcpPeer.releaseReads} frees them; an
 * `HTTPClient` does that when its next `poll()` starts.
 *
 * Usually created by `NodeNetwork.connect()`.
 */
export class TcpPeer implements SocketPeer {
  /** The address connected to. */
  readonly address: ResolvedAddress;
  /** The port connected to. */
  readonly port: number;
  readonly #core: SocketCore;

  /**
   * Starts connecting. Never throws: invalid arguments make a peer in `ERROR` state.
   *
   * @param address - The IP address to connect to.
   * @param port - The TCP port, 1–65535.
   * @param options - Buffer bounds.
   */
  constructor(address: ResolvedAddress, port: number, options: SocketPeerOptions = {}) {
    this.address = address;
    this.port = port;
    const core = new SocketCore("connect", options, USE_ONREAD ? "copy" : "data", null);
    this.#core = core;
    let socket: Socket;
    try {
      socket = USE_ONREAD
        ? netConnect({ host: address.address, port, family: address.family, onread: { buffer: READ_BUFFER, callback: core.onRead } })
        : netConnect({ host: address.address, port, family: address.family });
    } catch (err) {
      core.fail(err);
      return;
    }
    socket.setNoDelay(true);
    socket.once("connect", this.#onConnect);
    core.attachSocket(socket);
  }

  /** {@inheritDoc StreamPeer.getState} */
  getState(): PeerState {
    return this.#core.getState();
  }

  /** {@inheritDoc StreamPeer.getError} */
  getError(): PeerError | null {
    return this.#core.getError();
  }

  /** {@inheritDoc StreamPeer.getAvailableBytes} */
  getAvailableBytes(): number {
    return this.#core.getAvailableBytes();
  }

  /** {@inheritDoc StreamPeer.read} */
  read(maxBytes: number): Uint8Array {
    return this.#core.read(maxBytes);
  }

  /** {@inheritDoc SocketPeer.releaseReads} */
  releaseReads(keepLastBytes: number): void {
    this.#core.releaseReads(keepLastBytes);
  }

  /** {@inheritDoc StreamPeer.write} */
  write(data: Uint8Array): number {
    return this.#core.write(data);
  }

  /** {@inheritDoc StreamPeer.getPendingWriteBytes} */
  getPendingWriteBytes(): number {
    return this.#core.getPendingWriteBytes();
  }

  /** {@inheritDoc StreamPeer.isEnded} */
  isEnded(): boolean {
    return this.#core.isEnded();
  }

  /** {@inheritDoc StreamPeer.close} */
  close(): void {
    this.#core.close();
  }

  /** {@inheritDoc StreamPeer.setActivityListener} */
  setActivityListener(listener: (() => void) | null): void {
    this.#core.setActivityListener(listener);
  }

  /** {@inheritDoc SocketPeer.setIdle} */
  setIdle(idle: boolean): void {
    this.#core.setIdle(idle);
  }

  /** {@inheritDoc SocketPeer.getPeakBufferedBytes} */
  getPeakBufferedBytes(): number {
    return this.#core.getPeakBufferedBytes();
  }

  /** {@inheritDoc SocketPeer.getReadBufferBytes} */
  getReadBufferBytes(): number {
    return this.#core.getReadBufferBytes();
  }

  /** {@inheritDoc SocketPeer.getMaxReadBufferBytes} */
  getMaxReadBufferBytes(): number {
    return this.#core.getMaxReadBufferBytes();
  }

  /** {@inheritDoc SocketPeer.getCurrentReadBufferBytes} */
  getCurrentReadBufferBytes(): number {
    return this.#core.getCurrentReadBufferBytes();
  }

  /** {@inheritDoc SocketPeer.getWriteBufferBytes} */
  getWriteBufferBytes(): number {
    return this.#core.getWriteBufferBytes();
  }

  /**
   * Hands the raw socket over to another owner (a TLS peer) and marks this peer `CLOSED`. The
   * peer's listeners are removed and the socket is left open.
   *
   * @returns The socket.
   * @throws Error when the peer is not `OPEN` or still holds unread bytes.
   * @internal
   */
  detachSocket(): Socket {
    const core = this.#core;
    if (core.getState() !== PeerState.OPEN) throw new Error("TcpPeer.detachSocket: the peer is not open");
    if (core.getAvailableBytes() > 0) throw new Error("TcpPeer.detachSocket: the peer holds unread bytes");
    const socket = core.handOver();
    if (socket === null) throw new Error("TcpPeer.detachSocket: no socket");
    socket.off("connect", this.#onConnect);
    return socket;
  }

  readonly #onConnect = (): void => {
    this.#core.markOpen();
  };
}
