import { latin1 } from "./latin1.ts";
import { responseFailure, type ResponseFailure } from "./wire-failure.ts";

/** The longest chunk-size line accepted, extensions and CRLF included. */
export const MAX_CHUNK_SIZE_LINE_BYTES = 4096;

/** At most 16 hex digits (64 bits); the value must also be a safe integer. */
const MAX_CHUNK_SIZE_DIGITS = 16;

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const QUOTED = '"(?:[\\t !#-\\[\\]-~\\x80-\\xff]|\\\\[\\t -~\\x80-\\xff])*"';
/** One or more `BWS ";" BWS name [ BWS "=" BWS (token / quoted-string) ]` (RFC 9112 §7.1.1). */
const CHUNK_EXTENSIONS = new RegExp(`^(?:[ \\t]*;[ \\t]*${TOKEN}(?:[ \\t]*=[ \\t]*(?:${TOKEN}|${QUOTED}))?)+$`);

/**
 * Parses a chunk-size line `bytes[start, lf)` (the LF at index `lf` excluded) per RFC 9112 §7.1:
 * 1–16 hex digits (either case), then optional chunk extensions, which are validated and ignored,
 * then CRLF. Rejected: an empty size, a sign, leading whitespace, non-hex digits, more than 16
 * digits, a size above `Number.MAX_SAFE_INTEGER`, malformed extensions and a bare LF ending.
 *
 * @returns the chunk size, or the failure
 */
export function parseChunkSizeLine(bytes: Uint8Array, start: number, lf: number): number | ResponseFailure {
  if (lf === start || bytes[lf - 1] !== 0x0d) return responseFailure("chunk size line does not end in CRLF");
  const end = lf - 1;
  let pos = start;
  let size = 0;
  while (pos < end) {
    const digit = hexValue(bytes[pos] ?? 0);
    if (digit < 0) break;
    size = size * 16 + digit;
    pos++;
  }
  const digits = pos - start;
  if (digits === 0) return responseFailure("invalid chunk size (expected hex digits)");
  if (digits > MAX_CHUNK_SIZE_DIGITS) return responseFailure(`chunk size has more than ${MAX_CHUNK_SIZE_DIGITS} hex digits`);
  if (size > Number.MAX_SAFE_INTEGER) return responseFailure("chunk size is too large");
  if (pos < end && !CHUNK_EXTENSIONS.test(latin1(bytes, pos, end))) {
    return responseFailure("invalid chunk size line (bad character or malformed chunk extension)");
  }
  return size;
}

/**
 * Reads the common chunk-size line, hex digits then CRLF with no extension, straight from the
 * received bytes. What it accepts, {@link parseChunkSizeLine} accepts with the same size; for
 * anything else (an extension, a bad or missing digit, a bare LF, a line not complete in the
 * array, a size above `Number.MAX_SAFE_INTEGER`) it reports false and that parser decides.
 */
export class PlainChunkSizeLine {
  /** After a successful {@link read}: the chunk size. */
  size = 0;
  /** After a successful {@link read}: the bytes of the line, CRLF included. */
  length = 0;

  /**
   * Reads a plain chunk-size line at `bytes[start]`.
   *
   * @returns true when one was read (see {@link size} and {@link length})
   */
  read(bytes: Uint8Array, start: number): boolean {
    const end = Math.min(bytes.length, start + MAX_CHUNK_SIZE_DIGITS + 2);
    let p = start;
    let size = 0;
    while (p < end) {
      const digit = hexValue(bytes[p] as number);
      if (digit < 0) break;
      size = size * 16 + digit;
      p++;
    }
    if (p === start || p + 1 >= end || bytes[p] !== 0x0d || bytes[p + 1] !== 0x0a || size > Number.MAX_SAFE_INTEGER) return false;
    this.size = size;
    this.length = p + 2 - start;
    return true;
  }
}

/** The value of one ASCII hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}
