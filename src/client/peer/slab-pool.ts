/** The size of one slab of received bytes: 64 KiB, the most one socket read delivers. */
export const SLAB_BYTES: number = 64 * 1024;

/** The most free slabs kept for reuse, process-wide: 128 slabs, 8 MiB. */
export const MAX_FREE_SLABS = 128;

const free: Uint8Array[] = [];

/**
 * Takes a slab of {@link SLAB_BYTES} bytes for received data: the most recently returned free one,
 * or a new one when none is free. Its content is whatever it held before.
 *
 * @returns A slab the caller owns until it gives it back with {@link giveSlab}.
 * @internal
 */
export function takeSlab(): Uint8Array {
  return free.pop() ?? new Uint8Array(SLAB_BYTES);
}

/**
 * Returns a slab for reuse. The caller must hold no view of it that is still in use: the next
 * {@link takeSlab}, for any connection, may overwrite it. Beyond {@link MAX_FREE_SLABS} free slabs
 * it is dropped and left to the garbage collector.
 *
 * @param slab - A slab from {@link takeSlab}.
 * @internal
 */
export function giveSlab(slab: Uint8Array): void {
  if (free.length < MAX_FREE_SLABS && slab.length === SLAB_BYTES) free.push(slab);
}

/**
 * The number of free slabs waiting for reuse (for tests).
 *
 * @returns The count.
 * @internal
 */
export function freeSlabCount(): number {
  return free.length;
}
