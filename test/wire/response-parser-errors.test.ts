import { describe, expect, it } from "vitest";
import { errorReason, feed } from "./split-feed.ts";

const ok = "HTTP/1.1 200 OK\r\n";

function reasonOf(text: string | Uint8Array, options: Parameters<typeof feed>[1] = {}): string {
  return errorReason(feed(text, options));
}

describe("ResponseParser errors: framing", () => {
  it.each([
    [
      "Content-Length with Transfer-Encoding",
      `${ok}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`,
      "Content-Length with Transfer-Encoding",
    ],
    ["TE with CL after it", `${ok}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n`, "Content-Length with Transfer-Encoding"],
    [
      "conflicting Content-Length fields",
      `${ok}Content-Length: 5\r\nContent-Length: 6\r\n\r\n`,
      "conflicting Content-Length values (5 and 6)",
    ],
    ["conflicting Content-Length list", `${ok}Content-Length: 12, 13\r\n\r\n`, "conflicting Content-Length values (12 and 13)"],
    ["non-numeric Content-Length", `${ok}Content-Length: abc\r\n\r\n`, 'invalid Content-Length value "abc"'],
    ["negative Content-Length", `${ok}Content-Length: -5\r\n\r\n`, 'invalid Content-Length value "-5"'],
    ["signed Content-Length", `${ok}Content-Length: +5\r\n\r\n`, 'invalid Content-Length value "+5"'],
    ["empty Content-Length", `${ok}Content-Length:\r\n\r\n`, 'invalid Content-Length value ""'],
    ["empty list element", `${ok}Content-Length: 5,\r\n\r\n`, 'invalid Content-Length value "5,"'],
    ["fractional Content-Length", `${ok}Content-Length: 1.5\r\n\r\n`, 'invalid Content-Length value "1.5"'],
    [
      "2^64 Content-Length",
      `${ok}Content-Length: 18446744073709551616\r\n\r\n`,
      'Content-Length value "18446744073709551616" is too large (more than 15 digits)',
    ],
    [
      "20-digit Content-Length",
      `${ok}Content-Length: 00000000000000000012\r\n\r\n`,
      'Content-Length value "00000000000000000012" is too large (more than 15 digits)',
    ],
    [
      "chunked twice",
      `${ok}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n`,
      'Transfer-Encoding "chunked, chunked" names chunked more than once',
    ],
    [
      "chunked twice around another coding",
      `${ok}Transfer-Encoding: chunked, gzip, chunked\r\n\r\n`,
      'Transfer-Encoding "chunked, gzip, chunked" names chunked more than once',
    ],
    ["empty TE", `${ok}Transfer-Encoding: \r\n\r\n`, "empty Transfer-Encoding"],
    ["TE on HTTP/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "Transfer-Encoding in an HTTP/1.0 response"],
    [
      "CL+TE even on HEAD-less 304",
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "Content-Length with Transfer-Encoding",
    ],
  ])("rejects %s", (_name, text, reason) => {
    expect(reasonOf(text)).toBe(reason);
  });
});

describe("ResponseParser errors: chunked body", () => {
  const head = `${ok}Transfer-Encoding: chunked\r\n\r\n`;
  it.each([
    ["an empty size", "\r\n", "invalid chunk size (expected hex digits)"],
    ["a non-hex size", "xyz\r\n", "invalid chunk size (expected hex digits)"],
    ["a signed size", "-5\r\n", "invalid chunk size (expected hex digits)"],
    ["a size with leading whitespace", " 5\r\n", "invalid chunk size (expected hex digits)"],
    ["a 0x prefix", "0x5\r\n", "invalid chunk size line (bad character or malformed chunk extension)"],
    ["trailing garbage", "5 x\r\n", "invalid chunk size line (bad character or malformed chunk extension)"],
    ["a malformed extension", "5;=v\r\n", "invalid chunk size line (bad character or malformed chunk extension)"],
    ["a bare CR in an extension", "5;a\rb\r\n", "invalid chunk size line (bad character or malformed chunk extension)"],
    ["a bare LF size line", "5\nhello\r\n", "chunk size line does not end in CRLF"],
    ["a 17-digit size", "10000000000000000\r\n", "chunk size has more than 16 hex digits"],
    ["a 40-digit size", `${"f".repeat(40)}\r\n`, "chunk size has more than 16 hex digits"],
    ["a size above MAX_SAFE_INTEGER", "20000000000000\r\n", "chunk size is too large"],
    ["missing CRLF after data", "5\r\nhelloX\r\n", "missing CRLF after chunk data"],
    ["CR without LF after data", "5\r\nhello\rX", "missing CRLF after chunk data"],
    ["a malformed trailer", "0\r\nBad Trailer: x\r\n\r\n", "invalid character in trailer field name"],
    ["a trailer with space before the colon", "0\r\nT : x\r\n\r\n", "whitespace between a trailer field name and the colon"],
  ])("rejects %s", (_name, body, reason) => {
    expect(reasonOf(head + body)).toBe(reason);
  });

  it("rejects a chunk-size line that never ends, with bounded buffering", () => {
    const hex = new Uint8Array(1 << 20).fill(0x61);
    const input = new Uint8Array(head.length + hex.length);
    input.set(Buffer.from(head, "latin1"));
    input.set(hex, head.length);
    const r = feed(input);
    expect(errorReason(r)).toBe("chunk size line longer than 4096 bytes");
    expect(r.maxBuffered).toBeLessThanOrEqual(4096);
  });

  it("rejects a trailer section over the head limit", () => {
    const r = feed(`${head}0\r\nX: ${"a".repeat(200)}\r\n\r\n`, { parser: { maxHeadBytes: 100 } });
    expect(errorReason(r)).toBe("trailer section exceeds the limit of 100 bytes");
  });

  it("rejects more trailer fields than maxHeaderCount", () => {
    const trailers = Array.from({ length: 4 }, (_, i) => `T${i}: v\r\n`).join("");
    expect(reasonOf(`${head}0\r\n${trailers}\r\n`, { parser: { maxHeaderCount: 3 } })).toBe("more than 3 trailer fields");
  });
});

describe("ResponseParser errors: head limits", () => {
  const bigHead = `${ok}${Array.from({ length: 100 }, (_, i) => `X-H${i}: ${"v".repeat(700)}\r\n`).join("")}\r\n`;

  it("rejects a head over 64 KiB sent in one piece or byte by byte, with bounded buffering", () => {
    expect(bigHead.length).toBeGreaterThan(65536);
    const r = feed(bigHead);
    expect(errorReason(r)).toBe("response head exceeds the limit of 65536 bytes");
    expect(r.maxBuffered).toBeLessThanOrEqual(65536);
  });

  it("rejects a head that never ends once it passes the limit", () => {
    const r = feed(`${ok}X: ${"a".repeat(70_000)}`);
    expect(errorReason(r)).toBe("response head exceeds the limit of 65536 bytes");
    expect(r.maxBuffered).toBeLessThanOrEqual(65536);
  });

  it("accepts a head of exactly maxHeadBytes and rejects one byte more", () => {
    const text = `${ok}A: b\r\n\r\n`;
    expect(feed(text, { parser: { maxHeadBytes: text.length } }).events.map((e) => e.type)).toEqual(["head"]);
    expect(reasonOf(text, { parser: { maxHeadBytes: text.length - 1 } })).toBe(
      `response head exceeds the limit of ${text.length - 1} bytes`,
    );
  });

  it("counts empty lines before the status line toward the head limit", () => {
    expect(reasonOf("\r\n".repeat(40), { parser: { maxHeadBytes: 64 } })).toBe("response head exceeds the limit of 64 bytes");
    const text = `\r\n\n${ok}\r\n`;
    expect(feed(text, { parser: { maxHeadBytes: text.length } }).events.map((e) => e.type)).toEqual(["head"]);
    expect(reasonOf(text, { parser: { maxHeadBytes: text.length - 1 } })).toBe(
      `response head exceeds the limit of ${text.length - 1} bytes`,
    );
  });

  it("rejects 101 header fields, accepts 100", () => {
    const fields = (n: number): string => Array.from({ length: n }, (_, i) => `H${i}: v\r\n`).join("");
    expect(reasonOf(`${ok}${fields(101)}\r\n`)).toBe("more than 100 header fields");
    expect(feed(`${ok}${fields(100)}Content-Length: 0\r\n\r\n`, { parser: { maxHeaderCount: 101 } }).events.map((e) => e.type)).toEqual([
      "head",
      "end",
    ]);
  });

  it("rejects an endless stream of interim responses only through its own limits", () => {
    const r = feed("HTTP/1.1 100 Continue\r\n\r\n".repeat(50));
    expect(r.events.every((e) => e.type === "informational")).toBe(true);
    expect(r.events).toHaveLength(50);
  });
});

describe("ResponseParser errors: head syntax", () => {
  it.each([
    ["a line without a colon", `${ok}NoColon\r\n\r\n`, "header line without a colon"],
    ["space before the colon", `${ok}Content-Length : 5\r\n\r\n`, "whitespace between a header field name and the colon"],
    ["an empty name", `${ok}: x\r\n\r\n`, "empty header field name"],
    ["a non-token name", `${ok}X(y): z\r\n\r\n`, "invalid character in header field name"],
    ["a bare CR in a value", `${ok}A: b\rc\r\n\r\n`, "bare CR (not followed by LF) in the response head"],
    ["a bare CR ending a line", `${ok}A: b\r\r\n\r\n`, "bare CR (not followed by LF) in the response head"],
    ["a bare CR in the status line", "HTTP/1.1 200 O\rK\r\n\r\n", "bare CR (not followed by LF) in the response head"],
    ["a bare CR before the status line", "\rHTTP/1.1 200 OK\r\n\r\n", "bare CR (not followed by LF) in the response head"],
    ["NUL in a value", `${ok}A: b\0c\r\n\r\n`, "NUL byte in the response head"],
    ["NUL in a name", `${ok}A\0: b\r\n\r\n`, "NUL byte in the response head"],
    ["a control character in a value", `${ok}A: b\x01c\r\n\r\n`, "control character in the value of header field A"],
    ["DEL in a value", `${ok}A: b\x7f\r\n\r\n`, "control character in the value of header field A"],
    ["whitespace before the first field", `${ok}  A: b\r\n\r\n`, "a header line starting with whitespace before any header field"],
    ["a control character in a folded value", `${ok}A: b\r\n  c\x01d\r\n\r\n`, "control character in a folded header field value"],
    [
      "an HTTP/0.9-style reply",
      "<html><body>hello</body></html>\n",
      "response is not HTTP/1.x (the status line does not start with HTTP/; an HTTP/0.9 reply or garbage)",
    ],
    [
      "lower-case http",
      "http/1.1 200 OK\r\n\r\n",
      "response is not HTTP/1.x (the status line does not start with HTTP/; an HTTP/0.9 reply or garbage)",
    ],
    ["HTTP/2", "HTTP/2 200\r\n\r\n", "unsupported HTTP version in the status line (only HTTP/1.0 and HTTP/1.1)"],
    ["HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n", "unsupported HTTP version in the status line (only HTTP/1.0 and HTTP/1.1)"],
    ["HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n", "unsupported HTTP version in the status line (only HTTP/1.0 and HTTP/1.1)"],
    [
      "a two-digit status",
      "HTTP/1.1 20 OK\r\n\r\n",
      "invalid status code in the status line (expected three digits followed by a space or the line end)",
    ],
    [
      "a word status",
      "HTTP/1.1 abc\r\n\r\n",
      "invalid status code in the status line (expected three digits followed by a space or the line end)",
    ],
    [
      "a four-digit status",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "invalid status code in the status line (expected three digits followed by a space or the line end)",
    ],
    [
      "two spaces",
      "HTTP/1.1  200 OK\r\n\r\n",
      "invalid status code in the status line (expected three digits followed by a space or the line end)",
    ],
    ["a status below 100", "HTTP/1.1 099 Odd\r\n\r\n", "invalid status code 099 in the status line"],
    ["a control character in the reason", "HTTP/1.1 200 O\x01K\r\n\r\n", "control character in the reason phrase"],
  ])("rejects %s", (_name, text, reason) => {
    expect(reasonOf(text, { end: true })).toBe(reason);
  });

  it("rejects an HTTP/0.9-style reply as soon as the first byte arrives", () => {
    const r = feed("<");
    expect(errorReason(r)).toMatch(/^response is not HTTP\/1\.x/);
  });
});

describe("ResponseParser: error codes", () => {
  const codeOf = (text: string, options: Parameters<typeof feed>[1] = {}): string => {
    const last = feed(text, options).events.at(-1);
    return last?.type === "error" ? last.code : "no error";
  };
  it("tells smuggling shapes, limits, truncation and malformed input apart", () => {
    expect(codeOf("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")).toBe("length-with-transfer-encoding");
    expect(codeOf("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n")).toBe("malformed");
    expect(codeOf(`HTTP/1.1 200 OK\r\n${"A: b\r\n".repeat(101)}\r\n`)).toBe("too-large");
    expect(codeOf("HTTP/1.1 200 OK\r\nA: b\r\n\r\n", { parser: { maxHeadBytes: 10 } })).toBe("too-large");
    expect(codeOf("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab", { end: true })).toBe("truncated");
    expect(codeOf("SSH-2.0-OpenSSH\r\n")).toBe("malformed");
  });
});
