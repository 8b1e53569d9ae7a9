/**
 * The unread received bytes of a socket peer, first in, first out. Two implementations:
 * `ChunkQueue` keeps the arrays it is given and hands out views of them; `SlabQueue` copies bytes
 * into recycled slabs and hands out views that stay valid only until released.
 *
 * @internal
 */
export interface ReceiveQueue {
  /** The number of unread bytes queued. */
  readonly size: number;
  /**
   * Appends received bytes.
   *
   * @param bytes - The bytes; see the implementation for whether it keeps the array or copies it.
   */
  push(bytes: Uint8Array): void;
  /**
   * Takes up to `maxBytes` bytes from the front, as a view; it may return fewer than are queued.
   *
   * @param maxBytes - The most bytes to return; values below 1 return an empty array.
   * @returns The bytes, or an empty array when none is queued.
   */
  read(maxBytes: number): Uint8Array;
  /**
   * Declares the views returned by `read()` no longer in use, except those holding the last
   * `keepLastBytes` bytes read: their memory may be reused.
   *
   * @param keepLastBytes - How many of the most recently read bytes the reader still uses.
   */
  release(keepLastBytes: number): void;
  /** Drops every queued byte. Views already returned stay valid: their memory is never reused. */
  clear(): void;
}
