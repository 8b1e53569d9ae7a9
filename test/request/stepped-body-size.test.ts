// getBodySize() follows one rule with HTTPClient.getResponseBodyLength(): 0 for a response that can
// have no body (HEAD, 204, 304) whatever it announces, the Content-Length, or -1 when unknown.
import { describe, expect, it } from "vitest";
import { Method } from "../../src/index.ts";
import { setup, summary, wire } from "./helpers.ts";

describe("getBodySize() (stepped)", () => {
  it.each([
    ["HEAD answered with Content-Length: 13", Method.METHOD_HEAD, "HTTP/1.1 200 OK", ["Content-Length: 13"], "", 0],
    ["HEAD answered chunked", Method.METHOD_HEAD, "HTTP/1.1 200 OK", ["Transfer-Encoding: chunked"], "", 0],
    ["204 with Content-Length: 5", Method.METHOD_GET, "HTTP/1.1 204 No Content", ["Content-Length: 5"], "", 0],
    ["304 with Content-Length: 13", Method.METHOD_GET, "HTTP/1.1 304 Not Modified", ["Content-Length: 13"], "", 0],
    ["GET with Content-Length: 5", Method.METHOD_GET, "HTTP/1.1 200 OK", ["Content-Length: 5"], "hello", 5],
    ["GET chunked", Method.METHOD_GET, "HTTP/1.1 200 OK", ["Transfer-Encoding: chunked"], "5\r\nhello\r\n0\r\n\r\n", -1],
    ["GET close-delimited", Method.METHOD_GET, "HTTP/1.1 200 OK", ["Connection: close"], "hello", -1],
  ])("%s: %s", (_name, method, status, headers, body, size) => {
    const h = setup();
    h.node.request("http://example.test/", [], method);
    h.tick();
    expect(h.node.getBodySize()).toBe(-1);
    h.peer().pushIncoming(wire(status, headers, body));
    if (headers.includes("Connection: close")) h.peer().pushEnd();
    const done = h.untilDone();
    expect(summary(done)[0]).toBe("RESULT_SUCCESS");
    expect(h.node.getBodySize()).toBe(size);
  });
});
