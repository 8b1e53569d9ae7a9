import type { Socket } from "node:net";
import { ChunkQueue } from "./chunk-queue.ts";
import type { ReceiveQueue } from "./receive-queue.ts";
import { SlabQueue } from "./slab-queue.ts";
import {
  DEFAULT_MAX_READ_BUFFER_BYTES,
  DEFAULT_READ_BUFFER_BYTES,
  DEFAULT_WRITE_BUFFER_BYTES,
  MAX_READ_BUFFER_BYTES,
  MAX_WRITE_BUFFER_BYTES,
  MIN_READ_BUFFER_BYTES,
  MIN_WRITE_BUFFER_BYTES,
  peerErrorFrom,
  type SocketPeerOptions,
} from "./socket-peer.ts";
import { type PeerError, type PeerErrorKind, PeerState } from "./stream-peer.ts";

/** How much the read bound grows each time a read empties a full buffer: twofold (4 MiB → 8 MiB by default). */
const READ_BOUND_GROWTH = 2;

function clamp(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.floor(value)));
}

/**
 * How a socket core takes received bytes: `"data"` queues the buffers of the socket's `'data'`
 * events as they are; `"copy"` copies each read (delivered through `net.connect`'s `onread`) into
 * recycled slabs.
 */
export type ReadMode = "data" | "copy";

/**
 * The socket-reading core that {@link TcpPeer} and {@link TlsPeer} each own: the read queue,
 * back-pressure, the growing read bound, the write bound, the peer state and its errors. What
 * differs between the two peers (the opening error kind, how reads arrive, a TCP socket under a
 * TLS one) is given to the constructor; each peer opens its socket and hands it to
 * {@link SocketCore.attachSocket}.
 *
 * Received bytes are queued and `read()` hands them out as views. In read mode `"data"` the
 * buffers of `'data'` events are queued as they are (they are never reused). In read mode `"copy"`
 * each socket read is copied into recycled 64 KiB slabs, so a download allocates nothing per read
 * (a small read into an empty buffer, such as a whole small response, is copied into memory of its
 * own size instead); its views stay valid until {@link SocketCore.releaseReads} frees them. An idle
 * core (see {@link SocketCore.setIdle}) unrefs its sockets. When the unread bytes reach the read
 * bound the socket is paused, and it resumes when reads bring them to half the bound, so memory per
 * connection stays bounded: at most the bound, plus the bytes read since the last release.
 * `write()` accepts only what fits under the write bound. Errors before the transport is open are
 * reported with the opening kind (`connect` or `tls`), later ones as `io`.
 *
 * Not exported from the package: the peers are its public face.
 */
export class SocketCore {
  #state: PeerState = PeerState.CONNECTING;
  #error: PeerError | null = null;
  #socket: Socket | null = null;
  readonly #queue: ReceiveQueue;
  readonly #readMode: ReadMode;
  readonly #openingKind: PeerErrorKind;
  /** A socket the attached one runs over (TLS over TCP): refs with it, destroyed on failure and close. */
  readonly #underlying: Socket | null;
  /** The starting read bound, and the cap it may grow to. */
  readonly #readBufferBytes: number;
  readonly #maxReadBufferBytes: number;
  /** The current read bound: between the two above. */
  #bound: number;
  /** True while the unread bytes are at the bound (set on arrival, so a read that empties a full buffer grows it). */
  #full = false;
  /** The most unread bytes held since the queue was last emptied by a read. */
  #heldSinceEmpty = 0;
  readonly #writeBufferBytes: number;
  #paused = false;
  #idle = false;
  #ended = false;
  #peak = 0;
  #listener: (() => void) | null = null;

  /**
   * @param openingKind - The error kind reported for failures before the peer is open.
   * @param options - Buffer bounds.
   * @param readMode - `"data"`: the attached socket delivers `'data'` events; `"copy"`: it was
   * created with {@link SocketCore.onRead} as its `onread` callback.
   * @param underlying - A socket the attached one runs over (the TCP socket under a TLS socket), or
   * `null`: it is refed and unrefed with the attached socket and destroyed when the core fails or closes.
   */
  constructor(openingKind: PeerErrorKind, options: SocketPeerOptions, readMode: ReadMode, underlying: Socket | null) {
    this.#openingKind = openingKind;
    this.#underlying = underlying;
    this.#readBufferBytes = clamp(options.readBufferBytes, DEFAULT_READ_BUFFER_BYTES, MIN_READ_BUFFER_BYTES, MAX_READ_BUFFER_BYTES);
    const cap =
      options.maxReadBufferBytes ?? (options.readBufferBytes === undefined ? DEFAULT_MAX_READ_BUFFER_BYTES : this.#readBufferBytes);
    this.#maxReadBufferBytes = clamp(cap, this.#readBufferBytes, this.#readBufferBytes, MAX_READ_BUFFER_BYTES);
    this.#bound = this.#readBufferBytes;
    this.#writeBufferBytes = clamp(options.writeBufferBytes, DEFAULT_WRITE_BUFFER_BYTES, MIN_WRITE_BUFFER_BYTES, MAX_WRITE_BUFFER_BYTES);
    this.#readMode = readMode;
    // Read slabs wait for a release; a reader that never releases them loses their reuse, not its bytes.
    this.#queue = readMode === "copy" ? new SlabQueue(this.#maxReadBufferBytes + MIN_READ_BUFFER_BYTES) : new ChunkQueue();
  }

  /** See {@link StreamPeer.getState}. */
  getState(): PeerState {
    return this.#state;
  }

  /** See {@link StreamPeer.getError}. */
  getError(): PeerError | null {
    return this.#state === PeerState.ERROR ? this.#error : null;
  }

  /** See {@link StreamPeer.getAvailableBytes}. */
  getAvailableBytes(): number {
    return this.#queue.size;
  }

  /**
   * See {@link StreamPeer.read}.
   *
   * @param maxBytes - The most bytes to return.
   * @returns The bytes, possibly fewer than asked for, possibly none.
   */
  read(maxBytes: number): Uint8Array {
    const out = this.#queue.read(maxBytes);
    if (this.#queue.size === 0 && out.length > 0) this.#adaptBound();
    const socket = this.#socket;
    if (this.#paused && socket !== null && this.#queue.size <= this.#bound / 2) {
      this.#paused = false;
      socket.resume();
    }
    return out;
  }

  /**
   * See {@link StreamPeer.releaseReads}; in read mode `"data"` it does nothing.
   *
   * @param keepLastBytes - How many of the most recently read bytes are still in use (0 for none).
   */
  releaseReads(keepLastBytes: number): void {
    this.#queue.release(keepLastBytes);
  }

  /**
   * See {@link StreamPeer.write}.
   *
   * @param data - The bytes to send.
   * @returns The number of bytes accepted.
   */
  write(data: Uint8Array): number {
    const socket = this.#socket;
    if (this.#state !== PeerState.OPEN || socket === null || !socket.writable || data.length === 0) return 0;
    const room = this.#writeBufferBytes - socket.writableLength;
    if (room <= 0) return 0;
    const accepted = Math.min(data.length, room);
    if (accepted === data.length) {
      socket.write(data);
    } else {
      // The caller has more to send. The callback tells the listener when these bytes reach the OS:
      // when the kernel takes them at once no 'drain' follows, and a sleeping runner would never
      // write the rest. A complete write needs no such wake-up.
      socket.write(data.subarray(0, accepted), this.#onWritten);
    }
    return accepted;
  }

  /** See {@link StreamPeer.getPendingWriteBytes}. */
  getPendingWriteBytes(): number {
    return this.#socket?.writableLength ?? 0;
  }

  /** See {@link StreamPeer.isEnded}. */
  isEnded(): boolean {
    return this.#ended;
  }

  /** See {@link StreamPeer.close}; destroys the underlying socket too. */
  close(): void {
    if (this.#state !== PeerState.CLOSED) {
      this.#state = PeerState.CLOSED;
      this.#queue.clear();
      this.#listener = null;
      const socket = this.#releaseSocket();
      socket?.destroy();
    }
    this.#underlying?.destroy();
  }

  /**
   * See {@link StreamPeer.setActivityListener}.
   *
   * @param listener - The function to call, or `null`.
   */
  setActivityListener(listener: (() => void) | null): void {
    this.#listener = listener;
  }

  /**
   * See {@link SocketPeer.setIdle}: an idle core's sockets are `unref()`ed, a busy one's `ref()`ed.
   *
   * @param idle - True when no request is in flight.
   */
  setIdle(idle: boolean): void {
    if (idle === this.#idle) return;
    this.#idle = idle;
    if (idle) this.#bound = this.#readBufferBytes; // an idle connection shrinks back
    const socket = this.#socket;
    if (socket === null) return;
    const underlying = this.#underlying;
    if (idle) {
      socket.unref();
      underlying?.unref();
    } else {
      socket.ref();
      underlying?.ref();
    }
  }

  /** The most unread bytes held at once. */
  getPeakBufferedBytes(): number {
    return this.#peak;
  }

  /** The starting read bound in bytes, after clamping. */
  getReadBufferBytes(): number {
    return this.#readBufferBytes;
  }

  /** The most the read bound may grow to, after clamping. */
  getMaxReadBufferBytes(): number {
    return this.#maxReadBufferBytes;
  }

  /** The read bound now. */
  getCurrentReadBufferBytes(): number {
    return this.#bound;
  }

  /** The write bound in bytes, after clamping. */
  getWriteBufferBytes(): number {
    return this.#writeBufferBytes;
  }

  /**
   * Starts watching a socket: received data, end, errors, close and drain.
   *
   * @param socket - The socket the peer reads and writes.
   */
  attachSocket(socket: Socket): void {
    this.#socket = socket;
    if (this.#readMode === "data") socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
    socket.on("drain", this.#onDrain);
  }

  /** Marks a `CONNECTING` peer `OPEN` and notifies the activity listener. */
  markOpen(): void {
    if (this.#state !== PeerState.CONNECTING) return;
    this.#state = PeerState.OPEN;
    this.#notify();
  }

  /**
   * Marks the peer handed over: `CLOSED` without destroying the socket. The core's listeners are
   * removed; a no-op error listener stays attached so a late error is ignored rather than thrown.
   *
   * @returns The released socket, or `null` if none was attached.
   */
  handOver(): Socket | null {
    this.#state = PeerState.CLOSED;
    this.#listener = null;
    return this.#releaseSocket();
  }

  /**
   * Fails the peer with `err`: the opening kind while connecting, `io` once open. Ignored when
   * the peer is already closed or failed. The socket and the underlying one are destroyed; unread
   * bytes stay readable.
   *
   * @param err - What Node emitted or threw.
   */
  fail(err: unknown): void {
    if (this.#state !== PeerState.CLOSED && this.#state !== PeerState.ERROR) {
      const kind = this.#state === PeerState.CONNECTING ? this.#openingKind : "io";
      this.#error = peerErrorFrom(kind, err);
      this.#state = PeerState.ERROR;
      this.#socket?.destroy();
      this.#notify();
    }
    this.#underlying?.destroy();
  }

  /**
   * The `onread` callback of a socket read in mode `"copy"`: copies the bytes into the core's
   * slabs, so the socket may reuse `buffer` at once. Returns false when the unread bytes reached
   * the read bound, which pauses the socket; `read()` resumes it once the buffer is down to half.
   */
  readonly onRead = (bytesRead: number, buffer: Uint8Array): boolean => {
    if (this.#state === PeerState.CLOSED || this.#socket === null) return true;
    if (this.#queueReceived(buffer.subarray(0, bytesRead))) this.#paused = true;
    this.#notify();
    return !this.#paused;
  };

  #notify(): void {
    this.#listener?.();
  }

  #releaseSocket(): Socket | null {
    const socket = this.#socket;
    if (socket === null) return null;
    this.#socket = null;
    socket.off("data", this.#onData);
    socket.off("end", this.#onEnd);
    socket.off("error", this.#onError);
    socket.off("close", this.#onClose);
    socket.off("drain", this.#onDrain);
    socket.on("error", ignoreError);
    if (this.#idle) socket.ref(); // handed over (or closed) as it came: keeping the process alive
    if (this.#paused) {
      this.#paused = false;
      socket.resume();
    }
    return socket;
  }

  /**
   * Queues received bytes and records the peak.
   *
   * @returns true when the unread bytes reached the read bound: the socket is to pause.
   */
  #queueReceived(bytes: Uint8Array): boolean {
    this.#queue.push(bytes);
    const size = this.#queue.size;
    if (size > this.#peak) this.#peak = size;
    if (size > this.#heldSinceEmpty) this.#heldSinceEmpty = size;
    this.#full = size >= this.#bound;
    return this.#full;
  }

  /**
   * A read emptied the queue: doubles the bound (up to the cap) when the buffer was full
   * (the bound, not the network, limited what arrived since the last read), halves it (down to
   * where it started) when the buffer held at most half of it.
   */
  #adaptBound(): void {
    if (this.#full) {
      this.#bound = Math.min(this.#maxReadBufferBytes, this.#bound * READ_BOUND_GROWTH);
    } else if (this.#heldSinceEmpty <= this.#bound / 2) {
      this.#bound = Math.max(this.#readBufferBytes, Math.floor(this.#bound / 2));
    }
    this.#full = false;
    this.#heldSinceEmpty = 0;
  }

  readonly #onData = (chunk: Uint8Array): void => {
    if (this.#state === PeerState.CLOSED) return;
    if (this.#queueReceived(chunk) && !this.#paused) {
      this.#paused = true;
      this.#socket?.pause();
    }
    this.#notify();
  };

  readonly #onEnd = (): void => {
    if (this.#ended) return;
    this.#ended = true;
    this.#notify();
  };

  readonly #onError = (err: Error): void => {
    this.fail(err);
  };

  readonly #onClose = (): void => {
    if (this.#state === PeerState.CONNECTING) {
      const what = this.#openingKind === "tls" ? "the TLS handshake completed" : "the connection opened";
      this.fail(Object.assign(new Error(`socket closed before ${what}`), { code: "ECONNRESET" }));
    } else if (this.#state === PeerState.OPEN && !this.#ended) {
      this.#ended = true;
      this.#notify();
    }
  };

  readonly #onDrain = (): void => {
    this.#notify();
  };

  readonly #onWritten = (err?: Error | null): void => {
    if (err == null) this.#notify();
  };
}

function ignoreError(): void {
  // A released or closed socket may still report an error; nobody is interested any more.
}
