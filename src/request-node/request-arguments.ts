/**
 * What `HTTPRequest.request()` accepts for its headers and body, checked before anything starts,
 * so a wrong type is refused with a reason (`ERR_INVALID_PARAMETER`) instead of throwing.
 *
 * @module
 */
import type { BodySource } from "../client/body-source.ts";

/**
 * Request headers as a record, the way `fetch` takes them: `{ "Content-Type": "application/json" }`.
 * A field that must be sent several times gets an array of values, one header line each, in order.
 * Names keep their case and the record's order.
 */
export type HeaderRecord = Readonly<Record<string, string | readonly string[]>>;

/** Request headers: Godot's `"Name: value"` lines, or a {@link HeaderRecord}. */
export type RequestHeaders = readonly string[] | HeaderRecord;

/** The header lines, or (a string) why the headers were refused. */
export type HeaderLinesResult = readonly string[] | string;

const NO_LINES: readonly string[] = Object.freeze([]);

const EXPECTED_HEADERS = 'expected header lines ["Name: value"] or a record { Name: "value" }';

/**
 * Turns the headers given to `request()` into header lines. Lines are taken as they are (their
 * syntax is checked when the request head is built); a record becomes `Name: value` lines, an
 * array value one line per element.
 *
 * @param headers - What the caller passed (anything, from JavaScript).
 * @returns The lines (the array given, when it is one of strings), or a reason naming what was
 * wrong and what was expected.
 * @internal
 */
export function headerLinesOf(headers: unknown): HeaderLinesResult {
  if (headers === undefined || headers === null) return NO_LINES;
  if (Array.isArray(headers)) {
    for (let index = 0; index < headers.length; index++) {
      const line: unknown = headers[index];
      if (typeof line !== "string") return `customHeaders[${index}] is ${describe(line)}; ${EXPECTED_HEADERS}`;
    }
    return headers as readonly string[];
  }
  if (!isPlainObject(headers)) return `customHeaders is ${describe(headers)}; ${EXPECTED_HEADERS}`;
  const lines: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const values: readonly unknown[] = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (typeof item !== "string") return `header ${JSON.stringify(name)} is ${describe(item)}; expected a string or an array of strings`;
      lines.push(`${name}: ${item}`);
    }
  }
  return lines;
}

/**
 * Checks the body given to `requestRaw()` (a string has been encoded by then).
 *
 * @param body - What the caller passed.
 * @returns null when it is bytes or a {@link BodySource}; otherwise why it is refused.
 * @internal
 */
export function bodyRefusal(body: unknown): string | null {
  if (body instanceof Uint8Array || isBodySource(body)) return null;
  const hint = isPlainObject(body) ? ' (to send JSON: JSON.stringify(value) with a "Content-Type: application/json" header)' : "";
  return `body is ${describe(body)}; expected a string, a Uint8Array or a BodySource${hint}`;
}

/**
 * Checks the URL given to `request()`.
 *
 * @param url - What the caller passed.
 * @returns null for a string (parsed later); otherwise why it is refused.
 * @internal
 */
export function urlRefusal(url: unknown): string | null {
  return typeof url === "string" ? null : `url is ${describe(url)}; expected an http:// or https:// URL string`;
}

function isBodySource(value: unknown): value is BodySource {
  if (typeof value !== "object" || value === null) return false;
  const source = value as Partial<Record<keyof BodySource, unknown>>;
  return (
    typeof source.length === "number" &&
    typeof source.read === "function" &&
    typeof source.getError === "function" &&
    typeof source.close === "function"
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A few words for a value's type: `a number`, `null`, `a plain object`, `a Map`. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") {
    if (isPlainObject(value)) return "a plain object";
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === "string" && name !== "" ? article(name) : "an object";
  }
  return typeof value === "undefined" ? "undefined" : article(typeof value);
}

function article(word: string): string {
  return `${/^[aeiouAEIO]/.test(word) ? "an" : "a"} ${word}`; // "a URL", "an ArrayBuffer"
}
