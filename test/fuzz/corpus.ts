/**
 * The fuzz corpus: complete, valid HTTP/1.1 responses of the kinds a client meets, as the bytes a
 * server sends. Mutations start from these. Each entry says whether it answers a HEAD request
 * (which changes its framing) and what a correct client makes of it unmutated.
 */

/** One corpus response. */
export interface CorpusEntry {
  /** A short name, shown in failure reports. */
  readonly name: string;
  /** The bytes as sent (one or more responses on one connection). */
  readonly bytes: Uint8Array;
  /** True when the response answers a HEAD request. */
  readonly headRequest: boolean;
  /** The final status code of the first response. */
  readonly code: number;
  /** The body of the first response, de-chunked (before any content decoding). */
  readonly body: string;
}

/** Latin-1 text to bytes. */
export function latin1Bytes(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, "latin1"));
}

function hex(text: string): string {
  return Buffer.from(text, "hex").toString("latin1");
}

/** `{"hello":"world","n":[1,2,3]}` gzip-compressed (fixed bytes, so cases replay on any zlib). */
const GZIP_JSON = hex("1f8b0800000000000003ab56ca48cdc9c957b2522acf2fca4951d251ca53b28a36d431d2318ead05002e347c6a1d000000");
/** `deflated body text` in zlib format. */
const DEFLATE_TEXT = hex("789c4b494dcb492c494d5148ca4fa9542849ad280100417c06ed");

const crlf = (lines: readonly string[]): string => lines.map((line) => `${line}\r\n`).join("");

function entry(
  name: string,
  first: string,
  headers: readonly string[],
  rest: string,
  code: number,
  body: string,
  headRequest = false,
): CorpusEntry {
  return { name, bytes: latin1Bytes(`${first}\r\n${crlf(headers)}\r\n${rest}`), headRequest, code, body };
}

/** The corpus, in a fixed order (case ids refer to positions). */
export const CORPUS: readonly CorpusEntry[] = [
  entry("content-length", "HTTP/1.1 200 OK", ["Content-Type: text/plain", "Content-Length: 12"], "hello, world", 200, "hello, world"),
  entry(
    "chunked",
    "HTTP/1.1 200 OK",
    ["Transfer-Encoding: chunked", "Content-Type: text/plain"],
    "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n",
    200,
    "hello, world",
  ),
  entry(
    "chunked-extensions-trailers",
    "HTTP/1.1 200 OK",
    ["Transfer-Encoding: chunked", "Trailer: X-Checksum, X-Count"],
    '3;name=value\r\nabc\r\nA; ext="q"\r\n0123456789\r\n0\r\nX-Checksum: 99\r\nX-Count: 2\r\n\r\n',
    200,
    "abc0123456789",
  ),
  entry(
    "interim-100-103",
    "HTTP/1.1 100 Continue",
    [],
    `HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 201 Created\r\nLocation: /items/7\r\nContent-Length: 2\r\n\r\nok`,
    201,
    "ok",
  ),
  entry("no-content-204", "HTTP/1.1 204 No Content", ["Date: Tue, 01 Jul 2025 10:00:00 GMT", "Server: fuzz"], "", 204, ""),
  entry("not-modified-304", "HTTP/1.1 304 Not Modified", ['ETag: "abc"', "Content-Length: 512", "Cache-Control: max-age=60"], "", 304, ""),
  entry("head-with-length", "HTTP/1.1 200 OK", ["Content-Type: application/octet-stream", "Content-Length: 1048576"], "", 200, "", true),
  entry("head-chunked", "HTTP/1.1 200 OK", ["Transfer-Encoding: chunked"], "", 200, "", true),
  entry(
    "gzip-length",
    "HTTP/1.1 200 OK",
    ["Content-Type: application/json", "Content-Encoding: gzip", "Vary: Accept-Encoding", `Content-Length: ${GZIP_JSON.length}`],
    GZIP_JSON,
    200,
    GZIP_JSON,
  ),
  entry(
    "gzip-chunked",
    "HTTP/1.1 200 OK",
    ["Content-Encoding: gzip", "Transfer-Encoding: chunked"],
    `10\r\n${GZIP_JSON.slice(0, 16)}\r\n${(GZIP_JSON.length - 16).toString(16)}\r\n${GZIP_JSON.slice(16)}\r\n0\r\n\r\n`,
    200,
    GZIP_JSON,
  ),
  entry(
    "deflate-length",
    "HTTP/1.1 200 OK",
    ["Content-Encoding: deflate", `Content-Length: ${DEFLATE_TEXT.length}`],
    DEFLATE_TEXT,
    200,
    DEFLATE_TEXT,
  ),
  entry(
    "http10-close-delimited",
    "HTTP/1.0 200 OK",
    ["Content-Type: text/html"],
    "<html>until close</html>",
    200,
    "<html>until close</html>",
  ),
  entry("connection-close-length", "HTTP/1.1 404 Not Found", ["Connection: close", "Content-Length: 9"], "not found", 404, "not found"),
  entry("redirect-302", "HTTP/1.1 302 Found", ["Location: http://fuzz.test/next?x=1", "Content-Length: 5"], "moved", 302, "moved"),
  entry("keep-alive-pipelined", "HTTP/1.1 200 OK", ["Content-Length: 3"], "oneHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo", 200, "one"),
  entry(
    "set-cookie-duplicates",
    "HTTP/1.1 200 OK",
    ["Set-Cookie: a=1; Path=/", "Set-Cookie: b=2; HttpOnly", "content-length: 0"],
    "",
    200,
    "",
  ),
  // Bare LF line endings in the head (RFC 9112 §2.2 lets a recipient accept them).
  {
    name: "bare-lf-head",
    bytes: latin1Bytes("HTTP/1.1 200 OK\nContent-Length: 4\nX-Lf: yes\n\nbody"),
    headRequest: false,
    code: 200,
    body: "body",
  },
  entry("empty-reason-500", "HTTP/1.1 500 ", ["Content-Length: 5", "Retry-After: 3"], "error", 500, "error"),
  entry("binary-body", "HTTP/1.1 200 OK", ["Content-Length: 8"], "\x00\x01\x02\r\n\xff\xfe\x80", 200, "\x00\x01\x02\r\n\xff\xfe\x80"),
];
