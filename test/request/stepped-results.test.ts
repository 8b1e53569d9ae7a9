import { describe, expect, it } from "vitest";
import { Err, Method, Result } from "../../src/index.ts";
import { getHead, ok, setup, summary, wire } from "./helpers.ts";

describe("HTTPRequest results (stepped)", () => {
  it("NO_RESPONSE when the server closes before sending a byte", () => {
    const h = setup();
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushEnd();
    h.tick();
    expect(h.completions.map((c) => [c.tick, ...summary(c)])).toEqual([[2, "RESULT_NO_RESPONSE", 0, [], ""]]);
    expect(h.peer().isClosed()).toBe(true);
  });

  it("CONNECTION_ERROR when a Content-Length body is cut short by a close; code and headers kept", () => {
    const h = setup();
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["X-A: 1", "Content-Length: 10"], "12345"));
    h.tick();
    h.peer().pushEnd();
    h.tick();
    expect(h.completions.map((c) => [c.tick, ...summary(c)])).toEqual([
      [3, "RESULT_CONNECTION_ERROR", 200, ["X-A: 1", "Content-Length: 10"], ""],
    ]);
    expect(h.node.getDownloadedBytes()).toBe(5);
  });

  it("CONNECTION_ERROR on a reset mid-body and on a chunked body cut by a close", () => {
    const reset = setup();
    reset.node.request("http://example.test/");
    reset.tick();
    reset.peer().pushIncoming(wire("HTTP/1.1 206 Partial", ["Content-Length: 10"], "12"));
    reset.peer().pushError("peer reset");
    expect(summary(reset.untilDone())).toEqual(["RESULT_CONNECTION_ERROR", 206, ["Content-Length: 10"], ""]);
    expect(reset.completions[0]!.reason).toContain("ECONNRESET");

    const chunked = setup();
    chunked.node.request("http://example.test/");
    chunked.tick();
    chunked.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["Transfer-Encoding: chunked"], "5\r\nhello\r\n"));
    chunked.peer().pushEnd();
    expect(summary(chunked.untilDone())).toEqual(["RESULT_CONNECTION_ERROR", 200, ["Transfer-Encoding: chunked"], ""]);
  });

  it("CONNECTION_ERROR for a malformed status line", () => {
    const h = setup();
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming("HTTP/1.1 2OO OK\r\n\r\n");
    expect(summary(h.untilDone())).toEqual(["RESULT_CONNECTION_ERROR", 0, [], ""]);
  });

  it("CANT_RESOLVE when the lookup fails", () => {
    const h = setup({ hosts: {} });
    h.node.request("http://nowhere.test/");
    h.tick();
    h.network.pendingLookups()[0]!.fail("ENOTFOUND");
    h.tick();
    expect(h.completions.map((c) => [c.tick, ...summary(c)])).toEqual([[2, "RESULT_CANT_RESOLVE", 0, [], ""]]);
    expect(h.completions[0]!.reason).toContain("ENOTFOUND");
  });

  it("CANT_CONNECT when every address refuses", () => {
    const h = setup({ hosts: { "example.test": ["10.0.0.1", "10.0.0.2"] }, autoAccept: false });
    h.node.request("http://example.test/");
    h.peer(0).refuse();
    h.tick();
    expect(h.completions).toEqual([]);
    h.peer(1).refuse("EHOSTUNREACH");
    h.tick();
    expect(h.completions.map((c) => [c.tick, ...summary(c)])).toEqual([[2, "RESULT_CANT_CONNECT", 0, [], ""]]);
    expect(h.completions[0]!.reason).toContain("EHOSTUNREACH");
  });

  it("the first address refused, the second accepts: SUCCESS", () => {
    const h = setup({ hosts: { "example.test": ["::1", "10.0.0.1"] }, autoAccept: false });
    h.node.request("http://example.test/");
    h.peer(0).refuse();
    h.tick();
    h.peer(1).accept();
    h.tick();
    expect(h.peer(1).address.address).toBe("10.0.0.1");
    expect(h.peer(1).takeOutgoingText()).toBe(getHead("/"));
    h.peer(1).pushIncoming(ok("via second"));
    expect(summary(h.untilDone())).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 10"], "via second"]);
  });

  it("TLS_HANDSHAKE_ERROR when the handshake fails, with the TLS code in the reason", () => {
    const h = setup({ autoHandshake: false });
    h.node.request("https://example.test/");
    h.tick();
    const handshake = h.network.pendingHandshakes()[0]!;
    expect(handshake.options.servername).toBe("example.test");
    handshake.failHandshake("CERT_HAS_EXPIRED", "certificate has expired");
    h.tick();
    expect(h.completions.map((c) => [c.tick, ...summary(c)])).toEqual([[2, "RESULT_TLS_HANDSHAKE_ERROR", 0, [], ""]]);
    expect(h.completions[0]!.reason).toContain("CERT_HAS_EXPIRED");
  });

  it("BODY_SIZE_LIMIT_EXCEEDED from Content-Length in the tick the head arrives, before any body byte", () => {
    const h = setup();
    h.node.bodySizeLimit = 10;
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["Content-Length: 11"]));
    h.tick();
    expect(h.completions.map((c) => [c.tick, ...summary(c)])).toEqual([
      [2, "RESULT_BODY_SIZE_LIMIT_EXCEEDED", 200, ["Content-Length: 11"], ""],
    ]);
    expect([h.node.getDownloadedBytes(), h.node.getBodySize()]).toEqual([0, 11]);
    expect(h.peer().isClosed()).toBe(true);
  });

  it("BODY_SIZE_LIMIT_EXCEEDED from Content-Length even when body bytes came with the head: none is read", () => {
    const h = setup();
    h.node.bodySizeLimit = 4;
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(ok("0123456789"));
    h.tick();
    expect(summary(h.completions[0]!)).toEqual(["RESULT_BODY_SIZE_LIMIT_EXCEEDED", 200, ["Content-Length: 10"], ""]);
    expect(h.node.getDownloadedBytes()).toBe(0);
  });

  it("BODY_SIZE_LIMIT_EXCEEDED from the chunked running total, in the tick it goes over", () => {
    const h = setup();
    h.node.bodySizeLimit = 10;
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["Transfer-Encoding: chunked"], "6\r\n012345\r\n"));
    h.tick();
    expect(h.completions).toEqual([]);
    expect(h.node.getBodySize()).toBe(-1);
    h.peer().pushIncoming("6\r\n6789ab\r\n");
    h.tick();
    expect(h.completions.map((c) => [c.tick, ...summary(c)])).toEqual([
      [3, "RESULT_BODY_SIZE_LIMIT_EXCEEDED", 200, ["Transfer-Encoding: chunked"], ""],
    ]);
  });

  it("the Content-Length of a HEAD, 204 or 304 response does not count against bodySizeLimit", () => {
    const h = setup();
    h.node.bodySizeLimit = 10;
    h.node.request("http://example.test/", [], Method.METHOD_HEAD);
    h.tick();
    h.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["Content-Length: 5000"]));
    h.tick();
    expect(summary(h.completions[0]!)).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 5000"], ""]);
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(wire("HTTP/1.1 304 Not Modified", ["Content-Length: 5000"]));
    h.tick();
    expect(summary(h.completions[1]!)).toEqual(["RESULT_SUCCESS", 304, ["Content-Length: 5000"], ""]);
  });

  it("a body exactly at the limit succeeds", () => {
    const h = setup();
    h.node.bodySizeLimit = 10;
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["Transfer-Encoding: chunked"], "a\r\n0123456789\r\n0\r\n\r\n"));
    expect(h.untilDone().text).toBe("0123456789");
  });

  it("Content-Length with Transfer-Encoding: CHUNKED_BODY_SIZE_MISMATCH, nothing read", () => {
    const h = setup();
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["Content-Length: 5", "Transfer-Encoding: chunked"], "5\r\nhello\r\n0\r\n\r\n"));
    h.tick();
    expect(h.completions.map((c) => [c.tick, c.result, c.code, c.text])).toEqual([[2, Result.RESULT_CHUNKED_BODY_SIZE_MISMATCH, 0, ""]]);
    expect(h.completions[0]!.reason).toMatch(/Content-Length with Transfer-Encoding/);
    expect(h.peer().isClosed()).toBe(true);
  });

  it("a close-delimited body completes at the close, with body size -1", () => {
    const h = setup();
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["Connection: close"], "until"));
    h.tick();
    expect(h.completions).toEqual([]);
    h.peer().pushIncoming(" the end");
    h.peer().pushEnd();
    h.tick();
    expect(summary(h.completions[0]!)).toEqual(["RESULT_SUCCESS", 200, ["Connection: close"], "until the end"]);
    expect(h.node.getBodySize()).toBe(-1);
  });

  it("1xx interim responses are skipped (W9) and 204/304 with Content-Length do not wait for a body", () => {
    const h = setup();
    h.node.request("http://example.test/", [], Method.METHOD_POST, "x");
    h.tick();
    h.peer().pushIncoming("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n");
    h.peer().pushIncoming(wire("HTTP/1.1 204 No Content", ["Content-Length: 7"]));
    h.tick();
    expect(h.completions.map(summary)).toEqual([["RESULT_SUCCESS", 204, ["Content-Length: 7"], ""]]);
    expect(h.node.request("http://example.test/")).toBe(Err.OK);
    h.tick();
    expect(h.network.connections).toHaveLength(1);
    h.peer().pushIncoming(wire("HTTP/1.1 304 Not Modified", ["Content-Length: 100"]));
    h.tick();
    expect(summary(h.completions[1]!)).toEqual(["RESULT_SUCCESS", 304, ["Content-Length: 100"], ""]);
  });

  it("an HTTP error status is a SUCCESS with its code and body", () => {
    const h = setup();
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(wire("HTTP/1.1 500 Internal Server Error", ["Content-Length: 4"], "oops"));
    expect(summary(h.untilDone())).toEqual(["RESULT_SUCCESS", 500, ["Content-Length: 4"], "oops"]);
  });

  it("each tick drains every body byte that arrived (no per-tick chunk cap)", () => {
    const h = setup();
    h.node.downloadChunkSize = 256;
    h.node.request("http://example.test/");
    h.tick();
    const body = "z".repeat(100_000);
    h.peer().pushIncoming(ok(body));
    h.tick();
    expect(h.completions.map((c) => [c.tick, c.result, c.body.length])).toEqual([[2, Result.RESULT_SUCCESS, 100_000]]);
  });
});

describe("HTTPRequest on a connection closed before the request is sent (stepped)", () => {
  it.each([
    // Open, then closed before the request went out: a connection error.
    ["closed", (peer: ReturnType<ReturnType<typeof setup>["peer"]>): void => peer.pushEnd(), "RESULT_CONNECTION_ERROR"],
    // Reset before the client ever saw it open: the connect failed.
    ["reset", (peer: ReturnType<ReturnType<typeof setup>["peer"]>): void => peer.pushError("ECONNRESET"), "RESULT_CANT_CONNECT"],
  ])("a new connection %s at once: %s, nothing sent, the same on every run", (_name, end, result) => {
    for (let run = 0; run < 3; run++) {
      const h = setup({ autoAccept: false });
      h.node.request("http://example.test/");
      h.tick();
      const peer = h.peer();
      peer.accept();
      end(peer);
      const done = h.untilDone();
      expect(summary(done)[0]).toBe(result);
      expect(peer.takeOutgoing().length).toBe(0);
    }
  });
});
