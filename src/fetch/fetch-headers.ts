/**
 * `HeadersInit` (a `Headers`, a record or name/value pairs) as the header lines an `HTTPRequest`
 * takes. Values are trimmed of leading and trailing spaces and tabs as Fetch does; names and
 * values are checked by the request writer (a CR, LF or NUL refuses the request).
 *
 * @module
 */
import type { FetchHeadersInit } from "./fetch-init.ts";

/**
 * Turns `init.headers` into `"Name: value"` lines.
 *
 * @param init - The headers as given, or undefined.
 * @returns The lines (a new array).
 * @throws TypeError for a pair that is not two strings.
 * @internal
 */
export function headerLines(init: FetchHeadersInit | undefined): string[] {
  const lines: string[] = [];
  if (init === undefined) return lines;
  if (init instanceof Headers) {
    init.forEach((value, name) => {
      lines.push(`${name}: ${value}`);
    });
    return lines;
  }
  if (Array.isArray(init) || Symbol.iterator in Object(init)) {
    for (const pair of init as Iterable<readonly string[]>) {
      const entry = Array.from(pair);
      if (entry.length !== 2) throw new TypeError("Headers constructor: expected name/value pair to be length 2");
      lines.push(`${String(entry[0])}: ${trimValue(String(entry[1]))}`);
    }
    return lines;
  }
  for (const [name, value] of Object.entries(init as Record<string, string | readonly string[]>)) {
    lines.push(`${name}: ${trimValue(typeof value === "string" ? value : Array.isArray(value) ? value.join(", ") : String(value))}`);
  }
  return lines;
}

/**
 * True when `lines` holds a header named `name` (lower case).
 *
 * @param lines - Header lines.
 * @param name - The lower-case name.
 * @returns Whether it is there.
 * @internal
 */
export function hasHeaderLine(lines: readonly string[], name: string): boolean {
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon === name.length && line.slice(0, colon).toLowerCase() === name) return true;
  }
  return false;
}

function trimValue(value: string): string {
  return value.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
}
