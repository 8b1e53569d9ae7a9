import type { HeaderField } from "./response-events.ts";
import { trimSpTab } from "./token.ts";

/**
 * Turns parsed fields into Godot-style header lines, `"Name: value"`, in order, duplicates kept:
 * `[{ name: "Content-Type", value: "text/plain" }]` gives `["Content-Type: text/plain"]`.
 */
export function headerFieldsToLines(fields: readonly HeaderField[]): string[] {
  const lines: string[] = new Array<string>(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as HeaderField;
    lines[i] = `${f.name}: ${f.value}`;
  }
  return lines;
}

/**
 * Groups header lines by name. Keys are lower-cased names; a name that occurs once maps to its
 * value, a repeated name (e.g. `Set-Cookie`) to all its values in arrival order. Values are
 * trimmed of spaces and tabs; lines without a colon are skipped. Unlike Godot's
 * `get_response_headers_as_dictionary()`, nothing is lost to a later duplicate or to case.
 *
 * @example
 * ```ts
 * headersToDictionary(["Set-Cookie: a=1", "set-cookie: b=2", "Server: x"]);
 * // { "set-cookie": ["a=1", "b=2"], server: "x" }
 * ```
 */
export function headersToDictionary(lines: readonly string[]): Record<string, string | string[]> {
  const out = Object.create(null) as Record<string, string | string[]>;
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon === -1) continue;
    const key = trimSpTab(line.slice(0, colon)).toLowerCase();
    const value = trimSpTab(line.slice(colon + 1));
    const had = out[key];
    if (had === undefined) out[key] = value;
    else if (typeof had === "string") out[key] = [had, value];
    else had.push(value);
  }
  return out;
}

/**
 * The value of the first header line whose name equals `name` (case-insensitive), trimmed, or
 * `undefined` when there is none.
 */
export function getHeaderValue(lines: readonly string[], name: string): string | undefined {
  return lines.length === 0 ? undefined : fieldValue(lines, name.toLowerCase());
}

/** What {@link getHeaderValues} returns when no line has the name: one array for every such call. */
const NO_VALUES: readonly string[] = Object.freeze([]);

/** The values of every header line whose name equals `name` (case-insensitive), in order. */
export function getHeaderValues(lines: readonly string[], name: string): readonly string[] {
  return lines.length === 0 ? NO_VALUES : fieldValues(lines, name.toLowerCase());
}

/**
 * True when a header line's name equals `name`, ignoring case. The whole name must match: unlike
 * Godot's prefix test, `hasHeader(["Content-Length-X: 1"], "Content-Length")` is false.
 */
export function hasHeader(lines: readonly string[], name: string): boolean {
  return lines.length !== 0 && fieldValue(lines, name.toLowerCase()) !== undefined;
}

/**
 * {@link getHeaderValue} for a name already in lower case (the library's own lookups, whose names
 * are lower-case literals: nothing to lower-case again).
 *
 * @internal
 */
export function fieldValue(lines: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < lines.length; i++) {
    const value = valueIfNamed(lines[i] as string, lowerName);
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * {@link getHeaderValues} for a name already in lower case.
 *
 * @internal
 */
export function fieldValues(lines: readonly string[], lowerName: string): readonly string[] {
  let values: string[] | null = null;
  for (let i = 0; i < lines.length; i++) {
    const value = valueIfNamed(lines[i] as string, lowerName);
    if (value !== undefined) (values ??= []).push(value);
  }
  return values ?? NO_VALUES;
}

/**
 * {@link hasHeader} for a name already in lower case.
 *
 * @internal
 */
export function hasField(lines: readonly string[], lowerName: string): boolean {
  return fieldValue(lines, lowerName) !== undefined;
}

/** The trimmed value of `line` when its trimmed, lower-cased name is `wanted`. */
function valueIfNamed(line: string, wanted: string): string | undefined {
  const colon = line.indexOf(":");
  if (colon === -1 || !nameIs(line, colon, wanted)) return undefined;
  return trimSpTab(line.slice(colon + 1));
}

/**
 * Whether `line`'s name (before `colon`, SP and TAB trimmed), lower-cased, is `wanted` (lower
 * case), compared in place: every request and response looks several names up, and a slice and a
 * lower-cased copy per line and lookup added up. A name with a character outside ASCII takes
 * `toLowerCase()`'s own rules, as before.
 */
function nameIs(line: string, colon: number, wanted: string): boolean {
  let start = 0;
  let end = colon;
  while (start < end && (line.charCodeAt(start) === 0x20 || line.charCodeAt(start) === 0x09)) start++;
  while (end > start && (line.charCodeAt(end - 1) === 0x20 || line.charCodeAt(end - 1) === 0x09)) end--;
  // toLowerCase() maps an ASCII character to one ASCII character, and any character to at least
  // one: after an ASCII prefix, the first character that differs from `wanted`, or a name longer
  // than `wanted`, decides "no" without looking further.
  const length = end - start;
  for (let i = 0; i < length; i++) {
    let c = line.charCodeAt(start + i);
    if (c > 0x7f) return trimSpTab(line.slice(0, colon)).toLowerCase() === wanted;
    if (i === wanted.length) return false;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== wanted.charCodeAt(i)) return false;
  }
  return length === wanted.length;
}

/**
 * True when two lists of header lines are the same, line for line and in order.
 *
 * @param a - Lines.
 * @param b - Lines.
 * @returns Whether they are equal.
 */
export function sameLines(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
