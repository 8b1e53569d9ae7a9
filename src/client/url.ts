/**
 * http(s) URL parsing, normalisation for the wire, and RFC 3986 reference resolution.
 *
 * This is our own parser, stricter than WHATWG `URL` on purpose: it never silently strips or
 * rewrites what it does not understand, it refuses what a request must not carry (credentials,
 * control characters, ambiguous IPv4 forms), and it produces exactly the request target to send.
 *
 * @module
 */

/** A parsed, normalised `http:` or `https:` URL, ready to connect to and to put on the wire. */
export interface HttpUrl {
  /** The scheme, lower-cased. */
  readonly scheme: "http" | "https";
  /** The host, lower-cased; an IPv6 literal without brackets, in canonical form (`::1`). */
  readonly host: string;
  /** The port to connect to: the explicit one, or 80 / 443. */
  readonly port: number;
  /** True when the URL text named a port (even the default one). */
  readonly explicitPort: boolean;
  /**
   * The request target: path plus `?query` when there is one, percent-encoded for the wire,
   * dot segments removed. Never empty; always starts with `/`. The fragment is never included.
   */
  readonly path: string;
  /** True when `host` is an IPv6 literal (it is written in brackets in URLs and `Host`). */
  readonly isIPv6: boolean;
}

/** The outcome of {@link parseHttpUrl} and {@link resolveReference}. */
export type UrlResult =
  | {
      /** The URL was accepted. */
      readonly ok: true;
      /** The parsed, normalised URL. */
      readonly url: HttpUrl;
    }
  | {
      /** The URL was refused. */
      readonly ok: false;
      /** Why. */
      readonly reason: string;
    };

/**
 * Returns the port used when a URL of this scheme names none.
 *
 * @param scheme - `http` or `https`.
 * @returns 80 or 443.
 */
export function defaultPort(scheme: "http" | "https"): number {
  return scheme === "https" ? 443 : 80;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const REG_NAME = /^[a-z0-9\-._~!$&'()*+,;=]+$/;
const HEX = "0123456789ABCDEF";

function fail(reason: string): UrlResult {
  return { ok: false, reason };
}

function quote(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

/** Why `text` may not be used as (part of) a URL at all, or undefined when it may. */
function forbiddenCharacter(text: string, what: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      const hex = c.toString(16).padStart(2, "0").toUpperCase();
      return `${what} contains the control character U+00${hex} at index ${i}; it is refused, not stripped`;
    }
  }
  if (text.startsWith(" ") || text.endsWith(" ")) return `${what} ${quote(text)} has leading or trailing spaces`;
  return undefined;
}

/**
 * Parses an absolute `http://` or `https://` URL.
 *
 * Refuses: other schemes, a missing `//`, credentials (`user:pass@`), an empty host, a port that is
 * not 1-65535 in digits, more than one `:` after the host, control characters anywhere, leading or
 * trailing spaces, non-ASCII host names (give them in punycode), numeric hosts that are not a plain
 * dotted quad (`127.1`, `0x7f.0.0.1`, `010.0.0.1`), IPv6 zone identifiers. An empty port (`h:/`)
 * means the default. The fragment is dropped. Path and query are percent-encoded where RFC 3986
 * does not allow a character (space, `"`, `<`, `>`, `\`, `^`, backtick, `{`, `|`, `}`, `[`, `]`, a
 * `%` not followed by two hex digits, non-ASCII as UTF-8); existing `%XX` escapes are kept as they
 * are. Dot segments are removed from the path (RFC 3986 §5.2.4); the query is left alone.
 *
 * @param text - The URL.
 * @returns The URL, or why it was refused.
 */
export function parseHttpUrl(text: string): UrlResult {
  const bad = forbiddenCharacter(text, "URL");
  if (bad !== undefined) return fail(bad);
  const match = SCHEME.exec(text);
  if (match === null) return fail(`URL ${quote(text)} has no scheme; expected http:// or https://`);
  const scheme = (match[1] ?? "").toLowerCase();
  if (scheme !== "http" && scheme !== "https") {
    return fail(`unsupported scheme "${scheme}:" in ${quote(text)}; only http and https are allowed`);
  }
  const rest = text.slice(match[0].length);
  if (!rest.startsWith("//")) return fail(`expected "//" after "${scheme}:" in ${quote(text)}`);
  return parseAfterSlashes(scheme, rest.slice(2));
}

/** Parses `authority [path] [?query] [#fragment]`, the part after `scheme://`. */
function parseAfterSlashes(scheme: "http" | "https", text: string): UrlResult {
  const found = text.search(/[/?#]/);
  const end = found < 0 ? text.length : found;
  const authority = parseAuthority(scheme, text.slice(0, end));
  if (!authority.ok) return fail(authority.reason);
  const tail = withoutFragment(text.slice(end));
  const q = tail.indexOf("?");
  const path = q < 0 ? tail : tail.slice(0, q);
  const query = q < 0 ? undefined : tail.slice(q + 1);
  return assemble(scheme, authority, path === "" ? "/" : path, query);
}

interface Authority {
  readonly ok: true;
  readonly host: string;
  readonly port: number;
  readonly explicitPort: boolean;
  readonly isIPv6: boolean;
}

function parseAuthority(scheme: "http" | "https", text: string): Authority | { ok: false; reason: string } {
  const no = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });
  if (text.includes("@")) return no("credentials in the URL (user:pass@) are refused; send an Authorization header instead");
  let host: string;
  let portText: string | undefined;
  let isIPv6 = false;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return no(`IPv6 address in ${quote(text)} has no closing "]"`);
    const groups = parseIPv6(text.slice(1, close));
    if (groups === undefined) return no(`invalid IPv6 address ${quote(text.slice(0, close + 1))}`);
    host = formatIPv6(groups);
    isIPv6 = true;
    const after = text.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) return no(`unexpected ${quote(after)} after the IPv6 address`);
    portText = after === "" ? undefined : after.slice(1);
  } else {
    const colon = text.indexOf(":");
    if (colon >= 0 && text.indexOf(":", colon + 1) >= 0) return no(`more than one ":" in host and port ${quote(text)}`);
    host = (colon < 0 ? text : text.slice(0, colon)).toLowerCase();
    portText = colon < 0 ? undefined : text.slice(colon + 1);
    const why = checkHostName(host);
    if (why !== undefined) return no(why);
  }
  if (portText === undefined || portText === "") {
    return { ok: true, host, port: defaultPort(scheme), explicitPort: false, isIPv6 };
  }
  if (!/^[0-9]+$/.test(portText)) return no(`port ${quote(portText)} is not a number`);
  const digits = portText.replace(/^0+(?=.)/, "");
  const port = digits.length > 5 ? 0x10000 : Number(digits);
  if (port < 1 || port > 65535) return no(`port ${portText} is outside 1-65535`);
  return { ok: true, host, port, explicitPort: true, isIPv6 };
}

function checkHostName(host: string): string | undefined {
  if (host === "") return "the URL has an empty host";
  if (host.length > 253) return `host name is longer than 253 characters`;
  if (!REG_NAME.test(host)) {
    return /[^\x00-\x7f]/.test(host)
      ? `non-ASCII host name ${quote(host)}; give it in punycode (xn--…)`
      : `host ${quote(host)} contains a character not allowed in a host name`;
  }
  const labels = host.split(".");
  if (labels.length > 1 && labels[labels.length - 1] === "") labels.pop();
  const last = labels[labels.length - 1] ?? "";
  // WHATWG reads a host whose last label is numeric as IPv4 (with octal, hex and short forms);
  // getaddrinfo does too. Accept only the unambiguous dotted quad.
  if (/^[0-9]+$/.test(last) || /^0x[0-9a-f]*$/.test(last)) {
    const quad = !host.endsWith(".") && labels.length === 4 && labels.every((l) => /^(0|[1-9][0-9]{0,2})$/.test(l) && Number(l) <= 255);
    if (!quad) return `numeric host ${quote(host)} is not a dotted-quad IPv4 address (a.b.c.d, 0-255, no leading zeros)`;
  }
  return undefined;
}

/** Parses the text between `[` and `]` into eight 16-bit groups. */
function parseIPv6(text: string): number[] | undefined {
  const lower = text.toLowerCase();
  if (!/^[0-9a-f:.]+$/.test(lower)) return undefined;
  const halves = lower.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string, isLast: boolean): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] ?? "";
      if (isLast && i === pieces.length - 1 && piece.includes(".")) {
        const v4 = piece.split(".");
        if (v4.length !== 4 || !v4.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
        const [a = 0, b = 0, c = 0, d = 0] = v4.map(Number);
        out.push(a * 256 + b, c * 256 + d);
      } else if (/^[0-9a-f]{1,4}$/.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = parse(halves[0] ?? "", halves.length === 1);
  const tail = halves.length === 2 ? parse(halves[1] ?? "", true) : [];
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** Serialises eight groups the way WHATWG `URL` does (RFC 5952: longest zero run of 2+ as `::`). */
function formatIPv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(":");
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

function withoutFragment(text: string): string {
  const hash = text.indexOf("#");
  return hash < 0 ? text : text.slice(0, hash);
}

/** Removes dot segments, percent-encodes path and query, and builds the result. */
function assemble(scheme: "http" | "https", authority: Authority, path: string, query: string | undefined): UrlResult {
  const encodedPath = percentEncode(removeDotSegments(path), false);
  if (encodedPath === undefined) return fail("the URL path contains an unpaired UTF-16 surrogate");
  let target = encodedPath;
  if (query !== undefined) {
    const encodedQuery = percentEncode(query, true);
    if (encodedQuery === undefined) return fail("the URL query contains an unpaired UTF-16 surrogate");
    target += `?${encodedQuery}`;
  }
  return {
    ok: true,
    url: {
      scheme,
      host: authority.host,
      port: authority.port,
      explicitPort: authority.explicitPort,
      path: target,
      isIPv6: authority.isIPv6,
    },
  };
}

/** 1: allowed in paths and queries (unreserved, sub-delims, ":@/"); 2: in queries only ("?"). */
const ALLOWED = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/") ALLOWED[c.charCodeAt(0)] = 1;
ALLOWED[0x3f] = 2;

const isHexDigit = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

function pushByte(out: string[], byte: number): void {
  out.push(`%${HEX[byte >> 4] ?? "0"}${HEX[byte & 15] ?? "0"}`);
}

/** Percent-encodes what RFC 3986 does not allow; undefined on an unpaired surrogate. */
function percentEncode(text: string, inQuery: boolean): string | undefined {
  const out: string[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      const allowed = ALLOWED[c] ?? 0;
      if (allowed === 1 || (allowed === 2 && inQuery)) out.push(text[i] ?? "");
      else if (c === 0x25 && isHexDigit(text.charCodeAt(i + 1)) && isHexDigit(text.charCodeAt(i + 2))) out.push("%");
      else pushByte(out, c);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return undefined;
      c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    if (c < 0x800) {
      pushByte(out, 0xc0 | (c >> 6));
    } else if (c < 0x10000) {
      pushByte(out, 0xe0 | (c >> 12));
      pushByte(out, 0x80 | ((c >> 6) & 63));
    } else {
      pushByte(out, 0xf0 | (c >> 18));
      pushByte(out, 0x80 | ((c >> 12) & 63));
      pushByte(out, 0x80 | ((c >> 6) & 63));
    }
    pushByte(out, 0x80 | (c & 63));
  }
  return out.join("");
}

/**
 * RFC 3986 §5.2.4 `remove_dot_segments`: `/a/./b/../c` becomes `/a/c`. Only literal `.` and `..`
 * segments count (`%2E` is data).
 *
 * @param path - A path (no query).
 * @returns The path without dot segments.
 */
export function removeDotSegments(path: string): string {
  const out: string[] = [];
  let i = 0;
  const n = path.length;
  const at = (s: string): boolean => path.startsWith(s, i);
  const isRest = (s: string): boolean => i + s.length === n && at(s);
  while (i < n) {
    if (at("../")) i += 3;
    else if (at("./")) i += 2;
    else if (at("/./")) i += 2;
    else if (isRest("/.")) {
      out.push("/");
      i = n;
    } else if (at("/../")) {
      i += 3;
      out.pop();
    } else if (isRest("/..")) {
      out.pop();
      out.push("/");
      i = n;
    } else if (isRest(".") || isRest("..")) {
      i = n;
    } else {
      let end = path.indexOf("/", i + 1);
      if (end < 0) end = n;
      out.push(path.slice(i, end));
      i = end;
    }
  }
  return out.join("");
}

/**
 * Resolves a reference (typically a `Location` value) against a base URL, per RFC 3986 §5.2:
 * absolute URLs, scheme-relative `//host/x`, absolute paths `/p`, relative paths `x` and `../x`,
 * `?q`, `#f` and the empty reference. The fragment is dropped. `http:g` (scheme of the base, no
 * `//`) is read as the relative `g`, RFC 3986's backward-compatible rule that WHATWG `URL` also
 * follows. The result must be http or https: `file:`, `data:`, `javascript:`, `ftp:` and every
 * other scheme are refused with a reason that names it. The result is normalised like
 * {@link parseHttpUrl}'s.
 *
 * @param base - The URL the reference was received from.
 * @param reference - The reference text.
 * @returns The target URL, or why it was refused.
 */
export function resolveReference(base: HttpUrl, reference: string): UrlResult {
  const bad = forbiddenCharacter(reference, "reference");
  if (bad !== undefined) return fail(bad);
  let ref = withoutFragment(reference);
  const match = SCHEME.exec(ref);
  if (match !== null) {
    const scheme = (match[1] ?? "").toLowerCase();
    if (scheme !== "http" && scheme !== "https") {
      return fail(`reference to unsupported scheme "${scheme}:"; only http and https are allowed`);
    }
    const rest = ref.slice(match[0].length);
    if (rest.startsWith("//")) return parseAfterSlashes(scheme, rest.slice(2));
    if (scheme !== base.scheme) return fail(`reference ${quote(reference)} names "${scheme}:" but no "//host"`);
    ref = rest;
  }
  if (ref.startsWith("//")) return parseAfterSlashes(base.scheme, ref.slice(2));
  const authority: Authority = {
    ok: true,
    host: base.host,
    port: base.port,
    explicitPort: base.explicitPort,
    isIPv6: base.isIPv6,
  };
  const baseQueryAt = base.path.indexOf("?");
  const basePath = baseQueryAt < 0 ? base.path : base.path.slice(0, baseQueryAt);
  const baseQuery = baseQueryAt < 0 ? undefined : base.path.slice(baseQueryAt + 1);
  if (ref === "") return assemble(base.scheme, authority, basePath, baseQuery);
  if (ref.startsWith("?")) return assemble(base.scheme, authority, basePath, ref.slice(1));
  const q = ref.indexOf("?");
  const refPath = q < 0 ? ref : ref.slice(0, q);
  const query = q < 0 ? undefined : ref.slice(q + 1);
  const path = refPath.startsWith("/") ? refPath : basePath.slice(0, basePath.lastIndexOf("/") + 1) + refPath;
  return assemble(base.scheme, authority, path, query);
}

function hostForm(url: HttpUrl): string {
  return url.isIPv6 ? `[${url.host}]` : url.host;
}

/**
 * The `Host` header value: host (IPv6 in brackets), plus `:port` unless the port is the
 * scheme's default (as curl and browsers send it).
 *
 * @param url - The URL.
 * @returns E.g. `example.com`, `example.com:8080`, `[::1]:8080`.
 */
export function formatHostHeader(url: HttpUrl): string {
  return url.port === defaultPort(url.scheme) ? hostForm(url) : `${hostForm(url)}:${url.port}`;
}

/**
 * Serialises a URL; the default port is left out, as WHATWG `URL.href` does.
 *
 * @param url - The URL.
 * @returns E.g. `https://example.com/a%20b?x=1`.
 */
export function formatUrl(url: HttpUrl): string {
  return `${url.scheme}://${formatHostHeader(url)}${url.path}`;
}

/**
 * The origin (scheme, host, port) as a string, serialised like WHATWG `URL.origin`: `http://h` and
 * `http://h:80` give the same string.
 *
 * @param url - The URL.
 * @returns E.g. `https://example.com:8443`.
 */
export function originOf(url: HttpUrl): string {
  return `${url.scheme}://${formatHostHeader(url)}`;
}

/**
 * Whether two URLs have the same origin: same scheme, host and port.
 *
 * @param a - One URL.
 * @param b - The other.
 * @returns True when scheme, host and port are all equal.
 */
export function sameOrigin(a: HttpUrl, b: HttpUrl): boolean {
  return a.scheme === b.scheme && a.host === b.host && a.port === b.port;
}
