import { latin1 } from "./latin1.ts";
import type { HeaderField } from "./response-events.ts";
import type { StatusLine } from "./status-line.ts";
import { TOKEN_BYTES } from "./token.ts";

/** A response head read by {@link parseHeadInChunk}. */
export interface FastHead {
  /** The status line. */
  readonly status: StatusLine;
  /** The header fields in order. */
  readonly headers: HeaderField[];
  /** Index just past the LF of the empty line that ends the head. */
  readonly end: number;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** Field positions of the head being read: name start, colon, value start, value end (4 per field). */
let marks = new Int32Array(64);

/**
 * Reads a response head that lies whole in `bytes[start, limitEnd)`, in one pass over the bytes
 * and one latin1 decoding, for the common case of a well-formed head in one received chunk.
 *
 * It accepts only a strict subset of what the full parser accepts (`HTTP/1.0` or `HTTP/1.1`, a
 * status of 100–999, token field names, values of HTAB, SP, VCHAR and obs-text, CRLF or (unless
 * `strict`) LF line ends, at most `maxCount` fields) and gives the same status and fields for it. Anything else —
 * a head not complete before `limitEnd`, leading empty lines, obs-fold, a bare CR, a control
 * character, a malformed line, too many fields — returns null, and the caller runs the full
 * parser, which finds the same head or gives the exact reason it is rejected.
 *
 * @param bytes - the received bytes
 * @param start - where the status line starts
 * @param limitEnd - the head's final LF must lie before this index (chunk end or head size limit)
 * @param maxCount - the most header fields accepted
 * @param strict - accept only CRLF line ends
 * @returns the head, or null when the full parser must decide
 */
export function parseHeadInChunk(bytes: Uint8Array, start: number, limitEnd: number, maxCount: number, strict = false): FastHead | null {
  // "HTTP/1.x SP ddd"
  let p = start;
  if (limitEnd - p < 13) return null;
  if (
    bytes[p] !== 0x48 ||
    bytes[p + 1] !== 0x54 ||
    bytes[p + 2] !== 0x54 ||
    bytes[p + 3] !== 0x50 ||
    bytes[p + 4] !== 0x2f ||
    bytes[p + 5] !== 0x31 ||
    bytes[p + 6] !== 0x2e ||
    bytes[p + 8] !== SP
  )
    return null;
  const minor = (bytes[p + 7] as number) - 0x30;
  const d1 = (bytes[p + 9] as number) - 0x30;
  const d2 = (bytes[p + 10] as number) - 0x30;
  const d3 = (bytes[p + 11] as number) - 0x30;
  if ((minor !== 0 && minor !== 1) || d1 < 1 || d1 > 9 || d2 < 0 || d2 > 9 || d3 < 0 || d3 > 9) return null;
  p += 12;
  let reasonStart = p;
  let c = bytes[p] as number;
  if (c === SP) {
    reasonStart = ++p;
    while (p < limitEnd && isValueChar(bytes[p] as number)) p++;
  }
  const reasonEnd = p;
  p = lineEnd(bytes, p, limitEnd, strict);
  if (p < 0) return null;

  let count = 0;
  for (;;) {
    if (p >= limitEnd) return null;
    c = bytes[p] as number;
    if (c === LF || c === CR) {
      p = lineEnd(bytes, p, limitEnd, strict);
      if (p < 0) return null;
      break;
    }
    if (count >= maxCount) return null;
    const nameStart = p;
    while (p < limitEnd && TOKEN_BYTES[bytes[p] as number] === 1) p++;
    if (p === nameStart || p >= limitEnd || bytes[p] !== COLON) return null;
    const colon = p++;
    while (p < limitEnd && ((c = bytes[p] as number) === SP || c === HTAB)) p++;
    const valueStart = p;
    while (p < limitEnd && isValueChar(bytes[p] as number)) p++;
    let valueEnd = p;
    while (valueEnd > valueStart && ((c = bytes[valueEnd - 1] as number) === SP || c === HTAB)) valueEnd--;
    const next = lineEnd(bytes, p, limitEnd, strict);
    if (next < 0) return null;
    p = next;
    const m = count * 4;
    if (m + 4 > marks.length) {
      const grown = new Int32Array(marks.length * 2);
      grown.set(marks);
      marks = grown;
    }
    marks[m] = nameStart;
    marks[m + 1] = colon;
    marks[m + 2] = valueStart;
    marks[m + 3] = valueEnd;
    count++;
  }

  const text = latin1(bytes, start, p);
  const headers: HeaderField[] = new Array<HeaderField>(count);
  for (let i = 0; i < count; i++) {
    const m = i * 4;
    headers[i] = {
      name: text.slice((marks[m] as number) - start, (marks[m + 1] as number) - start),
      value: text.slice((marks[m + 2] as number) - start, (marks[m + 3] as number) - start),
    };
  }
  const reason = reasonEnd === reasonStart ? "" : text.slice(reasonStart - start, reasonEnd - start);
  return { status: { versionMinor: minor, statusCode: d1 * 100 + d2 * 10 + d3, reason }, headers, end: p };
}

/** HTAB, SP, VCHAR or obs-text: a byte allowed in a field value or reason phrase. */
function isValueChar(c: number): boolean {
  return c < 0x20 ? c === HTAB : c !== 0x7f;
}

/** With `p` at a line end (CRLF, or LF unless strict): the index after it; -1 for anything else or when incomplete. */
function lineEnd(bytes: Uint8Array, p: number, limitEnd: number, strict: boolean): number {
  if (p >= limitEnd) return -1;
  const c = bytes[p];
  if (c === LF) return strict ? -1 : p + 1;
  if (c === CR && p + 1 < limitEnd && bytes[p + 1] === LF) return p + 2;
  return -1;
}
