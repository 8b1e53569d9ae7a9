import { Buffer } from "node:buffer";

/**
 * Node's native one-byte-per-character decoder, reached without wrapping the array in a Buffer: an
 * undocumented method, kept because it saves about 15 % of the parser's CPU on small heads (the A/B
 * in bench/RESULTS.md); without it the public `Buffer.toString("latin1")` below does the same.
 */
type Latin1Slice = (this: Uint8Array, start: number, end: number) => string;

const nativeSlice = (Buffer.prototype as unknown as { latin1Slice?: Latin1Slice }).latin1Slice;

/**
 * Decodes `bytes[start, end)` as latin1 (ISO-8859-1): one character per byte, U+0000–U+00FF.
 * Unlike `TextDecoder("latin1")`, which is windows-1252, bytes 0x80–0x9F map to U+0080–U+009F.
 */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  if (nativeSlice !== undefined) return nativeSlice.call(bytes, start, end);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1", start, end);
}
