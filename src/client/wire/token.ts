/**
 * Matches an HTTP `token` (RFC 9110 §5.6.2): one or more of
 * ``! # $ % & ' * + - . ^ _ ` | ~``, digits and letters. Used for field names and methods.
 */
export const TOKEN_PATTERN: RegExp = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** 1 for each byte value that is a token character ({@link TOKEN_PATTERN}), 0 for the others. */
export const TOKEN_BYTES: Uint8Array = buildTokenBytes();

function buildTokenBytes(): Uint8Array {
  const table = new Uint8Array(256);
  for (let c = 0; c < 256; c++) table[c] = TOKEN_PATTERN.test(String.fromCharCode(c)) ? 1 : 0;
  return table;
}

/** Removes leading and trailing spaces and tabs only (`String.prototype.trim` would also eat U+00A0 and others). */
export function trimSpTab(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end) {
    const c = text.charCodeAt(start);
    if (c !== 0x20 && c !== 0x09) break;
    start++;
  }
  while (end > start) {
    const c = text.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0x09) break;
    end--;
  }
  return start === 0 && end === text.length ? text : text.slice(start, end);
}
