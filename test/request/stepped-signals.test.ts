import { describe, expect, it } from "vitest";
import { gzipSync } from "node:zlib";
import { Err, Method, Result } from "../../src/index.ts";
import { bytes, latin1, ok, redirect, setup, type Harness } from "./helpers.ts";

/** Records every signal of the node as `[tick, name, ...args]`, in emission order. */
function record(h: Harness): Array<[number, string, ...unknown[]]> {
  const log: Array<[number, string, ...unknown[]]> = [];
  const at = (): number => h.tree.getFrame();
  h.node.headersReceived.connect((code, headers) => log.push([at(), "headers", code, headers.length]));
  h.node.redirectReceived.connect((code, method, url) => log.push([at(), "redirect", code, method, url]));
  h.node.bodyData.connect((chunk) => log.push([at(), "data", latin1(chunk)]));
  h.node.downloadProgress.connect((received, total) => log.push([at(), "progress", received, total]));
  h.node.requestCompleted.connect((result, code, _headers, body) => log.push([at(), "completed", result, code, latin1(body)]));
  return log;
}

describe("HTTPRequest signals: order and count per tick", () => {
  it("headers, body data, progress and completion come once per tick in a fixed order", () => {
    const h = setup();
    const log = record(h);
    expect(h.node.request("http://example.test/file")).toBe(Err.OK);
    h.tick(); // connects and sends
    h.peer().pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    h.peer().pushIncoming("de"); // two pieces in one tick: one bodyData emission
    h.tick();
    h.peer().pushIncoming("fgh");
    h.tick();
    h.tick(); // nothing new: nothing emitted
    h.peer().pushIncoming("ij");
    h.tick();
    expect(log).toEqual([
      [2, "headers", 200, 1],
      [2, "data", "abcde"],
      [2, "progress", 5, 10],
      [3, "data", "fgh"],
      [3, "progress", 8, 10],
      [5, "data", "ij"],
      [5, "progress", 10, 10],
      [5, "completed", Result.RESULT_SUCCESS, 200, ""], // taken by bodyData, so not accumulated
    ]);
  });

  it("downloadProgress: (0, total) on the tick the head arrives alone, then only on ticks in which body bytes arrived (as documented)", () => {
    const h = setup();
    const log = record(h);
    h.node.request("http://example.test/file");
    h.tick();
    h.peer().pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n");
    h.tick();
    h.tick(); // no byte: no progress
    h.peer().pushIncoming("abc");
    h.tick();
    h.tick(); // no byte: no progress
    h.peer().pushIncoming("def");
    h.tick();
    expect(log.filter((e) => e[1] === "progress" || e[1] === "headers")).toEqual([
      [2, "headers", 200, 1],
      [2, "progress", 0, 6],
      [4, "progress", 3, 6],
      [6, "progress", 6, 6],
    ]);
  });

  it("without bodyData listeners the body is accumulated for requestCompleted; progress counts wire bytes", () => {
    const h = setup();
    const progress: Array<[number, number]> = [];
    h.node.downloadProgress.connect((received, total) => progress.push([received, total]));
    const gz = gzipSync(Buffer.from("hello hello hello hello"));
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(bytes(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`, gz));
    const done = h.untilDone();
    expect([done.result, done.text]).toEqual([Result.RESULT_SUCCESS, "hello hello hello hello"]);
    expect(progress).toEqual([[gz.length, gz.length]]);
  });

  it("a chunked body reports total -1; a body-less response reports headers and completion only", () => {
    const h = setup();
    const log = record(h);
    h.node.request("http://example.test/a");
    h.tick();
    h.peer().pushIncoming("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    h.tick();
    h.node.request("http://example.test/b");
    h.tick();
    h.peer().pushIncoming("HTTP/1.1 204 No Content\r\n\r\n");
    h.tick();
    expect(log.filter((e) => e[1] !== "data")).toEqual([
      [2, "headers", 200, 1],
      [2, "progress", 3, -1],
      [2, "completed", Result.RESULT_SUCCESS, 200, ""],
      [4, "headers", 204, 0],
      [4, "progress", 0, 0],
      [4, "completed", Result.RESULT_SUCCESS, 204, ""],
    ]);
  });

  it("a listener that cancels the request in headersReceived stops every later emission of that tick", () => {
    const h = setup();
    const log = record(h);
    h.node.headersReceived.connect(() => h.node.cancelRequest());
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(ok("whole body"));
    h.tick();
    h.ticks(3);
    expect(log).toEqual([[2, "headers", 200, 1]]);
  });
});

describe("HTTPRequest redirect modes", () => {
  it('"manual" emits redirectReceived and waits; followRedirect() continues on the kept connection', () => {
    const h = setup();
    const log = record(h);
    h.node.redirectMode = "manual";
    h.node.request("http://example.test/old", [], Method.METHOD_POST, "data");
    h.tick();
    h.peer().pushIncoming(redirect(303, "/new"));
    h.tick();
    h.ticks(5); // waits: nothing is sent, nothing emitted
    expect(log).toEqual([[2, "redirect", 303, "GET", "http://example.test/new"]]);
    const before = h.peer().takeOutgoingText();
    expect(before).toContain("POST /old HTTP/1.1");
    expect(h.peer().takeOutgoingText()).toBe("");
    expect(h.node.followRedirect()).toBe(Err.OK);
    h.tick();
    expect(h.peer().takeOutgoingText()).toMatch(/^GET \/new HTTP\/1\.1\r\n/);
    h.peer().pushIncoming(ok("there"));
    const done = h.untilDone();
    expect([done.result, done.code, done.text]).toEqual([Result.RESULT_SUCCESS, 200, ""]); // taken by bodyData
    expect(log.filter((e) => e[1] === "data").map((e) => e[2])).toEqual(["there"]);
    expect(h.network.connections).toHaveLength(1);
    expect(h.node.followRedirect()).toBe(Err.ERR_UNCONFIGURED);
  });

  it('"manual" then cancelRequest() ends it with nothing emitted', () => {
    const h = setup();
    h.node.redirectMode = "manual";
    h.node.redirectReceived.connect(() => h.node.cancelRequest());
    h.node.request("http://example.test/old");
    h.tick();
    h.peer().pushIncoming(redirect(302, "http://other.test/x"));
    h.ticks(5);
    expect(h.completions).toEqual([]);
    expect(h.network.connections).toHaveLength(1);
    expect(h.peer(0).isClosed()).toBe(true);
  });

  it('"manual" keeps counting the timeout while it waits', () => {
    const h = setup();
    h.node.redirectMode = "manual";
    h.node.timeout = 1;
    h.node.request("http://example.test/old");
    h.tick(0.1);
    h.peer().pushIncoming(redirect(302, "/new"));
    h.tick(0.1);
    const done = h.untilDone(20, 0.25);
    expect(done.result).toBe(Result.RESULT_TIMEOUT);
  });

  it('"error" ends a redirect with REDIRECT_LIMIT_REACHED, the 3xx code and headers, and a reason naming the target', () => {
    const h = setup();
    h.node.redirectMode = "error";
    h.node.request("http://example.test/old");
    h.tick();
    h.peer().pushIncoming(redirect(301, "http://other.test/new"));
    const done = h.untilDone();
    expect([done.result, done.code]).toEqual([Result.RESULT_REDIRECT_LIMIT_REACHED, 301]);
    expect(done.headers).toContain("Location: http://other.test/new");
    expect(done.reason).toContain("http://other.test/new");
    expect(done.reason).toContain('redirectMode is "error"');
  });
});

describe("HTTPRequest AbortSignal", () => {
  it("aborting cancels at once like cancelRequest(): nothing emitted, connection closed, a new request may start", () => {
    const h = setup();
    const controller = new AbortController();
    h.node.request("http://example.test/slow", [], Method.METHOD_GET, "", { signal: controller.signal });
    h.tick();
    h.peer().pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart");
    h.tick();
    controller.abort(new Error("user left the menu"));
    expect(h.node.getErrorReason()).toBe("aborted: user left the menu");
    expect(h.peer().isClosed()).toBe(true);
    h.ticks(3);
    expect(h.completions).toEqual([]);
    expect(h.node.request("http://example.test/next")).toBe(Err.OK);
  });

  it("an already aborted signal is refused; the listener is released after completion", () => {
    const h = setup();
    const aborted = AbortSignal.abort();
    expect(h.node.request("http://example.test/", [], Method.METHOD_GET, "", { signal: aborted })).toBe(Err.ERR_INVALID_PARAMETER);
    expect(h.node.getErrorReason()).toContain("already aborted");
    const controller = new AbortController();
    h.node.request("http://example.test/", [], Method.METHOD_GET, "", { signal: controller.signal });
    h.tick();
    h.peer().pushIncoming(ok("x"));
    expect(h.untilDone().result).toBe(Result.RESULT_SUCCESS);
    h.node.request("http://example.test/again");
    controller.abort(); // belongs to the finished request: must not cancel the new one
    h.tick();
    h.peer().pushIncoming(ok("y"));
    expect(h.untilDone().text).toBe("y");
  });
});
