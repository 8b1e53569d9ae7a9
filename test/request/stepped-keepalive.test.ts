import { describe, expect, it } from "vitest";
import { Err, Method, Result } from "../../src/index.ts";
import { ACCEPT, AE, UA, getHead, ok, setup, summary, wire, type Harness } from "./helpers.ts";

/** Runs one GET to completion on the current connection and leaves the connection kept. */
function firstRequest(h: Harness): void {
  expect(h.node.request("http://example.test/one")).toBe(Err.OK);
  h.tick();
  expect(h.peer().takeOutgoingText()).toBe(getHead("/one"));
  h.peer().pushIncoming(ok("one"));
  h.tick();
  expect(h.completions.map(summary)).toEqual([["RESULT_SUCCESS", 200, ["Content-Length: 3"], "one"]]);
  expect(h.peer(0).isClosed()).toBe(false);
}

const postHead = wire("POST /two HTTP/1.1", [AE, "Host: example.test", "Content-Length: 4", UA, ACCEPT], "data");

describe("HTTPRequest keep-alive (stepped)", () => {
  it("the next request to the same origin reuses the kept connection", () => {
    const h = setup();
    firstRequest(h);
    h.node.request("http://example.test/two");
    h.tick();
    expect(h.network.connections).toHaveLength(1);
    expect(h.peer(0).takeOutgoingText()).toBe(getHead("/two"));
    h.peer(0).pushIncoming(ok("two"));
    h.tick();
    expect(summary(h.completions[1]!)).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 3"], "two"]);
  });

  it("a request to another origin closes the kept connection and opens a new one", () => {
    const h = setup();
    firstRequest(h);
    h.node.request("http://other.test/two");
    expect(h.peer(0).isClosed()).toBe(true);
    h.tick();
    expect(h.peer(1).takeOutgoingText()).toBe(getHead("/two", "other.test"));
  });

  it("stale: the server closed the idle connection; the next request reconnects transparently", () => {
    const h = setup();
    firstRequest(h);
    h.peer(0).pushEnd();
    h.node.request("http://example.test/two", [], Method.METHOD_POST, "data");
    h.tick();
    expect(h.network.connections).toHaveLength(2);
    expect(h.peer(0).takeOutgoingText()).toBe("");
    expect(h.peer(1).takeOutgoingText()).toBe(postHead);
    h.peer(1).pushIncoming(ok("two"));
    h.tick();
    expect(summary(h.completions[1]!)).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 3"], "two"]);
  });

  it("stale: the idle connection was reset; the next request reconnects transparently", () => {
    const h = setup();
    firstRequest(h);
    h.peer(0).pushError("idle reset");
    h.node.request("http://example.test/two", [], Method.METHOD_POST, "data");
    h.tick();
    expect(h.network.connections).toHaveLength(2);
    expect(h.peer(1).takeOutgoingText()).toBe(postHead);
    h.peer(1).pushIncoming(ok("two"));
    h.tick();
    expect(h.completions.map((c) => c.result)).toEqual([Result.RESULT_SUCCESS, Result.RESULT_SUCCESS]);
  });

  it("stale: the server sent stray bytes on the idle connection; the next request uses a new one", () => {
    const h = setup();
    firstRequest(h);
    h.peer(0).pushIncoming("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n");
    h.node.request("http://example.test/two");
    h.tick();
    expect(h.network.connections).toHaveLength(2);
    expect(h.peer(0).isClosed()).toBe(true);
    expect(h.peer(1).takeOutgoingText()).toBe(getHead("/two"));
    h.peer(1).pushIncoming(ok("two"));
    h.tick();
    expect(h.completions[1]!.text).toBe("two");
  });

  for (const how of ["close", "reset"] as const) {
    it(`a reused connection that ${how}s after the request without answering: GET is retried once on a new connection`, () => {
      const h = setup();
      firstRequest(h);
      h.node.request("http://example.test/two");
      h.tick();
      expect(h.peer(0).takeOutgoingText()).toBe(getHead("/two"));
      if (how === "close") h.peer(0).pushEnd();
      else h.peer(0).pushError("reset after request");
      h.tick();
      expect(h.completions).toHaveLength(1);
      expect(h.network.connections).toHaveLength(2);
      expect(h.peer(1).takeOutgoingText()).toBe(getHead("/two"));
      h.peer(1).pushIncoming(ok("retried"));
      h.tick();
      expect(summary(h.completions[1]!)).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 7"], "retried"]);
    });

    it(`a reused connection that ${how}s after a POST without answering: not retried`, () => {
      const h = setup();
      firstRequest(h);
      h.node.request("http://example.test/two", [], Method.METHOD_POST, "data");
      h.tick();
      expect(h.peer(0).takeOutgoingText()).toBe(postHead);
      if (how === "close") h.peer(0).pushEnd();
      else h.peer(0).pushError("reset after request");
      h.tick();
      expect(h.network.connections).toHaveLength(1);
      const done = h.completions[1]!;
      expect([Result.RESULT_NO_RESPONSE, Result.RESULT_CONNECTION_ERROR]).toContain(done.result);
      expect([done.code, done.headers, done.text]).toEqual([0, [], ""]);
    });
  }

  it("the retry happens once: a fresh connection that also closes gives NO_RESPONSE", () => {
    const h = setup();
    firstRequest(h);
    h.node.request("http://example.test/two");
    h.tick();
    h.peer(0).pushEnd();
    h.tick();
    expect(h.peer(1).takeOutgoingText()).toBe(getHead("/two"));
    h.peer(1).pushEnd();
    h.tick();
    expect(h.network.connections).toHaveLength(2);
    expect(summary(h.completions[1]!)).toEqual(["RESULT_NO_RESPONSE", 0, [], ""]);
  });

  it("a reused connection that closes after part of the response is not retried", () => {
    const h = setup();
    firstRequest(h);
    h.node.request("http://example.test/two");
    h.tick();
    h.peer(0).pushIncoming("HTTP/1.1 200 OK\r\nContent-Le");
    h.peer(0).pushEnd();
    h.tick();
    expect(h.network.connections).toHaveLength(1);
    expect(h.completions[1]!.result).toBe(Result.RESULT_CONNECTION_ERROR);
  });

  it("a response with Connection: close is not kept", () => {
    const h = setup();
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(ok("x", ["Connection: close"]));
    h.tick();
    expect(h.peer(0).isClosed()).toBe(true);
    h.node.request("http://example.test/");
    h.tick();
    expect(h.network.connections).toHaveLength(2);
  });
});
