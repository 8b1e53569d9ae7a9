/**
 * `Cache-Control` directives (RFC 9111 §5.2), parsed from every `Cache-Control` line of a message.
 *
 * @module
 */

/** The directives of one message: lower-cased names; a value or `true` for a bare directive. */
export type CacheDirectives = ReadonlyMap<string, string | true>;

/**
 * Parses the `Cache-Control` lines of a message. Quoted values are unquoted; a directive given
 * twice keeps its first value (RFC 9111 §4.2.1 leaves duplicates to the cache; the first is safe
 * because an invalid later one cannot lengthen freshness).
 *
 * @param values - Every `Cache-Control` field value of the message.
 * @returns The directives.
 */
export function parseCacheControl(values: readonly string[]): CacheDirectives {
  const out = new Map<string, string | true>();
  for (const value of values) {
    let i = 0;
    while (i < value.length) {
      while (i < value.length && (value[i] === " " || value[i] === "\t" || value[i] === ",")) i++;
      let j = i;
      while (j < value.length && value[j] !== "=" && value[j] !== ",") j++;
      const name = value.slice(i, j).trim().toLowerCase();
      let directive: string | true = true;
      if (value[j] === "=") {
        j++;
        if (value[j] === '"') {
          let text = "";
          j++;
          while (j < value.length && value[j] !== '"') {
            if (value[j] === "\\" && j + 1 < value.length) j++;
            text += value[j];
            j++;
          }
          j++; // closing quote
          directive = text;
          while (j < value.length && value[j] !== ",") j++;
        } else {
          const start = j;
          while (j < value.length && value[j] !== ",") j++;
          directive = value.slice(start, j).trim();
        }
      }
      if (name !== "" && !out.has(name)) out.set(name, directive);
      i = j + 1;
    }
  }
  return out;
}

/**
 * A directive's value as delta-seconds (RFC 9111 §1.2.2): a non-negative integer; larger than
 * 2^31 is taken as 2^31.
 *
 * @param directives - Parsed directives.
 * @param name - The directive (`max-age`, `max-stale`, …).
 * @returns The seconds, or `undefined` when absent or not a number.
 */
export function deltaSeconds(directives: CacheDirectives, name: string): number | undefined {
  const value = directives.get(name);
  if (typeof value !== "string" || !/^\d+$/.test(value)) return undefined;
  return Math.min(Number(value), 2 ** 31);
}
