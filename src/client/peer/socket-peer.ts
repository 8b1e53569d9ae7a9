import type { Socket } from "node:net";
import { ChunkQueue } from "./chunk-queue.ts";
import type { ReceiveQueue } from "./receive-queue.ts";
import { SlabQueue } from "./slab-queue.ts";
import { PeerState, type PeerError, type PeerErrorKind, type StreamPeer } from "./stream-peer.ts";

/**
 * The default bound of unread bytes a socket peer buffers before pausing its socket: 4 MiB. It is
 * where the bound starts; while every read empties a full buffer it grows, up to
 * {@link DEFAULT_MAX_READ_BUFFER_BYTES} (see {@link SocketPeerOptions.maxReadBufferBytes}).
 */
export const DEFAULT_READ_BUFFER_BYTES: number = 4 * 1024 * 1024;
/** How much the read bound grows each time a read empties a full buffer: twofold (4 MiB → 8 MiB by default). */
const READ_BOUND_GROWTH = 2;
/**
 * The default most the read bound of a socket peer grows to while its reader keeps draining a full
 * buffer: 8 MiB (the most DESIGN.md allows by default), so at 60 reads per second a connection can take
 * about 500 MB/s.
 */
export const DEFAULT_MAX_READ_BUFFER_BYTES: number = 8 * 1024 * 1024;
/** The smallest accepted read buffer bound: 64 KiB. */
export const MIN_READ_BUFFER_BYTES: number = 64 * 1024;
/** The largest accepted read buffer bound: 64 MiB. */
export const MAX_READ_BUFFER_BYTES: number = 64 * 1024 * 1024;
/** The default bound of accepted, not yet sent bytes a socket peer queues: 1 MiB. */
export const DEFAULT_WRITE_BUFFER_BYTES: number = 1024 * 1024;
/** The smallest accepted write buffer bound: 16 KiB. */
export const MIN_WRITE_BUFFER_BYTES: number = 16 * 1024;
/** The largest accepted write buffer bound: 64 MiB. */
export const MAX_WRITE_BUFFER_BYTES: number = 64 * 1024 * 1024;

/** Buffer bounds of a socket peer ({@link TcpPeer}, {@link TlsPeer}). */
export interface SocketPeerOptions {
  /**
   * The most unread received bytes held before the socket is paused (it resumes once reads bring
   * the buffer down to half). Default {@link DEFAULT_READ_BUFFER_BYTES}; clamped to
   * {@link MIN_READ_BUFFER_BYTES}–{@link MAX_READ_BUFFER_BYTES}. At a given poll rate this bounds
   * throughput: at most this many bytes arrive between two polls.
   */
  readonly readBufferBytes?: number;
  /**
   * The most the read bound grows to. The bound starts at `readBufferBytes`; each time a read
   * empties a buffer that had filled up to the bound (the socket was paused, so the bound, not the
   * network, limited what arrived between two reads) it doubles, up to this cap; when the
   * buffer is emptied after holding at most half the bound it halves, and when the connection goes
   * idle it is back at `readBufferBytes`. Unread bytes never exceed the current bound plus one socket
   * read. Default {@link DEFAULT_MAX_READ_BUFFER_BYTES} when `readBufferBytes` is not given, and
   * `readBufferBytes` (a fixed bound, no growth) when it is; clamped to
   * `readBufferBytes`–{@link MAX_READ_BUFFER_BYTES}.
   */
  readonly maxReadBufferBytes?: number;
  /**
   * The most accepted bytes waiting to be sent; `write()` accepts no more than the room left.
   * Default {@link DEFAULT_WRITE_BUFFER_BYTES}; clamped to
   * {@link MIN_WRITE_BUFFER_BYTES}–{@link MAX_WRITE_BUFFER_BYTES}.
   */
  readonly writeBufferBytes?: number;
}

function clamp(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.floor(value)));
}

function errorCode(err: unknown): string {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string" && err.code !== "") {
    return err.code;
  }
  return "EUNKNOWN";
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Builds a {@link PeerError} from a thrown or emitted value, making sure the message names the code.
 *
 * @param kind - The phase that failed.
 * @param err - What Node threw or emitted.
 * @returns The peer error.
 */
export function peerErrorFrom(kind: PeerErrorKind, err: unknown): PeerError {
  const code = errorCode(err);
  const text = errorText(err).trim();
  return { kind, code, message: text.includes(code) ? text : `${code}: ${text}` };
}

/**
 * How a socket peer takes received bytes: `"data"` queues the buffers of the socket's `'data'`
 * events as they are; `"copy"` copies each read (delivered through `net.connect`'s `onread`) into
 * recycled slabs.
 */
type ReadMode = "data" | "copy";

/**
 * The buffering, back-pressure and error handling shared by {@link TcpPeer} and {@link TlsPeer}.
 *
 * Received bytes are queued and `read()` hands them out as views. {@link TlsPeer} queues the
 * buffers of `'data'` events, which are never reused. {@link TcpPeer} copies each socket read into
 * recycled 64 KiB slabs, so a download allocates nothing per read (a small read into an empty
 * buffer, such as a whole small response, is copied into memory of its own size instead); its
 * views stay valid until {@link SocketPeer.releaseReads} frees them (an `HTTPClient` does so when
 * its next `poll()` starts). An idle peer (see {@link SocketPeer.setIdle}) does not keep the
 * process alive. When the unread bytes reach the read bound the socket is paused, and it resumes when
 * reads bring them to half the bound, so memory per connection stays bounded: at most the bound,
 * plus the bytes read since the last release. `write()` accepts only what fits under the write
 * bound. Errors before the transport is open are reported with the subclass's opening kind
 * (`connect` or `tls`), later ones as `io`.
 */
export abstract class SocketPeer implements StreamPeer {
  #state: PeerState = PeerState.CONNECTING;
  #error: PeerError | null = null;
  #socket: Socket | null = null;
  readonly #queue: ReceiveQueue;
  readonly #readMode: ReadMode;
  readonly #openingKind: PeerErrorKind;
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
   * @param readMode - `"data"`: the subclass's socket delivers `'data'` events; `"copy"`: it was
   * created with an `onread` callback that passes each read to {@link SocketPeer.receiveRead}.
   */
  protected constructor(openingKind: PeerErrorKind, options: SocketPeerOptions, readMode: "data" | "copy" = "data") {
    this.#openingKind = openingKind;
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

  /** {@inheritDoc StreamPeer.getState} */
  getState(): PeerState {
    return this.#state;
  }

  /** {@inheritDoc StreamPeer.getError} */
  getError(): PeerError | null {
    return this.#state === PeerState.ERROR ? this.#error : null;
  }

  /** {@inheritDoc StreamPeer.getAvailableBytes} */
  getAvailableBytes(): number {
    return this.#queue.size;
  }

  /** {@inheritDoc StreamPeer.read} */
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
   * Declares that the reader no longer uses the arrays `read()` returned so far, except those
   * holding the last `keepLastBytes` bytes it read; see {@link StreamPeer.releaseReads}. Only
   * {@link TcpPeer} reuses that memory; for {@link TlsPeer} this does nothing.
   *
   * @param keepLastBytes - How many of the most recently read bytes are still in use (0 for none).
   */
  releaseReads(keepLastBytes: number): void {
    this.#queue.release(keepLastBytes);
  }

  /** {@inheritDoc StreamPeer.write} */
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

  /** {@inheritDoc StreamPeer.getPendingWriteBytes} */
  getPendingWriteBytes(): number {
    return this.#socket?.writableLength ?? 0;
  }

  /** {@inheritDoc StreamPeer.isEnded} */
  isEnded(): boolean {
    return this.#ended;
  }

  /** {@inheritDoc StreamPeer.close} */
  close(): void {
    if (this.#state === PeerState.CLOSED) return;
    this.#state = PeerState.CLOSED;
    this.#queue.clear();
    this.#listener = null;
    const socket = this.releaseSocket();
    socket?.destroy();
  }

  /** {@inheritDoc StreamPeer.setActivityListener} */
  setActivityListener(listener: (() => void) | null): void {
    this.#listener = listener;
  }

  /**
   * Tells the peer whether a request is in flight on it (see {@link StreamPeer.setIdle}): an idle
   * peer's socket is `unref()`ed, so it does not keep the Node process alive; a busy one's is
   * `ref()`ed again. A new peer is busy.
   *
   * @param idle - True when no request is in flight.
   */
  setIdle(idle: boolean): void {
    if (idle === this.#idle) return;
    this.#idle = idle;
    if (idle) this.#bound = this.#readBufferBytes; // an idle connection shrinks back
    if (this.#socket !== null) this.refSockets(!idle);
  }

  /**
   * Makes the peer's sockets keep the process alive or not. {@link TlsPeer} adds its TCP socket.
   *
   * @param ref - True to `ref()`, false to `unref()`.
   */
  protected refSockets(ref: boolean): void {
    const socket = this.#socket;
    if (socket === null) return;
    if (ref) socket.ref();
    else socket.unref();
  }

  /** The most unread bytes this peer has ever held at once (for tests of the memory bound). */
  getPeakBufferedBytes(): number {
    return this.#peak;
  }

  /** The starting read buffer bound in bytes, after clamping (see {@link SocketPeerOptions.readBufferBytes}). */
  getReadBufferBytes(): number {
    return this.#readBufferBytes;
  }

  /** The most the read buffer bound may grow to, after clamping (see {@link SocketPeerOptions.maxReadBufferBytes}). */
  getMaxReadBufferBytes(): number {
    return this.#maxReadBufferBytes;
  }

  /** The read buffer bound now: from {@link SocketPeer.getReadBufferBytes} to {@link SocketPeer.getMaxReadBufferBytes}. */
  getCurrentReadBufferBytes(): number {
    return this.#bound;
  }

  /** The write buffer bound in bytes, after clamping. */
  getWriteBufferBytes(): number {
    return this.#writeBufferBytes;
  }

  /**
   * Starts watching a socket: received data, end, errors, close and drain.
   *
   * @param socket - The socket this peer reads and writes.
   */
  protected attachSocket(socket: Socket): void {
    this.#socket = socket;
    if (this.#readMode === "data") socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
    socket.on("drain", this.#onDrain);
  }

  /**
   * Stops watching the socket and forgets it, leaving it open. A no-op error listener stays
   * attached so a late error is ignored rather than thrown.
   *
   * @returns The socket, or `null` if none was attached.
   */
  protected releaseSocket(): Socket | null {
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

  /** Marks a `CONNECTING` peer `OPEN` and notifies the activity listener. */
  protected markOpen(): void {
    if (this.#state !== PeerState.CONNECTING) return;
    this.#state = PeerState.OPEN;
    this.notify();
  }

  /**
   * Marks the peer handed over: `CLOSED` without destroying the socket (see {@link releaseSocket}).
   *
   * @returns The released socket.
   */
  protected handOver(): Socket | null {
    this.#state = PeerState.CLOSED;
    this.#listener = null;
    return this.releaseSocket();
  }

  /**
   * Fails the peer with `err`: the opening kind while connecting, `io` once open. Ignored when
   * the peer is already closed or failed. The socket is destroyed; unread bytes stay readable.
   *
   * @param err - What Node emitted or threw.
   */
  protected fail(err: unknown): void {
    if (this.#state === PeerState.CLOSED || this.#state === PeerState.ERROR) return;
    const kind = this.#state === PeerState.CONNECTING ? this.#openingKind : "io";
    this.#error = peerErrorFrom(kind, err);
    this.#state = PeerState.ERROR;
    this.#socket?.destroy();
    this.notify();
  }

  /** Calls the activity listener, if any. */
  protected notify(): void {
    this.#listener?.();
  }

  /**
   * Takes one read of a socket created with `onread` (read mode `"copy"`): copies the bytes into
   * the peer's slabs, so the caller may reuse `bytes` at once.
   *
   * @param bytes - The bytes read.
   * @returns false when the unread bytes reached the read bound: the `onread` callback returns it
   * to pause the socket, which `read()` resumes once the buffer is down to half.
   */
  protected receiveRead(bytes: Uint8Array): boolean {
    if (this.#state === PeerState.CLOSED || this.#socket === null) return true;
    if (this.#queueReceived(bytes)) this.#paused = true;
    this.notify();
    return !this.#paused;
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
    this.notify();
  };

  readonly #onEnd = (): void => {
    if (this.#ended) return;
    this.#ended = true;
    this.notify();
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
      this.notify();
    }
  };

  readonly #onDrain = (): void => {
    this.notify();
  };

  readonly #onWritten = (err?: Error | null): void => {
    if (err == null) this.notify();
  };
}

function ignoreError(): void {
  // A released or closed socket may still report an error; nobody is interested any more.
}
