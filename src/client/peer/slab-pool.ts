/** The size of one slab of received bytes: 64 KiB, the most one socket read delivers. */
export const SLAB_BYTES: number = 64 * 1024;

/**
 * The most free slabs kept for reuse, process-wide: 256 slabs, 16 MiB, what one connection whose
 * read bound grew to its default cap (`DEFAULT_MAX_READ_BUFFER_BYTES`) takes in a tick.
 */
export const MAX_FREE_SLABS = 256;

/**
 * Reads of at most this many bytes into an empty queue are copied into memory of their exact size
 * (see {@link takeSmall}) instead of a whole slab: 4 KiB.
 */
export const SMALL_READ_BYTES: number = 4 * 1024;

/** The size of the blocks small reads are carved from. */
const ARENA_BYTES = 64 * 1024;

const free: Uint8Array[] = [];

/** The block small reads are carved from, and the first free byte in it. */
let arena: ArrayBuffer = new ArrayBuffer(0);
let arenaUsed = 0;

/**
 * Memory of `bytes` bytes that is not zero-filled: every use writes each byte before it reads it.
 *
 * @param bytes - The size.
 * @returns An `ArrayBuffer` of its own, to be viewed as a plain `Uint8Array` (never a `Buffer`,
 * whose `slice()` does not copy).
 */
function uninitialized(bytes: number): ArrayBuffer {
  return Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer;
}

/**
 * Takes a slab of {@link SLAB_BYTES} bytes for received data: the most recently returned free one,
 * or a new one when none is free. Its content is whatever it held before (a new slab is not
 * zero-filled): the caller writes bytes before it hands them out.
 *
 * @returns A slab the caller owns until it gives it back with {@link giveSlab}.
 * @internal
 */
export function takeSlab(): Uint8Array {
  return free.pop() ?? new Uint8Array(uninitialized(SLAB_BYTES), 0, SLAB_BYTES);
}

/**
 * Takes memory of exactly `bytes` bytes (1 … {@link SMALL_READ_BYTES}) for one small read, carved
 * from a shared block. It is never reused: once nothing refers to it, the garbage collector takes
 * it, block by block. So a connection that receives small responses holds no slab, and a thousand
 * idle keep-alive connections hold nothing at all. Its content is unspecified until written.
 *
 * @param bytes - The size, 1 … {@link SMALL_READ_BYTES}.
 * @returns A view of its own memory.
 * @internal
 */
export function takeSmall(bytes: number): Uint8Array {
  if (arenaUsed + bytes > arena.byteLength) {
    arena = uninitialized(ARENA_BYTES);
    arenaUsed = 0;
  }
  const view = new Uint8Array(arena, arenaUsed, bytes);
  arenaUsed += (bytes + 7) & ~7;
  return view;
}

/**
 * Returns a slab for reuse. The caller must hold no view of it that is still in use: the next
 * {@link takeSlab}, for any connection, may overwrite it. Beyond {@link MAX_FREE_SLABS} free slabs
 * it is dropped and left to the garbage collector, as is memory of any other size (from {@link takeSmall}).
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
