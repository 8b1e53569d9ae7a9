import type { BodyFraming, HeaderField, ResponseHead } from "./response-events.ts";
import type { StatusLine } from "./status-line.ts";
import { TOKEN_PATTERN, trimSpTab as trimOws } from "./token.ts";
import { responseFailure, type ResponseFailure } from "./wire-failure.ts";

/** What the parser knows about the request a response answers. */
export interface RequestContext {
  /** The request was HEAD: the response has no body whatever its headers say. */
  readonly headRequest: boolean;
  /** The request was CONNECT: a 2xx response turns the connection into a tunnel (no body). */
  readonly connectRequest: boolean;
  /** The request asked for a protocol upgrade (`Upgrade`): only then is a `101` accepted. */
  readonly upgradeRequested: boolean;
}

/** At most 15 decimal digits, so every accepted length is a safe integer. */
const MAX_CONTENT_LENGTH_DIGITS = 15;
const DIGITS = /^[0-9]+$/;
const NO_CODINGS: readonly string[] = Object.freeze([]);

/**
 * True for an interim (1xx) response after which the final response follows on the same
 * connection: every 1xx except 101 Switching Protocols.
 */
export function isInterimStatus(statusCode: number): boolean {
  return statusCode >= 100 && statusCode < 200 && statusCode !== 101;
}

/**
 * Validates the framing fields of a response head and decides how its body is delimited
 * (RFC 9112 §6.3), returning the complete {@link ResponseHead} or the failure.
 *
 * Always rejected (whatever the status): an invalid or conflicting `Content-Length`
 * (identical values, also as a comma list, collapse to one), `Content-Length` together with
 * `Transfer-Encoding`, `Transfer-Encoding` in an HTTP/1.0 response, an empty or malformed
 * `Transfer-Encoding`, `chunked` named more than once, and a `101 Switching Protocols` to a
 * request that asked for no upgrade.
 *
 * Framing, in order: interim 1xx, 101, a 2xx answer to CONNECT, a HEAD request, 204 and 304 have
 * no body (`contentLength` 0); then a `Transfer-Encoding` ending in `chunked` means chunked, and
 * one that does not (`chunked` not final, or absent) means the body runs to connection close
 * (RFC 9112 §6.3 rule 4), its codings listed in `transferCodings` for the reader to decode; then
 * `Content-Length` (`none` for 0); otherwise the body runs to connection close.
 */
export function buildResponseHead(
  status: StatusLine,
  headers: readonly HeaderField[],
  request: RequestContext,
): ResponseHead | ResponseFailure {
  let contentLength = -1;
  let hasContentLength = false;
  let hasTransferEncoding = false;
  let transferCodings: string[] | undefined;
  let connectionClose = false;
  let connectionKeepAlive = false;

  for (let i = 0; i < headers.length; i++) {
    const field = headers[i] as HeaderField;
    const n = field.name.length;
    if (n !== 10 && n !== 14 && n !== 17) continue;
    const name = field.name;
    if (equalsLowerCase(name, "content-length")) {
      hasContentLength = true;
      const whole = field.value;
      const value = decimalValue(whole);
      if (value >= 0) {
        if (contentLength !== -1 && value !== contentLength) {
          return responseFailure(`conflicting Content-Length values (${contentLength} and ${value})`);
        }
        contentLength = value;
        continue;
      }
      for (const part of whole.split(",")) {
        const digits = trimOws(part);
        if (!DIGITS.test(digits)) return responseFailure(`invalid Content-Length value "${field.value}"`);
        if (digits.length > MAX_CONTENT_LENGTH_DIGITS) {
          return responseFailure(`Content-Length value "${digits}" is too large (more than ${MAX_CONTENT_LENGTH_DIGITS} digits)`);
        }
        const value = Number(digits);
        if (contentLength !== -1 && value !== contentLength) {
          return responseFailure(`conflicting Content-Length values (${contentLength} and ${value})`);
        }
        contentLength = value;
      }
    } else if (equalsLowerCase(name, "transfer-encoding")) {
      hasTransferEncoding = true;
      transferCodings ??= [];
      for (const part of field.value.split(",")) {
        const element = trimOws(part);
        if (element.length === 0) continue;
        const semi = element.indexOf(";");
        const coding = (semi === -1 ? element : trimOws(element.slice(0, semi))).toLowerCase();
        if (!TOKEN_PATTERN.test(coding)) return responseFailure(`invalid transfer coding "${element}"`);
        transferCodings.push(coding);
      }
    } else if (equalsLowerCase(name, "connection")) {
      if (equalsLowerCase(field.value, "keep-alive")) {
        connectionKeepAlive = true;
        continue;
      }
      if (equalsLowerCase(field.value, "close")) {
        connectionClose = true;
        continue;
      }
      for (const part of field.value.toLowerCase().split(",")) {
        const option = trimOws(part);
        if (option === "close") connectionClose = true;
        else if (option === "keep-alive") connectionKeepAlive = true;
      }
    }
  }

  let chunked = false;
  let untilClose = false;
  let remaining: readonly string[] = NO_CODINGS;
  if (hasTransferEncoding) {
    if (hasContentLength) return responseFailure("Content-Length with Transfer-Encoding", "length-with-transfer-encoding");
    if (status.versionMinor === 0) return responseFailure("Transfer-Encoding in an HTTP/1.0 response");
    const codings = transferCodings ?? [];
    if (codings.length === 0) return responseFailure("empty Transfer-Encoding");
    const chunkedAt = codings.indexOf("chunked");
    if (chunkedAt !== -1 && codings.indexOf("chunked", chunkedAt + 1) !== -1) {
      return responseFailure(`Transfer-Encoding "${codings.join(", ")}" names chunked more than once`);
    }
    chunked = chunkedAt === codings.length - 1;
    untilClose = !chunked;
    const left = codings.filter((c, i) => c !== "identity" && !(chunked && i === chunkedAt));
    if (left.length > 0) remaining = left;
  }

  const code = status.statusCode;
  const interim = isInterimStatus(code);
  let framing: BodyFraming;
  let length: number;
  let tunnel = false;
  if (interim) {
    framing = "none";
    length = 0;
  } else if (code === 101 && !request.upgradeRequested) {
    return responseFailure("101 Switching Protocols, but the request asked for no upgrade", "unexpected-upgrade");
  } else if (code === 101 || (request.connectRequest && code >= 200 && code < 300)) {
    framing = "none";
    length = 0;
    tunnel = true;
  } else if (request.headRequest || code === 204 || code === 304) {
    framing = "none";
    length = 0;
  } else if (untilClose) {
    framing = "close";
    length = -1;
  } else if (chunked) {
    framing = "chunked";
    length = -1;
  } else if (hasContentLength) {
    framing = contentLength === 0 ? "none" : "length";
    length = contentLength;
  } else {
    framing = "close";
    length = -1;
  }

  let keepAlive: boolean;
  if (interim) keepAlive = true;
  else if (tunnel || framing === "close" || connectionClose) keepAlive = false;
  else keepAlive = status.versionMinor === 1 || connectionKeepAlive;

  return {
    versionMinor: status.versionMinor,
    statusCode: code,
    reason: status.reason,
    headers,
    framing,
    contentLength: length,
    chunked: chunked && framing === "chunked",
    transferCodings: framing === "none" ? NO_CODINGS : remaining,
    keepAlive,
  };
}

/**
 * True when `text` equals `lower` (which is all lower case ASCII) ignoring ASCII case. Only the
 * letters are folded, so e.g. `@` never matches a backquote.
 */
function equalsLowerCase(text: string, lower: string): boolean {
  if (text.length !== lower.length) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const l = lower.charCodeAt(i);
    if (c !== l && !(c >= 0x41 && c <= 0x5a && (c | 0x20) === l)) return false;
  }
  return true;
}

/** The value of `text` when it is 1–15 ASCII digits (no sign, no space), else -1. */
function decimalValue(text: string): number {
  const n = text.length;
  if (n === 0 || n > MAX_CONTENT_LENGTH_DIGITS) return -1;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}
