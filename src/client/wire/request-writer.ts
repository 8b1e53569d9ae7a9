import { VERSION } from "../../status/version.ts";
import { validateRequestTarget } from "./request-target.ts";
import { TOKEN_PATTERN, trimSpTab } from "./token.ts";
import { requestFailure, type RequestErrorCode, type RequestFailure } from "./wire-failure.ts";

export { validateRequestTarget };

/** What {@link writeRequestHead} needs to write a request head. */
export interface RequestHeadOptions {
  /** The request verb, e.g. `"GET"`; must be a token (case kept). */
  readonly method: string;
  /** The request target, e.g. `"/path?q=1"` (see {@link validateRequestTarget}). */
  readonly target: string;
  /** The server's host name or IP literal, for the automatic `Host` header (IPv6 gets brackets). */
  readonly host: string;
  /** The server's port, 1–65535; written in `Host` unless it is the scheme's default. */
  readonly port: number;
  /** True for HTTPS (default port 443), false for HTTP (default port 80). */
  readonly tls: boolean;
  /** User headers as `"Name: value"` lines, written first and in order. */
  readonly headers: readonly string[];
  /** The body size in bytes, or -1 when the caller frames the body itself (no `Content-Length` is added). */
  readonly bodyLength: number;
  /**
   * True when the body follows in chunked transfer coding: `Transfer-Encoding: chunked` is added
   * and `bodyLength` must be -1. Default false.
   */
  readonly chunked?: boolean;
}

/** The outcome of {@link writeRequestHead}: the bytes to send, or why nothing may be sent. */
export type RequestHeadResult =
  /** The complete head, ending with the empty line. */
  | {
      /** Success. */
      readonly ok: true;
      /** The head, UTF-8 encoded, ending with the empty line. */
      readonly bytes: Uint8Array;
    }
  /** The request was refused: a typed failure, the caller at fault. */
  | ({
      /** Refused: nothing may be sent. */
      readonly ok: false;
    } & RequestFailure);

/** The default `User-Agent` header value. */
export const DEFAULT_USER_AGENT: string = `poll-http/${VERSION}`;

/** Verbs whose empty body is announced with `Content-Length: 0`. */
const BODY_VERBS = new Set(["POST", "PUT", "PATCH"]);
/** Control characters other than HTAB, in a header value. */
const INVALID_VALUE_CHAR = /[\x00-\x08\x0A-\x1F\x7F]/;

/**
 * Builds an HTTP/1.1 request head: `<VERB> <target> HTTP/1.1`, then `Host` first (RFC 9110 §7.2:
 * the user's, or an automatic one: IPv6 in brackets, `:port` unless 80 without TLS / 443 with
 * TLS), the other user headers in order (normalised to `Name: value`, value trimmed of spaces and
 * tabs), then each automatic header the user did not give (names compared case-insensitively):
 * `Content-Length` (when `bodyLength` > 0, or 0 for an empty POST, PUT or PATCH) or, with
 * `chunked`, `Transfer-Encoding: chunked`, `User-Agent: poll-http/<version>` and `Accept` for any
 * media type; then the empty line. Text is encoded as UTF-8.
 *
 * The client owns message framing, so a caller's `Transfer-Encoding` is refused, and so is a
 * caller's `Content-Length` that differs from `bodyLength` (≥ 0) or comes with a chunked body
 * (code `framing-header`): a string body holding `0\r\n\r\nGET /smuggled …` can never become a
 * second request on the wire.
 *
 * Also refused (nothing is produced; a typed failure, the caller at fault): a method that is not
 * a token; a target rejected by {@link validateRequestTarget}; a host that is empty or holds
 * whitespace or control characters; a port outside 1–65535; a header without a token name before
 * its colon, or whose value holds CR, LF, NUL or another control character (HTAB allowed); more
 * than one `Host` or `Content-Length`; a `bodyLength` that is not an integer ≥ -1; `chunked` with
 * a `bodyLength` other than -1.
 */
export function writeRequestHead(options: RequestHeadOptions): RequestHeadResult {
  const head = buildHead(options, true);
  // Buffer.from is several times faster than TextEncoder for short ASCII text; same UTF-8 bytes.
  return typeof head === "string" ? { ok: true, bytes: Buffer.from(head, "utf8") } : head;
}

/**
 * Checks a request head as {@link writeRequestHead} would, without building it: the same refusals,
 * for a caller that validates a request before it is sent (the client writes the head then).
 *
 * @param options - As for {@link writeRequestHead}.
 * @returns null when the head would be written, or the typed failure it would be refused with.
 */
export function validateRequestHead(options: RequestHeadOptions): RequestFailure | null {
  const head = buildHead(options, false);
  if (typeof head === "string") return null;
  const { ok: _ok, ...failure } = head;
  return failure;
}

/** The head's text (empty unless `write`), or the refusal. */
function buildHead(options: RequestHeadOptions, write: boolean): string | Extract<RequestHeadResult, { ok: false }> {
  const { method, target, host, port, tls, headers, bodyLength } = options;
  const chunked = options.chunked === true;
  if (!TOKEN_PATTERN.test(method)) return refuse("invalid-method", `the method "${printable(method)}" is not a valid token`);
  const targetError = validateRequestTarget(method, target);
  if (targetError !== null) return { ok: false, ...targetError };
  if (host.length === 0) return refuse("invalid-host", "the host is empty");
  if (/[\x00-\x20\x7F]/.test(host)) return refuse("invalid-host", "the host contains whitespace or a control character (CR, LF, NUL…)");
  if (!Number.isInteger(port) || port < 1 || port > 65535) return refuse("invalid-port", `invalid port ${port}`);
  if (!Number.isSafeInteger(bodyLength) || bodyLength < -1) return refuse("invalid-body-length", `invalid body length ${bodyLength}`);
  if (chunked && bodyLength !== -1) return refuse("invalid-body-length", `a chunked body needs bodyLength -1, got ${bodyLength}`);

  let hostLine = "";
  let text = "";
  let userContentLength: string | undefined;
  let hasUserAgent = false;
  let hasAccept = false;
  for (let i = 0; i < headers.length; i++) {
    const line = trimSpTab(headers[i] ?? "");
    const colon = line.indexOf(":");
    if (colon === -1) return refuse("invalid-header", `header ${i} has no colon`);
    const name = line.slice(0, colon);
    if (!TOKEN_PATTERN.test(name)) return refuse("invalid-header", `header ${i} does not start with a valid field name and a colon`);
    const value = trimSpTab(line.slice(colon + 1));
    if (INVALID_VALUE_CHAR.test(value)) {
      return refuse("invalid-header", `header ${i} (${name}) contains a control character (CR, LF, NUL…) in its value`);
    }
    switch (name.toLowerCase()) {
      case "host":
        if (hostLine !== "") return refuse("invalid-header", "more than one Host header");
        hostLine = `${name}: ${value}\r\n`;
        continue;
      case "content-length":
        if (userContentLength !== undefined) return refuse("invalid-header", "more than one Content-Length header");
        userContentLength = value;
        break;
      case "transfer-encoding":
        return refuse(
          "framing-header",
          "a Transfer-Encoding header may not be given: the client frames the body itself (Content-Length, or chunked for a streamed body of unknown length)",
        );
      case "user-agent":
        hasUserAgent = true;
        break;
      case "accept":
        hasAccept = true;
        break;
    }
    if (write) text += `${name}: ${value}\r\n`;
  }
  if (userContentLength !== undefined) {
    if (chunked) return refuse("framing-header", "a Content-Length header with a body of unknown length (sent chunked)");
    if (bodyLength >= 0 && userContentLength !== String(bodyLength)) {
      return refuse("framing-header", `the Content-Length header (${userContentLength}) does not match the body length (${bodyLength})`);
    }
  }

  if (!write) return "";
  if (hostLine === "") {
    const name = host.includes(":") && host.charCodeAt(0) !== 0x5b ? `[${host}]` : host;
    const defaultPort = tls ? 443 : 80;
    hostLine = port === defaultPort ? `Host: ${name}\r\n` : `Host: ${name}:${port}\r\n`;
  }
  text = `${method} ${target} HTTP/1.1\r\n${hostLine}${text}`;
  if (userContentLength === undefined) {
    if (chunked) text += "Transfer-Encoding: chunked\r\n";
    else if (bodyLength > 0 || (bodyLength === 0 && BODY_VERBS.has(method))) text += `Content-Length: ${bodyLength}\r\n`;
  }
  if (!hasUserAgent) text += `User-Agent: ${DEFAULT_USER_AGENT}\r\n`;
  if (!hasAccept) text += "Accept: */*\r\n";
  text += "\r\n";
  return text;
}

function refuse(code: RequestErrorCode, reason: string): Extract<RequestHeadResult, { ok: false }> {
  return { ok: false, ...requestFailure(code, reason) };
}

/** `text` with control characters shown as `\xNN`, for reasons. */
function printable(text: string): string {
  return text.replace(/[\x00-\x1F\x7F]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
