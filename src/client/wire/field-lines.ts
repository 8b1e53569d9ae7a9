import type { HeaderField } from "./response-events.ts";
import { TOKEN_PATTERN } from "./token.ts";
import { responseFailure, type ResponseFailure } from "./wire-failure.ts";

/** Control characters other than HTAB (the CR/LF/NUL cases are reported before this is tried). */
const INVALID_VALUE_CHAR = /[\x00-\x08\x0A-\x1F\x7F]/;
/** Control characters other than HTAB, LF and CR. */
const OTHER_CONTROL = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]/;

/** Which section lines belong to, and the rules they are read by. */
export interface SectionRules {
  /** `"header"` (the response head) or `"trailer"` (a chunked body's trailer section); used in reasons. */
  readonly kind: "header" | "trailer";
  /** The most fields accepted. */
  readonly maxCount: number;
  /** Refuse a line ended by a bare LF (RFC 9112 §2.2 lets a recipient accept it; strict parsers do not). */
  readonly strict: boolean;
}

/** How a section is named in reasons. */
export function sectionName(kind: "header" | "trailer"): string {
  return kind === "header" ? "response head" : "trailer section";
}

/**
 * True when `text` holds no control character other than HTAB, LF and the CR of a CRLF: then the
 * per-line checks for NUL, bare CR and control characters in values can be skipped (`clean`
 * arguments below); the result is the same, only faster.
 */
export function isCleanSection(text: string): boolean {
  return !OTHER_CONTROL.test(text) && !hasBareCr(text, 0, text.length);
}

/** True when some CR in `text[from, to)` is not immediately followed by LF. */
function hasBareCr(text: string, from: number, to: number): boolean {
  let cr = text.indexOf("\r", from);
  while (cr !== -1 && cr < to) {
    if (text.charCodeAt(cr + 1) !== 0x0a) return true;
    cr = text.indexOf("\r", cr + 2);
  }
  return false;
}

/**
 * Checks the bytes of one line `text[pos, lf]` (its LF at `lf`) that are errors anywhere: NUL, a
 * bare CR (RFC 9112 §2.2) and, in strict mode, a bare LF ending the line.
 *
 * @param clean - the section passed {@link isCleanSection} (only the bare-LF check is left)
 * @returns the failure, or `undefined`
 */
export function checkLineBytes(text: string, pos: number, lf: number, rules: SectionRules, clean: boolean): ResponseFailure | undefined {
  const what = sectionName(rules.kind);
  if (!clean) {
    const nul = text.indexOf("\0", pos);
    if (nul !== -1 && nul < lf) return responseFailure(`NUL byte in the ${what}`);
    if (hasBareCr(text, pos, lf)) return responseFailure(`bare CR (not followed by LF) in the ${what}`);
  }
  if (rules.strict && (lf === pos || text.charCodeAt(lf - 1) !== 0x0d)) {
    return responseFailure(`bare LF (not preceded by CR) in the ${what}; refused in strict mode`);
  }
  return undefined;
}

/**
 * Reads one field line `text[pos, lf]` (RFC 9112 §5; its LF at `lf`, not an empty line), after
 * {@link checkLineBytes}: `name ":" OWS value OWS`, or an obs-fold continuation (a line starting
 * with SP or HTAB after a field), which is unfolded as RFC 9112 §5.2 requires of a user agent: the
 * line break and the leading whitespace become one SP in the previous field's value.
 *
 * @param count - fields read so far in this section
 * @param out - receives the field (or the unfolded value); null to check only
 * @returns the failure, `"field"` for a new field, or `"fold"` for a continuation
 */
export function readFieldLine(
  text: string,
  pos: number,
  lf: number,
  rules: SectionRules,
  count: number,
  out: HeaderField[] | null,
  clean: boolean,
): ResponseFailure | "field" | "fold" {
  const kind = rules.kind;
  let lineEnd = lf;
  if (lineEnd > pos && text.charCodeAt(lineEnd - 1) === 0x0d) lineEnd--;
  const first = text.charCodeAt(pos);
  if (first === 0x20 || first === 0x09) {
    if (count === 0) return responseFailure(`a ${kind} line starting with whitespace before any ${kind} field`);
    const more = trimmed(text, pos, lineEnd);
    if (!clean && INVALID_VALUE_CHAR.test(more)) return responseFailure(`control character in a folded ${kind} field value`);
    if (out !== null && more !== "") {
      const last = out[out.length - 1] as HeaderField;
      out[out.length - 1] = { name: last.name, value: last.value === "" ? more : `${last.value} ${more}` };
    }
    return "fold";
  }
  if (count >= rules.maxCount) return responseFailure(`more than ${rules.maxCount} ${kind} fields`, "too-large");
  const colon = text.indexOf(":", pos);
  if (colon === -1 || colon >= lineEnd) return responseFailure(`${kind} line without a colon`);
  const name = text.slice(pos, colon);
  if (!TOKEN_PATTERN.test(name)) {
    if (name.length === 0) return responseFailure(`empty ${kind} field name`);
    const last = name.charCodeAt(name.length - 1);
    if (last === 0x20 || last === 0x09) return responseFailure(`whitespace between a ${kind} field name and the colon`);
    return responseFailure(`invalid character in ${kind} field name`);
  }
  const value = trimmed(text, colon + 1, lineEnd);
  if (!clean && INVALID_VALUE_CHAR.test(value)) return responseFailure(`control character in the value of ${kind} field ${name}`);
  out?.push({ name, value });
  return "field";
}

/** `text[from, to)` without leading and trailing SP and HTAB. */
function trimmed(text: string, from: number, to: number): string {
  let vs = from;
  let ve = to;
  while (vs < ve) {
    const c = text.charCodeAt(vs);
    if (c !== 0x20 && c !== 0x09) break;
    vs++;
  }
  while (ve > vs) {
    const c = text.charCodeAt(ve - 1);
    if (c !== 0x20 && c !== 0x09) break;
    ve--;
  }
  return text.slice(vs, ve);
}

/**
 * Parses the field lines of a complete section from `text[from]` up to its empty line (`CRLF`,
 * or a bare `LF` unless strict), appending the fields to `out`, line by line in order, so the
 * first faulty line gives the reason (the same line {@link checkFieldLines} reports while the
 * section is still arriving).
 *
 * @param clean - the text passed {@link isCleanSection}
 * @returns the failure, or `undefined` when every line was accepted
 */
export function parseFieldLines(
  text: string,
  from: number,
  rules: SectionRules,
  out: HeaderField[],
  clean = false,
): ResponseFailure | undefined {
  let pos = from;
  let count = 0;
  for (;;) {
    const lf = text.indexOf("\n", pos);
    if (lf === -1) return responseFailure(`unterminated ${rules.kind} section`);
    const bad = checkLineBytes(text, pos, lf, rules, clean);
    if (bad !== undefined) return bad;
    if (lf === pos || (lf === pos + 1 && text.charCodeAt(pos) === 0x0d)) return undefined;
    const read = readFieldLine(text, pos, lf, rules, count, out, clean);
    if (typeof read === "object") return read;
    if (read === "field") count++;
    pos = lf + 1;
  }
}

/** Where {@link checkFieldLines} stopped: the index after the last complete line checked, and the fields counted. */
export interface LinesChecked {
  /** Index just past the last LF checked. */
  readonly next: number;
  /** Fields in the section so far. */
  readonly count: number;
}

/**
 * Checks the complete field lines of a section that is still arriving, `text[from, to)` (`to`
 * just past an LF; no empty line in the range), by the rules of {@link parseFieldLines}, so that
 * an invalid line is reported as soon as it is complete.
 *
 * @param count - fields counted before `from`
 * @returns the failure, or where the check stopped
 */
export function checkFieldLines(
  text: string,
  from: number,
  to: number,
  rules: SectionRules,
  count: number,
): ResponseFailure | LinesChecked {
  let pos = from;
  let n = count;
  while (pos < to) {
    const lf = text.indexOf("\n", pos);
    if (lf === -1 || lf >= to) break;
    const bad = checkLineBytes(text, pos, lf, rules, false);
    if (bad !== undefined) return bad;
    const read = readFieldLine(text, pos, lf, rules, n, null, false);
    if (typeof read === "object") return read;
    if (read === "field") n++;
    pos = lf + 1;
  }
  return { next: pos, count: n };
}
