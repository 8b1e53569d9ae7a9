/**
 * A request body produced piece by piece, so a large upload never sits whole in memory. The
 * client pulls from it as the connection accepts bytes; a source that has nothing ready yet
 * (a stream the application is still writing) returns an empty array and is asked again on a
 * later poll.
 */
export interface BodySource {
  /** The total length in bytes when known (sent as `Content-Length`), or -1 (sent chunked). */
  readonly length: number;
  /**
   * Takes the next bytes of the body.
   *
   * @param maxBytes - The most bytes wanted (at least 1).
   * @returns Up to `maxBytes` bytes; an empty array when none is ready yet; `null` once the body
   * is complete (or failed: see `getError()`).
   */
  read(maxBytes: number): Uint8Array | null;
  /** Why the source failed (for instance a file read error), or `""`. */
  getError(): string;
  /** Releases what the source holds (file handles). Idempotent. */
  close(): void;
  /**
   * Optionally registers a function to call when the source has news for the client (bytes
   * written, the end, a failure) that arrives from outside the client's calls, so a runner that
   * sleeps until there is work wakes up. The client sets it while it sends the body; `null` removes it.
   */
  setActivityListener?(listener: (() => void) | null): void;
  /**
   * Optionally, a new source with the same body from its first byte, so a request can be sent again
   * (a retry of `HTTPRequest.retryPolicy`). Called after this source was used and closed. A source
   * without it, or returning `null` (the file is gone), is never sent twice.
   */
  replay?(): BodySource | null;
}
