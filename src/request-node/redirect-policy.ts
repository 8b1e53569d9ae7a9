/**
 * Pure decisions for following a redirect (RFC 9110 §15.4, WHATWG Fetch "HTTP-redirect fetch"):
 * which statuses redirect, where to, with which method, body and headers.
 *
 * @module
 */

import { formatHostHeader, resolveReference, sameOrigin, type HttpUrl } from "../client/url.ts";

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Headers that describe a request body; dropped when a redirect turns the request into a GET. */
export const BODY_HEADER_NAMES: readonly string[] = [
  "content-length",
  "content-type",
  "content-encoding",
  "content-language",
  "content-location",
  "transfer-encoding",
];

/** Headers that carry credentials; dropped when a redirect changes the origin (scheme, host or port). */
export const CREDENTIAL_HEADER_NAMES: readonly string[] = ["authorization", "cookie", "proxy-authorization"];

/**
 * Whether a status code is a redirect this client follows: 301, 302, 303, 307 or 308. Not 300
 * (a choice for the user), 304 (a cache answer), 305 or 306 (deprecated / unused).
 *
 * @param code - The response status code.
 * @returns True for 301, 302, 303, 307 and 308.
 */
export function isRedirectStatus(code: number): boolean {
  return REDIRECT_STATUSES.has(code);
}

function headerName(line: string): string {
  const colon = line.indexOf(":");
  return (colon < 0 ? line : line.slice(0, colon)).trim().toLowerCase();
}

/**
 * Every `Location` value of a response, trimmed of surrounding spaces and tabs, in order. Only
 * fields whose name is exactly `Location` (any case) count: `Content-Location` is not `Location`
 * (Godot matched it by substring, W16). Empty values are skipped.
 *
 * @param headers - Response headers as `"Name: value"` lines.
 * @returns The values; usually none or one.
 */
export function findLocation(headers: readonly string[]): string[] {
  const values: string[] = [];
  for (const line of headers) {
    const colon = line.indexOf(":");
    if (colon < 0 || line.slice(0, colon).toLowerCase() !== "location") continue;
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (value !== "") values.push(value);
  }
  return values;
}

/** What {@link planRedirect} needs to know. */
export interface RedirectRequest {
  /** The response status code. */
  readonly statusCode: number;
  /** The request's method as sent on the wire, e.g. `POST`. Compared case-sensitively. */
  readonly method: string;
  /** The request body that was sent, if any. */
  readonly body: Uint8Array | undefined;
  /** The request headers that were sent by the user, as `"Name: value"` lines. */
  readonly headers: readonly string[];
  /** The URL the redirect response came from. */
  readonly from: HttpUrl;
  /**
   * The response's `Location`: a value, or every value as {@link findLocation} returns them
   * (several different values are refused), or undefined when there is none.
   */
  readonly location: string | readonly string[] | undefined;
  /** When true, a redirect from https to http is refused. Default false (curl, undici and browsers follow it). */
  readonly refuseDowngrade?: boolean;
}

/** The request to send next. */
export interface RedirectPlan {
  /** Always true. */
  readonly ok: true;
  /** The target URL. */
  readonly url: HttpUrl;
  /** The method to use: unchanged, or `GET` after 301/302 for POST and 303 for anything but GET/HEAD. */
  readonly method: string;
  /** The body to send again (307/308, or 301/302 for methods other than POST), or undefined. */
  readonly body: Uint8Array | undefined;
  /** The user headers to send, in their original order, minus those dropped. */
  readonly headers: string[];
  /** The headers dropped, as they were given (for logs and tests). */
  readonly droppedHeaders: string[];
  /** Whether the target has the origin (scheme, host, port) of `from`. */
  readonly sameOrigin: boolean;
}

/**
 * Why a redirect is not followed. `no-location`: the response has no (or an empty) `Location`, so
 * the 3xx is the final response. `not-redirect`: the status is not one {@link isRedirectStatus}
 * accepts. `invalid`: the `Location` cannot be followed (bad syntax, control characters, a scheme
 * other than http/https, conflicting values, a refused downgrade); the request fails.
 */
export interface RedirectRefusal {
  /** Always false. */
  readonly ok: false;
  /** The category, see above. */
  readonly kind: "no-location" | "not-redirect" | "invalid";
  /** A human-readable explanation. */
  readonly reason: string;
}

/**
 * Decides how to follow a redirect response:
 * - 301 and 302 turn POST into GET without a body; other methods are kept with their body.
 * - 303 turns every method but GET and HEAD into GET without a body.
 * - 307 and 308 keep method and body.
 * - When the method becomes GET, body headers are dropped ({@link BODY_HEADER_NAMES}).
 * - When the origin changes, credential headers are dropped ({@link CREDENTIAL_HEADER_NAMES}).
 * - When the `Host` value would change (host or port), a user `Host` header is dropped.
 * - `Location` is resolved against `from` per RFC 3986 and must be http or https. Its value is the
 *   received bytes (one character per byte, as header values are): a byte above 0x7F is
 *   percent-encoded as received (`/caf\xc3\xa9` is requested as `/caf%C3%A9`, as curl and undici do),
 *   never decoded as Latin-1 and encoded again as UTF-8.
 *
 * @param request - The request that was sent and the redirect response's status and `Location`.
 * @returns The next request, or why there is none.
 */
export function planRedirect(request: RedirectRequest): RedirectPlan | RedirectRefusal {
  const { statusCode, from } = request;
  if (!isRedirectStatus(statusCode)) {
    return { ok: false, kind: "not-redirect", reason: `status ${statusCode} is not a redirect this client follows` };
  }
  const values = (typeof request.location === "string" ? [request.location] : (request.location ?? []))
    .map((v) => v.replace(/^[ \t]+|[ \t]+$/g, ""))
    .filter((v) => v !== "");
  const location = values[0];
  if (location === undefined) {
    return { ok: false, kind: "no-location", reason: `redirect status ${statusCode} without a Location` };
  }
  if (values.some((v) => v !== location)) {
    return { ok: false, kind: "invalid", reason: `conflicting Location values: ${JSON.stringify(values)}` };
  }
  const resolved = resolveReference(from, encodeReceivedBytes(location));
  if (!resolved.ok) return { ok: false, kind: "invalid", reason: `cannot follow Location: ${resolved.reason}` };
  const url = resolved.url;
  if (request.refuseDowngrade === true && from.scheme === "https" && url.scheme === "http") {
    return { ok: false, kind: "invalid", reason: "redirect from https to http refused" };
  }

  let method = request.method;
  let body = request.body;
  const toGet =
    ((statusCode === 301 || statusCode === 302) && method === "POST") || (statusCode === 303 && method !== "GET" && method !== "HEAD");
  if (toGet) {
    method = "GET";
    body = undefined;
  }
  const same = sameOrigin(from, url);
  const hostChanged = formatHostHeader(from) !== formatHostHeader(url);
  const headers: string[] = [];
  const droppedHeaders: string[] = [];
  for (const line of request.headers) {
    const name = headerName(line);
    const drop =
      (toGet && BODY_HEADER_NAMES.includes(name)) || (!same && CREDENTIAL_HEADER_NAMES.includes(name)) || (hostChanged && name === "host");
    (drop ? droppedHeaders : headers).push(line);
  }
  return { ok: true, url, method, body, headers, droppedHeaders, sameOrigin: same };
}

/** `text` (one character per received byte) with every byte above 0x7F percent-encoded as it is. */
function encodeReceivedBytes(text: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80 || c > 0xff) continue;
    out += `${text.slice(from, i)}%${c.toString(16).toUpperCase().padStart(2, "0")}`;
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}
