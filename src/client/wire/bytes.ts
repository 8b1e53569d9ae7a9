const EMPTY = new Uint8Array(0);

/**
 * Joins byte arrays into one. One array is returned as it is (no copy); none gives an empty array.
 *
 * @param pieces - The arrays, in order.
 * @returns Their bytes in one array.
 * @internal
 */
export function concatBytes(pieces: readonly Uint8Array[]): Uint8Array {
  if (pieces.length === 0) return EMPTY;
  if (pieces.length === 1) return pieces[0] ?? EMPTY;
  let total = 0;
  for (const piece of pieces) total += piece.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}
