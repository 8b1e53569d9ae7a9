import { deflateSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { Method, Result } from "../../src/index.ts";
import { ACCEPT, UA, bytes, getHead, setup, summary, wire } from "./helpers.ts";

const TEXT = "The quick brown fox jumps over the lazy dog. ".repeat(40);
const GZ = gzipSync(Buffer.from(TEXT));

function gzipHead(length: number, extra: readonly string[] = []): string {
  return wire("HTTP/1.1 200 OK", ["Content-Encoding: gzip", ...extra, `Content-Length: ${length}`]);
}

describe("HTTPRequest gzip (stepped)", () => {
  it("acceptGzip (default) adds Accept-Encoding: gzip, deflate after the user headers", () => {
    const h = setup();
    h.node.request("http://example.test/", ["X-A: 1"]);
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(
      wire("GET / HTTP/1.1", ["X-A: 1", "Accept-Encoding: gzip, deflate", "Host: example.test", UA, ACCEPT]),
    );
  });

  it("a user Accept-Encoding (any case) is sent alone", () => {
    const h = setup();
    h.node.request("http://example.test/", ["accept-ENCODING: br"]);
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(wire("GET / HTTP/1.1", ["accept-ENCODING: br", "Host: example.test", UA, ACCEPT]));
  });

  it("acceptGzip = false adds nothing", () => {
    const h = setup();
    h.node.acceptGzip = false;
    h.node.request("http://example.test/");
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(wire("GET / HTTP/1.1", ["Host: example.test", UA, ACCEPT]));
  });

  it("a gzip body split across ticks is decoded; downloaded bytes count the wire bytes", () => {
    const h = setup();
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(bytes(gzipHead(GZ.length), GZ.subarray(0, 10)));
    h.tick();
    expect([h.node.getBodySize(), h.node.getDownloadedBytes()]).toEqual([GZ.length, 10]);
    h.peer().pushIncoming(GZ.subarray(10, 30));
    h.tick();
    expect(h.node.getDownloadedBytes()).toBe(30);
    h.peer().pushIncoming(GZ.subarray(30));
    h.tick();
    expect(h.completions.map((c) => [c.tick, ...summary(c)])).toEqual([
      [4, "RESULT_SUCCESS", 200, ["Content-Encoding: gzip", `Content-Length: ${GZ.length}`], TEXT],
    ]);
    expect(h.node.getDownloadedBytes()).toBe(GZ.length);
    expect(GZ.length).toBeLessThan(TEXT.length);
  });

  it("a chunked gzip body is decoded; getBodySize() is -1", () => {
    const h = setup();
    h.node.request("http://example.test/");
    h.tick();
    const half = Math.floor(GZ.length / 2);
    const chunk = (part: Uint8Array): Uint8Array => bytes(`${part.length.toString(16)}\r\n`, part, "\r\n");
    h.peer().pushIncoming(
      bytes(wire("HTTP/1.1 200 OK", ["Transfer-Encoding: chunked", "Content-Encoding: gzip"]), chunk(GZ.subarray(0, half))),
    );
    h.tick();
    h.peer().pushIncoming(bytes(chunk(GZ.subarray(half)), "0\r\n\r\n"));
    h.tick();
    expect(h.completions.map((c) => [c.result, c.text])).toEqual([[Result.RESULT_SUCCESS, TEXT]]);
    expect([h.node.getBodySize(), h.node.getDownloadedBytes()]).toEqual([-1, GZ.length]);
  });

  it("deflate (zlib-wrapped) is decoded too", () => {
    const h = setup();
    const body = deflateSync(Buffer.from(TEXT));
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(bytes(wire("HTTP/1.1 200 OK", ["Content-Encoding: deflate", `Content-Length: ${body.length}`]), body));
    expect(h.untilDone().text).toBe(TEXT);
  });

  it("acceptGzip = false leaves a gzip body compressed", () => {
    const h = setup();
    h.node.acceptGzip = false;
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(bytes(gzipHead(GZ.length), GZ));
    const done = h.untilDone();
    expect(done.result).toBe(Result.RESULT_SUCCESS);
    expect(Buffer.from(done.body).equals(GZ)).toBe(true);
  });

  it("a corrupt gzip body: BODY_DECOMPRESS_FAILED with code and headers", () => {
    const h = setup();
    const corrupt = Buffer.from(GZ);
    corrupt.fill(0x55, 10, 40);
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(bytes(gzipHead(corrupt.length, ["X-A: 1"]), corrupt));
    expect(summary(h.untilDone())).toEqual([
      "RESULT_BODY_DECOMPRESS_FAILED",
      200,
      ["Content-Encoding: gzip", "X-A: 1", `Content-Length: ${corrupt.length}`],
      "",
    ]);
  });

  it("a truncated gzip stream delivered completely: BODY_DECOMPRESS_FAILED, not SUCCESS (W12)", () => {
    const h = setup();
    const cut = GZ.subarray(0, GZ.length - 12);
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(bytes(gzipHead(cut.length), cut));
    expect(h.untilDone().result).toBe(Result.RESULT_BODY_DECOMPRESS_FAILED);
  });

  it("bodySizeLimit counts decoded bytes (a small gzip body that inflates over it fails)", () => {
    const h = setup();
    const bomb = gzipSync(Buffer.alloc(1_000_000));
    h.node.bodySizeLimit = 100_000;
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(bytes(gzipHead(bomb.length), bomb));
    const done = h.untilDone();
    expect(summary(done)).toEqual([
      "RESULT_BODY_SIZE_LIMIT_EXCEEDED",
      200,
      ["Content-Encoding: gzip", `Content-Length: ${bomb.length}`],
      "",
    ]);
    expect(bomb.length).toBeLessThan(100_000);
  });

  it("a gzip-encoded redirect body is drained without being decoded", () => {
    const h = setup();
    h.node.request("http://example.test/");
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(getHead("/"));
    h.peer().pushIncoming(bytes(wire("HTTP/1.1 302 Found", ["Location: /z", "Content-Encoding: gzip", "Content-Length: 5"]), "junk!"));
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(getHead("/z"));
    expect(h.network.connections).toHaveLength(1);
  });
});

describe("HTTPRequest transfer codings left on the body (stepped)", () => {
  const chunk = (data: Uint8Array): Uint8Array => bytes(`${data.length.toString(16)}\r\n`, data, "\r\n");
  it.each([
    ["gzip, read to close", ["Transfer-Encoding: gzip"], (): Uint8Array => GZ, true],
    ["gzip, chunked", ["Transfer-Encoding: gzip, chunked"], (): Uint8Array => bytes(chunk(GZ), "0\r\n\r\n"), false],
    ["deflate, identity, read to close", ["Transfer-Encoding: deflate, identity"], (): Uint8Array => deflateSync(Buffer.from(TEXT)), true],
    ["gzip transfer over gzip content", ["Content-Encoding: gzip", "Transfer-Encoding: gzip"], (): Uint8Array => gzipSync(GZ), true],
  ])("%s: decoded, SUCCESS", (_name, headers, body, close) => {
    const h = setup();
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(bytes(wire("HTTP/1.1 200 OK", headers), body()));
    if (close) h.peer().pushEnd();
    const done = h.untilDone();
    expect(summary(done)[0]).toBe("RESULT_SUCCESS");
    expect(done.text).toBe(TEXT);
  });

  it.each([
    ["an unknown coding", "Transfer-Encoding: x-custom", 'unsupported transfer coding "x-custom"'],
    ["chunked not last", "Transfer-Encoding: chunked, identity", 'unsupported transfer coding "chunked"'],
  ])("%s: BODY_DECOMPRESS_FAILED with the reason", (_name, header, reason) => {
    const h = setup();
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(wire("HTTP/1.1 200 OK", [header], "5\r\nhello\r\n0\r\n\r\n"));
    h.peer().pushEnd();
    const done = h.untilDone();
    expect(summary(done)[0]).toBe("RESULT_BODY_DECOMPRESS_FAILED");
    expect(done.reason).toContain(reason);
  });

  it("a HEAD answer with such a header has no body and succeeds", () => {
    const h = setup();
    h.node.request("http://example.test/", [], Method.METHOD_HEAD);
    h.tick();
    h.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["Transfer-Encoding: chunked, gzip"]));
    const done = h.untilDone();
    expect(summary(done)[0]).toBe("RESULT_SUCCESS");
    expect(done.body.length).toBe(0);
  });
});
