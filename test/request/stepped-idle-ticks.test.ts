import { describe, expect, it } from "vitest";
import { Err, Result, Status } from "../../src/index.ts";
import { ok, setup } from "./helpers.ts";

// Ticks in which nothing arrives while a request waits for its response head take a short path
// (nothing polled); these check that anything the peer does afterwards is still seen at once.
describe("HTTPRequest idle ticks while waiting for the response head (stepped)", () => {
  it("a response pushed after many idle ticks completes in the next tick", () => {
    const h = setup();
    expect(h.node.request("http://example.test/a")).toBe(Err.OK);
    h.ticks(3);
    expect(h.node.getHttpClientStatus()).toBe(Status.STATUS_REQUESTING);
    h.ticks(500);
    expect(h.completions).toEqual([]);
    h.peer().pushIncoming(ok("hello"));
    const frame = h.tick();
    expect(h.completions.map((c) => [c.tick, c.result, c.code, c.text])).toEqual([[frame, Result.RESULT_SUCCESS, 200, "hello"]]);
  });

  it("a head pushed one byte per tick, with idle ticks between, is read the same", () => {
    const h = setup();
    h.node.request("http://example.test/a");
    h.ticks(3);
    const bytes = ok("x");
    for (const ch of bytes) {
      h.ticks(2);
      h.peer().pushIncoming(ch);
    }
    expect(h.completions).toEqual([]);
    h.tick();
    expect(h.completions.map((c) => [c.result, c.code, c.text])).toEqual([[Result.RESULT_SUCCESS, 200, "x"]]);
  });

  it("the timeout still fires on the tick that reaches it", () => {
    const h = setup();
    h.node.timeout = 1;
    h.node.request("http://example.test/a");
    h.ticks(9, 0.1); // 0.9 s, idle from the second tick on
    expect(h.completions).toEqual([]);
    h.tick(0.1);
    expect(h.completions.map((c) => [c.tick, c.result])).toEqual([[10, Result.RESULT_TIMEOUT]]);
  });

  it("a reset or a close while idle ends the request in the next tick", () => {
    const reset = setup();
    reset.node.request("http://example.test/a");
    reset.ticks(20);
    reset.peer().pushError("reset by the script");
    reset.tick();
    expect(reset.completions.map((c) => c.result)).toEqual([Result.RESULT_CONNECTION_ERROR]);

    const closed = setup();
    closed.node.request("http://example.test/a");
    closed.ticks(20);
    closed.peer().pushEnd();
    closed.tick();
    expect(closed.completions.map((c) => c.result)).toEqual([Result.RESULT_NO_RESPONSE]);
  });

  it("cancel and a new request while idle: the new request is sent and answered", () => {
    const h = setup();
    h.node.request("http://example.test/a");
    h.ticks(10);
    h.node.cancelRequest();
    expect(h.node.request("http://example.test/b")).toBe(Err.OK);
    h.ticks(2);
    expect(h.peer().takeOutgoingText()).toContain("GET /b HTTP/1.1");
    h.peer().pushIncoming(ok("b"));
    h.tick();
    expect(h.completions.map((c) => [c.result, c.text])).toEqual([[Result.RESULT_SUCCESS, "b"]]);
  });
});
