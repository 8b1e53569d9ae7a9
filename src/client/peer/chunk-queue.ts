import type { ReceiveQueue } from "./receive-queue.ts";

const EMPTY = new Uint8Array(0);

/**
 * A first-in, first-out queue of received byte chunks that hands bytes out as views.
 *
 * Chunks are kept as given (no copy) and `read()` returns a `subarray` of the front chunk, so
 * reading never concatenates: a read may return fewer bytes than are queued. The chunks are never
 * reused, so the views stay valid for as long as anyone holds them.
 */
export class ChunkQueue implements ReceiveQueue {
  #chunks: Uint8Array[] = [];
  /** Index of the front chunk in `#chunks` (dequeued entries before it are dropped lazily). */
  #head = 0;
  /** How many bytes of the front chunk were already read. */
  #offset = 0;
  #size = 0;

  /** The number of unread bytes queued. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends a chunk. The queue keeps a reference; the caller must not modify it afterwards.
   *
   * @param chunk - The bytes; an empty chunk is ignored.
   */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }

  /**
   * Takes up to `maxBytes` bytes from the front of the front chunk.
   *
   * @param maxBytes - The most bytes to return; values below 1 return an empty array.
   * @returns A view of the front chunk, or an empty array when the queue is empty.
   */
  read(maxBytes: number): Uint8Array {
    const front = this.#chunks[this.#head];
    const limit = Math.floor(maxBytes);
    if (front === undefined || !(limit >= 1)) return EMPTY;
    const end = Math.min(front.length, this.#offset + limit);
    const out = this.#offset === 0 && end === front.length ? front : front.subarray(this.#offset, end);
    this.#size -= out.length;
    if (end === front.length) {
      this.#chunks[this.#head] = EMPTY;
      this.#head += 1;
      this.#offset = 0;
      this.#compact();
    } else {
      this.#offset = end;
    }
    return out;
  }

  /** Nothing to do: the views are of chunks this queue never reuses. */
  release(): void {
    // Received chunks are Node's own buffers, never written again.
  }

  /** Drops every queued byte. */
  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#offset = 0;
    this.#size = 0;
  }

  #compact(): void {
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}
