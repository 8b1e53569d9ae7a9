/**
 * HTTPRequest with a method given by name (any token, sent as written; the nine verbs count as
 * their Method value) and with its body held back by setBodyPaused (stepped, no socket).
 */
import { describe, expect, it } from "vitest";
import { Err, Method, Result } from "../../src/index.ts";
import { AE, ACCEPT, UA, ok, setup, wire } from "./helpers.ts";

describe("HTTPRequest: a method by name", () => {
  it("sends any token as written", () => {
    const h = setup();
    expect(h.node.request("http://example.test/dav", [], "PROPFIND")).toBe(Err.OK);
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(wire("PROPFIND /dav HTTP/1.1", [AE, "Host: example.test", UA, ACCEPT]));
    h.peer().pushIncoming(ok("multi"));
    expect(h.untilDone()).toMatchObject({ result: Result.RESULT_SUCCESS, code: 200, text: "multi" });
  });

  it('"HEAD" by name is METHOD_HEAD: a Content-Length answer has no body', () => {
    const h = setup();
    expect(h.node.request("http://example.test/", [], "HEAD")).toBe(Err.OK);
    h.tick();
    h.peer().pushIncoming("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
    expect(h.untilDone()).toMatchObject({ result: Result.RESULT_SUCCESS, code: 200, text: "" });
  });

  it("refuses a name that is not a token, and an empty one", () => {
    const h = setup();
    expect(h.node.request("http://example.test/", [], "BAD METHOD")).toBe(Err.ERR_INVALID_PARAMETER);
    expect(h.node.request("http://example.test/", [], "")).toBe(Err.ERR_INVALID_PARAMETER);
    expect(h.node.request("http://example.test/", [], Method.METHOD_MAX)).toBe(Err.ERR_INVALID_PARAMETER);
  });
});

describe("HTTPRequest.setBodyPaused", () => {
  it("leaves the body in the connection while paused and reads it all after resuming", () => {
    const h = setup();
    const pieces: string[] = [];
    h.node.bodyData.connect((chunk) => pieces.push(Buffer.from(chunk).toString()));
    expect(h.node.request("http://example.test/")).toBe(Err.OK);
    h.tick();
    h.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["Content-Length: 10"], "first"));
    h.tick();
    expect(pieces).toEqual(["first"]);
    h.node.setBodyPaused(true);
    expect(h.node.isBodyPaused()).toBe(true);
    h.peer().pushIncoming("-last");
    h.ticks(5);
    expect([pieces, h.completions.length]).toEqual([["first"], 0]);
    h.node.setBodyPaused(false);
    expect(h.tree.isWakePending()).toBe(true);
    h.tick();
    expect(pieces).toEqual(["first", "-last"]);
    expect(h.completions[0]).toMatchObject({ result: Result.RESULT_SUCCESS, code: 200 });
  });

  it("a new request starts unpaused", () => {
    const h = setup();
    h.node.setBodyPaused(true);
    expect(h.node.request("http://example.test/")).toBe(Err.OK);
    expect(h.node.isBodyPaused()).toBe(false);
  });
});
