/**
 * The state of a {@link StreamPeer}.
 */
export const PeerState = {
  /** The transport is being opened (TCP connect, or the TLS handshake for a TLS peer). */
  CONNECTING: 0,
  /** Open: bytes can be read and written. The remote end may still have ended its side (see `isEnded()`). */
  OPEN: 1,
  /** Closed locally with `close()`, or handed over to another peer. */
  CLOSED: 2,
  /** Failed; `getError()` tells why. */
  ERROR: 3,
} as const;

/** A value of {@link PeerState}. */
export type PeerState = (typeof PeerState)[keyof typeof PeerState];

/**
 * What went wrong with a peer: `connect` (the connection could not be opened; another address may
 * work), `tls` (the TLS handshake failed), or `io` (an open connection failed).
 */
export type PeerErrorKind = "connect" | "tls" | "io";

/** Why a {@link StreamPeer} failed. */
export interface PeerError {
  /** Which phase failed. */
  readonly kind: PeerErrorKind;
  /** A code naming the cause, e.g. Node's `ECONNREFUSED` or `DEPTH_ZERO_SELF_SIGNED_CERT`. */
  readonly code: string;
  /** A human-readable description that includes the code. */
  readonly message: string;
}

/**
 * A non-blocking, polled byte stream: the transport under an `HTTPClient`.
 *
 * Nothing a peer does blocks. A real peer receives bytes on Node's event loop between calls and
 * keeps them until they are read; it buffers at most its high-water mark of unread bytes and then
 * pauses its socket until the buffer is drained, so memory per connection stays bounded.
 */
export interface StreamPeer {
  /** The current state. */
  getState(): PeerState;
  /** Why the peer failed, once `getState()` is `ERROR`; otherwise `null`. */
  getError(): PeerError | null;
  /** The number of received bytes waiting to be read. */
  getAvailableBytes(): number;
  /**
   * Takes up to `maxBytes` received bytes from the front of the buffer.
   *
   * To avoid copying, it may return fewer bytes than are available (for instance the rest of one
   * received chunk, as a view): call it again until it returns an empty array.
   *
   * A peer that implements {@link StreamPeer.releaseReads} may reuse the memory under the returned
   * view once the reader releases it; until then the view stays intact.
   *
   * @param maxBytes - The most bytes to return; must be at least 1.
   * @returns The bytes, possibly a view into a received chunk; empty when nothing is buffered.
   */
  read(maxBytes: number): Uint8Array;
  /**
   * Declares that the reader no longer uses the arrays `read()` returned so far, except those
   * holding the last `keepLastBytes` bytes it read: a peer that copies received bytes into
   * recycled memory ({@link TcpPeer}) may now overwrite the rest. `HTTPClient.poll()` calls it
   * first thing, keeping the bytes its response parser still holds, which is why a piece of body
   * stays valid until the client's next `poll()`.
   *
   * Optional: a peer whose views are never overwritten (`ScriptedPeer`, `TlsPeer`) may leave it
   * out or do nothing.
   *
   * @param keepLastBytes - How many of the most recently read bytes are still in use (0 for none).
   */
  releaseReads?(keepLastBytes: number): void;
  /**
   * Queues bytes to send. Accepts as many as the peer's write buffer has room for.
   *
   * @param data - The bytes to send; the peer may keep a reference to the accepted part.
   * @returns The number of bytes accepted (0 when the buffer is full or the peer is not open).
   */
  write(data: Uint8Array): number;
  /** The number of accepted bytes not yet handed to the operating system. */
  getPendingWriteBytes(): number;
  /** True once the remote end has closed its side; buffered bytes can still be read. */
  isEnded(): boolean;
  /** Closes the transport and drops buffered bytes. Idempotent. */
  close(): void;
  /**
   * Tells the peer whether a request is in flight on it. An idle peer (an open keep-alive
   * connection with no request in flight) does not keep the Node process alive: a script that is
   * done exits even though the connection stays open for reuse. A busy peer (the default, also
   * while connecting) keeps the process alive, as a socket does, so a request driven only by the
   * peer's activity is never cut off. `HTTPClient` calls it as its status moves between CONNECTED
   * and REQUESTING/BODY.
   *
   * Optional: a peer without an event-loop handle (`ScriptedPeer`) leaves it out.
   *
   * @param idle - True when no request is in flight.
   */
  setIdle?(idle: boolean): void;
  /**
   * The most received but unread bytes the peer has held at once: the memory its read buffer used.
   * `HTTPRequest.getPeakBufferedBytes()` reports it.
   *
   * Optional: a peer that holds no received bytes of its own (`ScriptedPeer`) leaves it out (0).
   */
  getPeakBufferedBytes?(): number;
  /**
   * Registers a function called (from Node's event loop, never from inside a call on the peer)
   * when something new happens: bytes arrive, the remote end closes, the state changes, or
   * buffered writes drain. A runner uses it to sleep until there is work. `null` removes it.
   */
  setActivityListener(listener: (() => void) | null): void;
}
