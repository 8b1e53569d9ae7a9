/**
 * Parsing one `Set-Cookie` field value into a name, a value and its attributes (RFC 6265bis §5.6).
 * Storage rules (domain, path, prefixes, replacement) are the jar's; this is only the syntax.
 *
 * @module
 */
import { parseCookieDate } from "./cookie-date.ts";

/** The `SameSite` attribute: `default` when absent or not one of the three known values. */
export type SameSite = "strict" | "lax" | "none" | "default";

/** One `Set-Cookie` field value, parsed. Attributes absent from the field are `undefined`. */
export interface SetCookie {
  /** The cookie name (may be empty: `Set-Cookie: value` sets a nameless cookie). */
  readonly name: string;
  /** The cookie value, as sent. */
  readonly value: string;
  /** `Expires`, in milliseconds since the epoch, when present and a valid date. */
  readonly expires?: number;
  /** `Max-Age` in seconds (0 or less means "expire now"), when present and numeric. */
  readonly maxAge?: number;
  /** `Domain`, lower-cased, with one leading dot removed. */
  readonly domain?: string;
  /** `Path`, when present and starting with `/`. */
  readonly path?: string;
  /** `Secure` was present. */
  readonly secure: boolean;
  /** `HttpOnly` was present. */
  readonly httpOnly: boolean;
  /** `SameSite`, lower-cased; `default` when absent or unknown. */
  readonly sameSite: SameSite;
}

/** The longest name plus value accepted (RFC 6265bis §5.6, step 4). */
export const MAX_COOKIE_NAME_VALUE_BYTES = 4096;
/** The longest `Domain` or `Path` attribute value accepted (RFC 6265bis §5.6). */
export const MAX_COOKIE_ATTRIBUTE_BYTES = 1024;

/** True when `text` has a control character other than HTAB (the whole field is then ignored). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c <= 0x1f && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

const trimWsp = (s: string): string => s.replace(/^[ \t]+|[ \t]+$/g, "");
const byteLength = (s: string): number => Buffer.byteLength(s, "utf8");

/** The outcome of {@link parseSetCookie}. */
export type SetCookieParse =
  | {
      /** The field was read. */
      readonly ok: true;
      /** The cookie it sets. */
      readonly cookie: SetCookie;
    }
  | {
      /** The whole field is ignored. */
      readonly ok: false;
      /** Why. */
      readonly reason: string;
    };

/**
 * Parses a `Set-Cookie` field value.
 *
 * @param line - The field value (without `Set-Cookie:`).
 * @returns The cookie, or a reason why the whole field is ignored.
 */
export function parseSetCookie(line: string): SetCookieParse {
  if (hasControl(line)) return { ok: false, reason: "a control character in the field" };
  const semicolon = line.indexOf(";");
  const pair = semicolon < 0 ? line : line.slice(0, semicolon);
  const equals = pair.indexOf("=");
  const name = equals < 0 ? "" : trimWsp(pair.slice(0, equals));
  const value = trimWsp(equals < 0 ? pair : pair.slice(equals + 1));
  if (name === "" && value === "") return { ok: false, reason: "no name and no value" };
  if (byteLength(name) + byteLength(value) > MAX_COOKIE_NAME_VALUE_BYTES) {
    return { ok: false, reason: `name and value longer than ${MAX_COOKIE_NAME_VALUE_BYTES} bytes` };
  }
  const cookie: { -readonly [K in keyof SetCookie]: SetCookie[K] } = { name, value, secure: false, httpOnly: false, sameSite: "default" };
  if (semicolon >= 0) {
    for (const raw of line.slice(semicolon + 1).split(";")) {
      const eq = raw.indexOf("=");
      const attribute = trimWsp(eq < 0 ? raw : raw.slice(0, eq)).toLowerCase();
      const attributeValue = eq < 0 ? "" : trimWsp(raw.slice(eq + 1));
      if (byteLength(attributeValue) > MAX_COOKIE_ATTRIBUTE_BYTES) continue;
      // The last occurrence of an attribute wins; an invalid one is ignored (an earlier valid one stays).
      switch (attribute) {
        case "expires": {
          const when = parseCookieDate(attributeValue);
          if (when !== null) cookie.expires = when;
          break;
        }
        case "max-age": {
          if (!/^-?\d+$/.test(attributeValue)) break;
          const seconds = Number(attributeValue);
          cookie.maxAge = Number.isSafeInteger(seconds) ? seconds : seconds < 0 ? -1 : Number.MAX_SAFE_INTEGER;
          break;
        }
        case "domain":
          if (attributeValue !== "") cookie.domain = attributeValue.replace(/^\./, "").toLowerCase();
          break;
        case "path":
          if (attributeValue.startsWith("/")) cookie.path = attributeValue;
          else delete cookie.path; // an empty or relative Path means the default path
          break;
        case "secure":
          cookie.secure = true;
          break;
        case "httponly":
          cookie.httpOnly = true;
          break;
        case "samesite": {
          const v = attributeValue.toLowerCase();
          cookie.sameSite = v === "strict" || v === "lax" || v === "none" ? v : "default";
          break;
        }
        default:
          break; // unknown attributes are ignored
      }
    }
  }
  return { ok: true, cookie };
}
