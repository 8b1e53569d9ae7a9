import type { ReceiveQueue } from "./receive-queue.ts";
import { giveSlab, SLAB_BYTES, SMALL_READ_BYTES, takeSlab, takeSmall } from "./slab-pool.ts";

const EMPTY = new Uint8Array(0);

/**
 * A first-in, first-out queue that copies received bytes into recycled slabs of
 * {@link SLAB_BYTES} bytes and hands them out as views, so a steady stream allocates nothing.
 *
 * A slab goes through three stages: active (it holds unread bytes, or is the one being filled),
 * retired (every byte of it was read, but views handed out may still be in use) and free (back in
 * the process-wide pool, where any connection may overwrite it). Only {@link SlabQueue.release}
 * frees retired slabs; until then every view `read()` returned stays intact. Retired slabs beyond
 * the retention bound are forgotten rather than freed, so a reader that never releases costs
 * garbage, never corruption.
 *
 * A small read (at most {@link SMALL_READ_BYTES}) that finds the queue without an active slab is
 * copied into memory of its exact size instead (`takeSmall`), which is never reused: the usual
 * small response of a keep-alive connection costs a few bytes, not a 64 KiB slab.
 *
 * @internal
 */
export class SlabQueue implements ReceiveQueue {
  /**
   * Active slabs: the front one is being read, the last one is being filled; those between are
   * full. A small read's exact-size memory counts as a full slab of its own length.
   */
  #slabs: Uint8Array[] = [];
  /** Read position in the front slab. */
  #readPos = 0;
  /** Fill position in the last slab. */
  #fill = 0;
  #size = 0;
  /** Fully read slabs, oldest first; every one is full (it was not the slab being filled). */
  #retired: Uint8Array[] = [];
  readonly #maxRetired: number;

  /**
   * @param retainBytes - The most fully read bytes kept waiting for a release; beyond it the
   * oldest retired slabs are forgotten (left to the garbage collector). At least one slab.
   */
  constructor(retainBytes: number) {
    this.#maxRetired = Math.max(1, Math.ceil(retainBytes / SLAB_BYTES));
  }

  /** The number of unread bytes queued. */
  get size(): number {
    return this.#size;
  }

  /** The bytes of memory this queue holds: active and retired slabs (for tests of the memory bound). */
  get heldBytes(): number {
    let held = 0;
    for (const slab of this.#slabs) held += slab.length;
    for (const slab of this.#retired) held += slab.length;
    return held;
  }

  /**
   * Copies received bytes in; the caller may reuse `bytes` as soon as this returns.
   *
   * @param bytes - The bytes; an empty array is ignored.
   */
  push(bytes: Uint8Array): void {
    const total = bytes.length;
    if (total === 0) return;
    if (this.#slabs.length === 0 && total <= SMALL_READ_BYTES) {
      const exact = takeSmall(total);
      exact.set(bytes);
      this.#slabs.push(exact);
      this.#fill = total;
      this.#size += total;
      return;
    }
    let from = 0;
    while (from < total) {
      let slab = this.#slabs[this.#slabs.length - 1];
      if (slab === undefined || this.#fill === slab.length) {
        slab = takeSlab();
        this.#slabs.push(slab);
        this.#fill = 0;
      }
      const n = Math.min(slab.length - this.#fill, total - from);
      slab.set(n === total ? bytes : bytes.subarray(from, from + n), this.#fill);
      this.#fill += n;
      from += n;
    }
    this.#size += total;
  }

  /**
   * Takes up to `maxBytes` bytes from the front slab, as a view of it. The view stays valid until
   * a {@link SlabQueue.release} that does not keep it.
   *
   * @param maxBytes - The most bytes to return; values below 1 return an empty array.
   * @returns A view into a slab, or an empty array when nothing is queued.
   */
  read(maxBytes: number): Uint8Array {
    const limit = Math.floor(maxBytes);
    const front = this.#slabs[0];
    if (front === undefined || this.#size === 0 || !(limit >= 1)) return EMPTY;
    const end = this.#slabs.length === 1 ? this.#fill : front.length;
    const start = this.#readPos;
    const n = Math.min(end - start, limit);
    this.#readPos = start + n;
    this.#size -= n;
    if (this.#readPos === front.length) {
      this.#slabs.shift();
      this.#readPos = 0;
      if (this.#slabs.length === 0) this.#fill = 0;
      // A small read's memory is never reused, so its views need no retirement. (Without it in the
      // retired list, release(keep) counts kept bytes against older slabs: it keeps more, never less.)
      if (front.length === SLAB_BYTES) this.#retire(front);
    }
    return front.subarray(start, start + n);
  }

  /**
   * Frees the retired slabs, except those holding the last `keepLastBytes` bytes read. When
   * nothing is unread and no kept byte is in it, the slab being filled is freed too, so an idle
   * connection holds no slab.
   *
   * @param keepLastBytes - How many of the most recently read bytes the reader still uses.
   */
  release(keepLastBytes: number): void {
    const keep = Number.isFinite(keepLastBytes) ? Math.max(0, keepLastBytes) : Number.MAX_SAFE_INTEGER;
    const frontRead = this.#readPos; // the newest read bytes are [0, readPos) of the front slab
    // The newest retired slabs hold the rest of the kept bytes: count back until they are covered.
    let inRetired = keep - frontRead;
    let freed = this.#retired.length;
    while (inRetired > 0 && freed > 0) inRetired -= (this.#retired[--freed] as Uint8Array).length;
    if (freed > 0) {
      for (let i = 0; i < freed; i++) giveSlab(this.#retired[i] as Uint8Array);
      this.#retired.splice(0, freed);
    }
    const only = this.#slabs[0];
    if (only !== undefined && this.#size === 0 && this.#slabs.length === 1 && (keep === 0 || frontRead === 0)) {
      this.#slabs.length = 0;
      this.#readPos = 0;
      this.#fill = 0;
      giveSlab(only);
    }
  }

  /** Drops every byte. Nothing goes back to the pool: views already handed out stay valid. */
  clear(): void {
    this.#slabs = [];
    this.#retired = [];
    this.#readPos = 0;
    this.#fill = 0;
    this.#size = 0;
  }

  #retire(slab: Uint8Array): void {
    this.#retired.push(slab);
    if (this.#retired.length > this.#maxRetired) this.#retired.shift(); // forgotten, never reused
  }
}
