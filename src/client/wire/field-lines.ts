import type { HeaderField } from "./response-events.ts";
import { TOKEN_PATTERN } from "./token.ts";

/** Control characters other than HTAB (the CR/LF/NUL cases are reported before this is tried). */
const INVALID_VALUE_CHAR = /[\x00-\x08\x0A-\x1F\x7F]/;
/** Control characters other than HTAB, LF and CR. */
const OTHER_CONTROL = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]/;

/**
 * True when `text` holds no control character other than HTAB, LF and the CR of a CRLF. When it
 * holds none, {@link checkSectionText} passes and value checks can be skipped (`clean` argument of
 * {@link parseFieldLines}); the result is the same, only faster.
 */
export function isCleanSection(text: string): boolean {
  return !OTHER_CONTROL.test(text) && !hasBareCr(text);
}

/** True when some CR in `text` is not immediately followed by LF. */
function hasBareCr(text: string): boolean {
  let cr = text.indexOf("\r");
  while (cr !== -1) {
    if (text.charCodeAt(cr + 1) !== 0x0a) return true;
    cr = text.indexOf("\r", cr + 2);
  }
  return false;
}

/**
 * Checks a whole decoded section (response head or trailer section) for bytes that are errors
 * anywhere in it: NUL, and a CR that is not immediately followed by LF (a bare CR, RFC 9112 §2.2).
 *
 * @param text - the section decoded as latin1, terminator included
 * @param what - how the section is named in the reason, e.g. `"response head"`
 * @returns the reason for rejecting the section, or `undefined` when neither is present
 */
export function checkSectionText(text: string, what: string): string | undefined {
  if (text.indexOf("\0") !== -1) return `NUL byte in the ${what}`;
  if (hasBareCr(text)) return `bare CR (not followed by LF) in the ${what}`;
  return undefined;
}

/**
 * Parses field lines (`name ":" OWS value OWS`, RFC 9112 §5) from `text` starting at `from`, up to
 * the first empty line, appending them to `out`.
 *
 * The text must already have passed {@link checkSectionText} and must contain an empty line
 * (`CRLF` or bare `LF`) at or after `from`. Rejected: obs-fold (a line starting with SP or HTAB),
 * a line without a colon, a name that is not a token (whitespace before the colon included),
 * control characters other than HTAB in a value, and more than `maxCount` fields.
 *
 * @param kind - `"header"` or `"trailer"`, used in reasons
 * @param clean - the text passed {@link isCleanSection}, so values need no control-character check
 * @returns the reason for rejecting the section, or `undefined` when every line was accepted
 */
export function parseFieldLines(
  text: string,
  from: number,
  maxCount: number,
  kind: "header" | "trailer",
  out: HeaderField[],
  clean = false,
): string | undefined {
  let pos = from;
  for (;;) {
    const lf = text.indexOf("\n", pos);
    if (lf === -1) return `unterminated ${kind} section`;
    let lineEnd = lf;
    if (lineEnd > pos && text.charCodeAt(lineEnd - 1) === 0x0d) lineEnd--;
    if (lineEnd === pos) return undefined;
    if (out.length >= maxCount) return `more than ${maxCount} ${kind} fields`;
    const first = text.charCodeAt(pos);
    if (first === 0x20 || first === 0x09) {
      return `obs-fold (a ${kind} line starting with whitespace) is not accepted`;
    }
    const colon = text.indexOf(":", pos);
    if (colon === -1 || colon >= lineEnd) return `${kind} line without a colon`;
    const name = text.slice(pos, colon);
    if (!TOKEN_PATTERN.test(name)) {
      if (name.length === 0) return `empty ${kind} field name`;
      const last = name.charCodeAt(name.length - 1);
      if (last === 0x20 || last === 0x09) return `whitespace between a ${kind} field name and the colon`;
      return `invalid character in ${kind} field name`;
    }
    let vs = colon + 1;
    let ve = lineEnd;
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
    const value = text.slice(vs, ve);
    if (!clean && INVALID_VALUE_CHAR.test(value)) return `control character in the value of ${kind} field ${name}`;
    out.push({ name, value });
    pos = lf + 1;
  }
}
