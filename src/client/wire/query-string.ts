/** One value of a query field: written with `String()` (booleans as `true`/`false`). */
export type QueryScalar = string | number | boolean | bigint;

/**
 * The value of one field for {@link queryStringFromDict}: a scalar, `null` (the key alone, no
 * `=`), or an array giving one `key=value` pair per element (a `null` element gives the key alone).
 */
export type QueryValue = QueryScalar | null | readonly (QueryScalar | null)[];

const encoder = new TextEncoder();
/** Characters `uri_encode` keeps as they are. */
const UNRESERVED = /^[A-Za-z0-9_.~-]*$/;
/** `%XX` (upper-case hex) for every byte, except the unreserved ones, which stand for themselves. */
const BYTE_TEXT: readonly string[] = Array.from({ length: 256 }, (_, b) => {
  const c = String.fromCharCode(b);
  return UNRESERVED.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
});

/**
 * Percent-encodes text like Godot's `String.uri_encode()`: `A–Z a–z 0–9 _ . - ~` are kept and
 * every other UTF-8 byte becomes `%XX` with upper-case hex (a space is `%20`, never `+`). A lone
 * surrogate is encoded as U+FFFD.
 */
export function uriEncode(text: string): string {
  if (UNRESERVED.test(text)) return text;
  let out = "";
  for (const b of encoder.encode(text)) out += BYTE_TEXT[b] as string;
  return out;
}

/**
 * Builds a URL query string (without the leading `?`) the way Godot's
 * `HTTPClient.query_string_from_dict()` does: fields in insertion order, keys and values
 * {@link uriEncode}d, an array as one `key=value` pair per element, `null` as the key alone, pairs
 * joined with `&`; an empty object gives `""`.
 *
 * @example
 * ```ts
 * queryStringFromDict({ "a b": "c&d", n: null, l: [1, 2] }); // "a%20b=c%26d&n&l=1&l=2"
 * ```
 */
export function queryStringFromDict(fields: Readonly<Record<string, QueryValue>>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    const k = uriEncode(key);
    if (Array.isArray(value)) {
      for (const element of value as readonly (QueryScalar | null)[]) parts.push(pair(k, element));
    } else {
      parts.push(pair(k, value as QueryScalar | null));
    }
  }
  return parts.join("&");
}

function pair(encodedKey: string, value: QueryScalar | null): string {
  return value === null ? encodedKey : `${encodedKey}=${uriEncode(String(value))}`;
}
