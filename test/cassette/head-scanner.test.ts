/**
 * The scanner behind redaction: hidden values whatever the chunk splits, bodies left alone by their
 * framing (length, chunked, HEAD), and `collapse` making streams that differ only in hidden values
 * equal.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_REDACTED_HEADERS, HeadScanner } from "../../src/client/cassette/head-scanner.ts";

const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

function scanSplit(stream: string, cut: number, role: "request" | "response", methods: string[] = []): string {
  const scanner = new HeadScanner(role, DEFAULT_REDACTED_HEADERS, methods);
  const bytes = latin1(stream);
  return text(scanner.scan(bytes.subarray(0, cut))) + text(scanner.scan(bytes.subarray(cut)));
}

describe("HeadScanner", () => {
  it("hides request secrets the same way at every split, and keeps everything else", () => {
    const request =
      "POST /login HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer tok\r\ncookie:  a=1\r\nContent-Length: 22\r\n\r\n\r\nCookie: not-a-header" +
      "GET /next HTTP/1.1\r\nProxy-Authorization: Basic xyz\r\n\r\n";
    const expected =
      "POST /login HTTP/1.1\r\nHost: a\r\nAuthorization: **********\r\ncookie:  ***\r\nContent-Length: 22\r\n\r\n\r\nCookie: not-a-header" +
      "GET /next HTTP/1.1\r\nProxy-Authorization: *********\r\n\r\n";
    for (let cut = 0; cut <= request.length; cut++) expect(scanSplit(request, cut, "request")).toBe(expected);
  });

  it("follows chunked bodies and HEAD responses to the next head", () => {
    const methods = ["GET", "HEAD", "GET"];
    const responses =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a=1\r\n\r\n5\r\nhello\r\n10\r\n\r\nSet-Cookie: no\r\n0\r\n\r\n" +
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" +
      "HTTP/1.1 200 OK\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n";
    const expected = responses.replace("Set-Cookie: a=1", "Set-Cookie: ***").replace("Set-Cookie: b=2", "Set-Cookie: ***");
    for (let cut = 0; cut <= responses.length; cut += 7) expect(scanSplit(responses, cut, "response", [...methods])).toBe(expected);
  });

  it("collapse leaves hidden values out, so other secrets of other lengths compare equal", () => {
    const a = new HeadScanner("request", DEFAULT_REDACTED_HEADERS, []);
    const b = new HeadScanner("request", DEFAULT_REDACTED_HEADERS, []);
    const one = text(a.collapse(latin1("GET / HTTP/1.1\r\nAuthorization: Bearer short\r\nHost: h\r\n\r\n")));
    const two = text(b.collapse(latin1("GET / HTTP/1.1\r\nAuthorization: Bearer a-much-longer-token\r\nHost: h\r\n\r\n")));
    expect(one).toBe(two);
    expect(one).toBe("GET / HTTP/1.1\r\nAuthorization: \r\nHost: h\r\n\r\n");
    expect(a.takeHeads()).toEqual(["GET / HTTP/1.1\r\nAuthorization: ************\r\nHost: h\r\n\r\n"]);
  });
});
