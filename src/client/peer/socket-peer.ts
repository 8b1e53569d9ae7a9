import type { PeerError, PeerErrorKind, StreamPeer } from "./stream-peer.ts";

/**
 * The default bound of unread bytes a socket peer buffers before pausing its socket: 4 MiB. It is
 * where the bound starts; while every read empties a full buffer it grows, up to
 * {@link DEFAULT_MAX_READ_BUFFER_BYTES} (see {@link SocketPeerOptions.maxReadBufferBytes}).
 */
export const DEFAULT_READ_BUFFER_BYTES: number = 4 * 1024 * 1024;
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
 * A {@link StreamPeer} over a Node socket: {@link TcpPeer} and {@link TlsPeer} implement it, each
 * composing the same socket-reading core (not exported), so they buffer and push back alike.
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
 * bound. Errors before the transport is open are reported with the peer's opening kind
 * (`connect` or `tls`), later ones as `io`.
 */
export interface SocketPeer extends StreamPeer {
  /**
   * Declares that the reader no longer uses the arrays `read()` returned so far, except those
   * holding the last `keepLastBytes` bytes it read; see {@link StreamPeer.releaseReads}. Only
   * {@link TcpPeer} reuses that memory; for {@link TlsPeer} this does nothing.
   *
   * @param keepLastBytes - How many of the most recently read bytes are still in use (0 for none).
   */
  releaseReads(keepLastBytes: number): void;
  /**
   * Tells the peer whether a request is in flight on it (see {@link StreamPeer.setIdle}): an idle
   * peer's sockets are `unref()`ed, so they do not keep the Node process alive; a busy one's are
   * `ref()`ed again. A new peer is busy.
   *
   * @param idle - True when no request is in flight.
   */
  setIdle(idle: boolean): void;
  /** The most unread bytes this peer has ever held at once (for tests of the memory bound). */
  getPeakBufferedBytes(): number;
  /** The starting read buffer bound in bytes, after clamping (see {@link SocketPeerOptions.readBufferBytes}). */
  getReadBufferBytes(): number;
  /** The most the read buffer bound may grow to, after clamping (see {@link SocketPeerOptions.maxReadBufferBytes}). */
  getMaxReadBufferBytes(): number;
  /** The read buffer bound now: from {@link SocketPeer.getReadBufferBytes} to {@link SocketPeer.getMaxReadBufferBytes}. */
  getCurrentReadBufferBytes(): number;
  /** The write buffer bound in bytes, after clamping. */
  getWriteBufferBytes(): number;
}
