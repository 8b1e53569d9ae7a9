import { describe, expect, it } from "vitest";
import { Err, HTTPRequest, Method, Result } from "../../src/index.ts";
import { ACCEPT, AE, UA, getHead, ok, setup, summary, wire } from "./helpers.ts";

describe("HTTPRequest.request() guards (stepped)", () => {
  it("has Godot's defaults", () => {
    const node = new HTTPRequest();
    expect([node.acceptGzip, node.bodySizeLimit, node.downloadChunkSize, node.downloadFile, node.maxRedirects, node.timeout]).toEqual([
      true,
      -1,
      65536,
      "",
      8,
      0,
    ]);
  });

  it("outside a tree: ERR_UNCONFIGURED, and nothing afterwards once added", () => {
    const h = setup();
    h.tree.root.removeChild(h.node);
    expect(h.node.request("http://example.test/")).toBe(Err.ERR_UNCONFIGURED);
    h.tree.root.addChild(h.node);
    h.ticks(10);
    expect(h.completions).toEqual([]);
    expect(h.network.lookups).toHaveLength(0);
  });

  it("a second request while one runs: ERR_BUSY; the first completes once, unaffected", () => {
    const h = setup();
    expect(h.node.request("http://example.test/one")).toBe(Err.OK);
    expect(h.node.request("http://example.test/two")).toBe(Err.ERR_BUSY);
    h.tick();
    expect(h.node.request("http://example.test/two")).toBe(Err.ERR_BUSY);
    expect(h.peer().takeOutgoingText()).toBe(getHead("/one"));
    h.peer().pushIncoming(ok("one"));
    h.ticks(10);
    expect(h.completions.map(summary)).toEqual([["RESULT_SUCCESS", 200, ["Content-Length: 3"], "one"]]);
    expect(h.network.connections).toHaveLength(1);
  });

  const badUrls = [
    "ftp://x",
    "http://foo.com:8080:433",
    "http://user:pw@h/",
    "http://h:0/",
    "http://h:70000/",
    "not a url",
    "http://[::1",
    "",
    "http://",
    "http:///path",
    "http://h:abc/",
    "https://exa mple.test/",
  ];
  for (const url of badUrls) {
    it(`${JSON.stringify(url)}: ERR_INVALID_PARAMETER and no signal after many ticks`, () => {
      const h = setup();
      h.node.timeout = 1;
      expect(h.node.request(url)).toBe(Err.ERR_INVALID_PARAMETER);
      expect(h.node.getErrorReason()).not.toBe("");
      h.ticks(100, 0.1);
      expect(h.completions).toEqual([]);
      expect(h.network.lookups).toHaveLength(0);
      expect(h.network.connections).toHaveLength(0);
      expect(h.node.request("http://example.test/")).toBe(Err.OK); // the refusal left nothing busy
    });
  }

  for (const header of ["X-A: 1\r\nX-Injected: 1", "X-A: 1\nX-B: 2", "X-A: a\rb", "X-A: \0", "Bad Name: 1", "NoColon"]) {
    it(`header ${JSON.stringify(header)}: ERR_INVALID_PARAMETER, nothing sent`, () => {
      const h = setup();
      expect(h.node.request("http://example.test/", [header])).toBe(Err.ERR_INVALID_PARAMETER);
      h.ticks(10);
      expect(h.completions).toEqual([]);
      expect(h.network.connections).toHaveLength(0);
    });
  }

  it("an IPv6 literal URL connects to the address and sends Host in brackets", () => {
    const h = setup();
    expect(h.node.request("http://[::1]:8080/v6?x=1")).toBe(Err.OK);
    h.tick();
    expect(h.network.lookups).toHaveLength(0);
    expect([h.peer().address, h.peer().port]).toEqual([{ address: "::1", family: 6 }, 8080]);
    expect(h.peer().takeOutgoingText()).toBe(getHead("/v6?x=1", "[::1]:8080"));
  });

  it("a query without a path: http://h?x=1 sends GET /?x=1 with Host h", () => {
    const h = setup({ hosts: { h: ["10.0.0.5"] } });
    expect(h.node.request("http://h?x=1")).toBe(Err.OK);
    h.tick();
    expect(h.network.lookups.map((l) => l.host)).toEqual(["h"]);
    expect(h.peer().takeOutgoingText()).toBe(getHead("/?x=1", "h"));
  });

  it("scheme and host are case-insensitive, the path is kept, the fragment dropped, spaces encoded", () => {
    const h = setup();
    expect(h.node.request("HTTP://EXAMPLE.TEST:80/A b/./c/../D?Q=1#frag")).toBe(Err.OK);
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(getHead("/A%20b/D?Q=1"));
  });

  it("an empty-body POST sends Content-Length: 0; a body is sent as UTF-8", () => {
    const h = setup();
    h.node.request("http://example.test/p", [], Method.METHOD_POST);
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(wire("POST /p HTTP/1.1", [AE, "Host: example.test", "Content-Length: 0", UA, ACCEPT]));
    h.peer().pushIncoming(ok());
    h.tick();
    h.node.request("http://example.test/p", [], Method.METHOD_PUT, "é");
    h.tick();
    expect(Buffer.from(h.peer().takeOutgoing()).toString("utf8")).toBe(
      wire("PUT /p HTTP/1.1", [AE, "Host: example.test", "Content-Length: 2", UA, ACCEPT], "é"),
    );
  });
});

describe("HTTPRequest completion semantics (stepped)", () => {
  it("is emitted once, at the end of the tick that finished it, never from inside request()", () => {
    const h = setup();
    expect(h.node.request("http://example.test/")).toBe(Err.OK);
    expect(h.completions).toEqual([]);
    h.tick();
    h.peer().pushIncoming(ok("x"));
    h.tick();
    expect(h.completions.map((c) => c.tick)).toEqual([2]);
    h.ticks(20);
    expect(h.completions).toHaveLength(1);
  });

  it("a failure detected inside request() itself is still emitted by the next tick, not by request()", () => {
    const h = setup();
    const orig = h.network.resolve.bind(h.network);
    h.network.resolve = () => {
      throw new Error("resolver exploded");
    };
    expect(h.node.request("http://example.test/")).toBe(Err.OK);
    expect(h.completions).toEqual([]);
    h.tick();
    expect(h.completions.map((c) => [c.tick, c.result])).toEqual([[1, Result.RESULT_CANT_RESOLVE]]);
    h.network.resolve = orig;
  });

  it("a new request() from inside the requestCompleted handler works and completes on its own", () => {
    const h = setup();
    const seen: string[] = [];
    h.node.requestCompleted.connect((_r, _c, _h, body) => {
      seen.push(Buffer.from(body).toString());
      if (seen.length === 1) expect(h.node.request("http://example.test/second")).toBe(Err.OK);
    });
    h.node.request("http://example.test/first");
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(getHead("/first"));
    h.peer().pushIncoming(ok("first"));
    h.tick();
    expect(seen).toEqual(["first"]);
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(getHead("/second"));
    expect(h.network.connections).toHaveLength(1); // the keep-alive connection is reused
    h.peer().pushIncoming(ok("second"));
    h.tick();
    expect(seen).toEqual(["first", "second"]);
    expect(h.completions.map((c) => [c.tick, ...summary(c)])).toEqual([
      [2, "RESULT_SUCCESS", 200, ["Content-Length: 5"], "first"],
      [4, "RESULT_SUCCESS", 200, ["Content-Length: 6"], "second"],
    ]);
  });

  it("chained requests: each signal carries its own headers and body, even if a handler keeps the arrays", () => {
    const h = setup();
    const kept: Array<[number, string[], Uint8Array]> = [];
    const urls = ["http://example.test/1", "http://other.test/2", "http://example.test/3"];
    h.node.requestCompleted.connect((result, code, headers, body) => {
      kept.push([code, headers, body]);
      const next = urls[kept.length];
      if (next !== undefined) h.node.request(next, [], Method.METHOD_GET);
      void result;
    });
    h.node.request(urls[0]!);
    const answers = [
      wire("HTTP/1.1 200 OK", ["X-N: 1", "Content-Length: 3"], "one"),
      wire("HTTP/1.1 404 Not Found", ["X-N: 2", "Transfer-Encoding: chunked"], "3\r\ntwo\r\n0\r\n\r\n"),
      wire("HTTP/1.1 201 Created", ["X-N: 3", "Connection: close"], "three"),
    ];
    for (const answer of answers) {
      h.tick();
      h.peer().pushIncoming(answer);
      if (answer.includes("close")) h.peer().pushEnd();
      h.tick();
    }
    h.ticks(5);
    expect(kept.map(([code, headers, body]) => [code, headers, Buffer.from(body).toString()])).toEqual([
      [200, ["X-N: 1", "Content-Length: 3"], "one"],
      [404, ["X-N: 2", "Transfer-Encoding: chunked"], "two"],
      [201, ["X-N: 3", "Connection: close"], "three"],
    ]);
    expect(h.completions.map((c) => c.result)).toEqual([Result.RESULT_SUCCESS, Result.RESULT_SUCCESS, Result.RESULT_SUCCESS]);
  });

  it("a completion never leaks into a later request: counters and reason start fresh", () => {
    const h = setup();
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["Content-Length: 10"], "12345"));
    h.peer().pushError("reset");
    h.tick();
    expect(summary(h.completions[0]!)).toEqual(["RESULT_CONNECTION_ERROR", 200, ["Content-Length: 10"], ""]);
    expect(h.node.getErrorReason()).not.toBe("");
    expect(h.node.request("http://example.test/b")).toBe(Err.OK);
    expect(h.node.getErrorReason()).toBe("");
    expect([h.node.getDownloadedBytes(), h.node.getBodySize()]).toEqual([0, -1]);
    h.tick();
    h.peer().pushIncoming(ok("fresh"));
    h.tick();
    expect(summary(h.completions[1]!)).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 5"], "fresh"]);
  });

  it("setters guarded while a request runs are ignored then, and accepted after it", () => {
    const h = setup();
    h.node.request("http://example.test/");
    h.node.bodySizeLimit = 5;
    h.node.downloadChunkSize = 1024;
    h.node.downloadFile = "/tmp/nope";
    expect([h.node.bodySizeLimit, h.node.downloadChunkSize, h.node.downloadFile]).toEqual([-1, 65536, ""]);
    h.tick();
    h.peer().pushIncoming(ok("0123456789"));
    h.tick();
    expect(h.completions[0]!.result).toBe(Result.RESULT_SUCCESS);
    h.node.bodySizeLimit = 5;
    expect(h.node.bodySizeLimit).toBe(5);
  });
});
