/** The ways one input is cut into pieces for the split-independence property. */
import { prng } from "../helpers/prng.ts";

/** One way to deliver an input. */
export interface Split {
  /** `whole`, `bytes` (one byte per piece) or `random-k`. */
  readonly name: string;
  readonly pieces: readonly Uint8Array[];
}

/**
 * The input whole, byte by byte, and `randomSplits` seeded random cuts (pieces of 1–4 bytes and of
 * up to a third of the input, mixed).
 *
 * @param bytes - The input.
 * @param seed - Seeds the random cuts.
 * @param randomSplits - How many random cuts.
 * @returns The splits; the first is `whole`.
 */
export function splitsOf(bytes: Uint8Array, seed: number, randomSplits: number): Split[] {
  const splits: Split[] = [{ name: "whole", pieces: bytes.length === 0 ? [] : [bytes] }];
  const single: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i++) single.push(bytes.subarray(i, i + 1));
  splits.push({ name: "bytes", pieces: single });
  for (let k = 0; k < randomSplits; k++) {
    const random = prng((seed + Math.imul(k + 1, 0x9e3779b1)) >>> 0);
    const pieces: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; ) {
      const size = random() < 0.5 ? 1 + Math.floor(random() * 4) : 1 + Math.floor(random() * Math.max(1, bytes.length / 3));
      pieces.push(bytes.subarray(at, Math.min(bytes.length, at + size)));
      at += size;
    }
    splits.push({ name: `random-${k}`, pieces });
  }
  return splits;
}
