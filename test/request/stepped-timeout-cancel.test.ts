import { describe, expect, it } from "vitest";
import { Err, HTTPRequest, Node, Result, Status } from "../../src/index.ts";
import { getHead, ok, redirect, setup, summary, wire } from "./helpers.ts";

describe("HTTPRequest timeout (stepped, virtual time)", () => {
  it("timeout 1 with ticks of 0.6 s: TIMEOUT on the second tick, code 0, nothing kept", () => {
    const h = setup({ hosts: {} }); // the lookup stays pending
    h.node.timeout = 1;
    expect(h.node.request("http://slow.test/")).toBe(Err.OK);
    const lookup = h.network.pendingLookups()[0]!;
    h.tick(0.6);
    expect(h.completions).toEqual([]);
    h.tick(0.6);
    expect(h.completions.map((c) => [c.tick, ...summary(c)])).toEqual([[2, "RESULT_TIMEOUT", 0, [], ""]]);
    expect(lookup.isCancelled()).toBe(true);
    h.ticks(10, 1);
    expect(h.completions).toHaveLength(1);
  });

  it("ticks that add up to the timeout reach it despite float rounding (10 × 0.1 s, 60 × 1/60 s)", () => {
    for (const [delta, count] of [
      [0.1, 10],
      [1 / 60, 60],
      [0.7, 3],
    ] as const) {
      const h = setup({ hosts: {} });
      h.node.timeout = delta === 0.7 ? 2.1 : 1;
      h.node.request("http://slow.test/");
      h.ticks(count - 1, delta);
      expect(h.completions, `${count} x ${delta}`).toEqual([]);
      h.tick(delta);
      expect(
        h.completions.map((c) => [c.tick, c.result]),
        `${count} x ${delta}`,
      ).toEqual([[count, Result.RESULT_TIMEOUT]]);
    }
  });

  it("the deadline counts from request(), not from the tree's start", () => {
    const h = setup({ hosts: {} });
    h.node.timeout = 1;
    h.ticks(5, 0.9); // idle time before the request does not count
    h.node.request("http://slow.test/");
    h.tick(0.9);
    expect(h.completions).toEqual([]);
    h.tick(0.1);
    expect(h.completions.map((c) => [c.tick, c.result])).toEqual([[7, Result.RESULT_TIMEOUT]]);
  });

  it("time is counted across redirect hops, not restarted; the 3xx is not reported as the answer", () => {
    const h = setup();
    h.node.timeout = 1;
    h.node.request("http://example.test/a");
    h.tick(0.4);
    expect(h.peer().takeOutgoingText()).toBe(getHead("/a"));
    h.peer().pushIncoming(redirect(302, "http://other.test/b"));
    h.tick(0.4);
    expect(h.peer().takeOutgoingText()).toBe(getHead("/b", "other.test"));
    expect(h.completions).toEqual([]);
    h.tick(0.4); // 1.2 s since request(); only 0.4 s on this hop
    expect(h.completions.map((c) => [c.tick, ...summary(c)])).toEqual([[3, "RESULT_TIMEOUT", 0, [], ""]]);
    expect(h.peer().isClosed()).toBe(true);
  });

  it("a timeout while the body streams keeps the code and headers", () => {
    const h = setup();
    h.node.timeout = 2;
    h.node.request("http://example.test/");
    h.tick(0.5);
    h.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["X-A: 1", "Content-Length: 100"], "partial"));
    h.tick(0.5);
    expect(h.node.getDownloadedBytes()).toBe(7);
    h.tick(0.5);
    expect(h.completions).toEqual([]);
    h.tick(0.5);
    expect(h.completions.map((c) => [c.tick, ...summary(c)])).toEqual([[4, "RESULT_TIMEOUT", 200, ["X-A: 1", "Content-Length: 100"], ""]]);
    expect(h.node.getErrorReason()).toMatch(/timed out/);
    expect(h.peer().isClosed()).toBe(true);
  });

  it("timeout 0 never fires", () => {
    const h = setup({ hosts: {} });
    expect(h.node.timeout).toBe(0);
    h.node.request("http://slow.test/");
    h.ticks(1000, 10);
    expect(h.completions).toEqual([]);
    h.network.pendingLookups()[0]!.resolve(["10.0.0.9"]);
    h.tick();
    h.peer().pushIncoming(ok("late"));
    expect(summary(h.untilDone())).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 4"], "late"]);
  });

  it("a negative or non-finite timeout assignment is ignored", () => {
    const h = setup();
    h.node.timeout = 2;
    h.node.timeout = -1;
    expect(h.node.timeout).toBe(2);
    h.node.timeout = Number.NaN;
    expect(h.node.timeout).toBe(2);
    h.node.timeout = Number.POSITIVE_INFINITY;
    expect(h.node.timeout).toBe(2);
    expect(h.node.getErrorReason()).toMatch(/timeout/);
  });

  it("a request refused for a bad URL never times out later (Godot W25)", () => {
    const h = setup();
    h.node.timeout = 0.5;
    expect(h.node.request("ftp://example.test/")).toBe(Err.ERR_INVALID_PARAMETER);
    h.ticks(20, 1);
    expect(h.completions).toEqual([]);
  });
});

describe("HTTPRequest cancelRequest (stepped)", () => {
  it("while resolving: the lookup is cancelled, nothing is emitted, a late answer changes nothing", () => {
    const h = setup({ hosts: {} });
    h.node.request("http://slow.test/");
    h.tick();
    const lookup = h.network.pendingLookups()[0]!;
    h.node.cancelRequest();
    expect(lookup.isCancelled()).toBe(true);
    expect(h.node.getHttpClientStatus()).toBe(Status.STATUS_DISCONNECTED);
    lookup.resolve(["10.0.0.1"]);
    h.ticks(20);
    expect(h.completions).toEqual([]);
    expect(h.network.connections).toHaveLength(0);
  });

  it("while connecting: the peer is closed and a late accept changes nothing", () => {
    const h = setup({ autoAccept: false });
    h.node.request("http://example.test/");
    h.tick();
    const peer = h.network.pendingConnections()[0]!;
    h.node.cancelRequest();
    expect(peer.isClosed()).toBe(true);
    peer.accept();
    h.ticks(20);
    expect(h.completions).toEqual([]);
    expect(peer.takeOutgoingText()).toBe("");
  });

  it("while requesting: the peer is closed and the late response is ignored", () => {
    const h = setup();
    h.node.request("http://example.test/");
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(getHead("/"));
    h.node.cancelRequest();
    expect(h.peer().isClosed()).toBe(true);
    h.peer().pushIncoming(ok("late"));
    h.ticks(20);
    expect(h.completions).toEqual([]);
  });

  it("while the body streams: closed at once, nothing emitted ever after", () => {
    const h = setup();
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["Content-Length: 10"], "12345"));
    h.tick();
    expect(h.node.getHttpClientStatus()).toBe(Status.STATUS_BODY);
    h.node.cancelRequest();
    expect(h.peer().isClosed()).toBe(true);
    h.peer().pushIncoming("67890");
    h.ticks(50);
    expect(h.completions).toEqual([]);
    expect(h.node.getDownloadedBytes()).toBe(5); // kept after cancel, as in Godot
  });

  it("cancel and request() again in the same tick: only the second request completes, with its own result", () => {
    const h = setup();
    h.node.request("http://example.test/first");
    h.tick();
    const first = h.peer();
    h.node.cancelRequest();
    expect(h.node.request("http://other.test/second")).toBe(Err.OK);
    first.pushIncoming(ok("first"));
    h.tick();
    expect(h.peer().takeOutgoingText()).toBe(getHead("/second", "other.test"));
    h.peer().pushIncoming(ok("second!"));
    h.tick();
    h.ticks(10);
    expect(h.completions.map(summary)).toEqual([["RESULT_SUCCESS", 200, ["Content-Length: 7"], "second!"]]);
  });

  it("cancelled by a node processed earlier in the tick in which the response is complete: only the replacement completes", () => {
    const h = setup();
    let armed = false;
    class Canceller extends Node {
      override _process(): void {
        if (!armed) return;
        armed = false;
        h.node.cancelRequest();
        expect(h.node.request("http://example.test/replacement")).toBe(Err.OK);
      }
    }
    // The canceller is processed before the HTTPRequest (pre-order: it goes first under the root).
    const canceller = new Canceller("canceller");
    h.tree.root.removeChild(h.node);
    h.tree.root.addChild(canceller);
    h.tree.root.addChild(h.node);
    h.node.request("http://example.test/original");
    h.tick();
    const first = h.peer();
    expect(first.takeOutgoingText()).toBe(getHead("/original"));
    first.pushIncoming(ok("original"));
    armed = true;
    h.tick(); // the canceller runs first, then the node sends the replacement on a new connection
    expect(first.isClosed()).toBe(true);
    expect(h.network.connections).toHaveLength(2);
    expect(h.peer().takeOutgoingText()).toBe(getHead("/replacement"));
    h.peer().pushIncoming(ok("replacement"));
    h.ticks(5);
    expect(h.completions.map(summary)).toEqual([["RESULT_SUCCESS", 200, ["Content-Length: 11"], "replacement"]]);
  });

  it("cancel from the completion handler of the finished request does nothing harmful", () => {
    const h = setup();
    h.node.requestCompleted.connect(() => h.node.cancelRequest());
    h.node.request("http://example.test/");
    h.tick();
    h.peer().pushIncoming(ok("x"));
    h.ticks(5);
    expect(h.completions).toHaveLength(1);
  });

  it("leaving the tree cancels without a signal", () => {
    const h = setup();
    h.node.request("http://example.test/");
    h.tick();
    h.tree.root.removeChild(h.node);
    expect(h.peer().isClosed()).toBe(true);
    h.tree.root.addChild(h.node);
    h.ticks(10);
    expect(h.completions).toEqual([]);
    expect(h.node.request("http://example.test/again")).toBe(Err.OK);
  });

  it("a node that is not ticked by a tree is refused with ERR_UNCONFIGURED (sanity for the harness)", () => {
    expect(new HTTPRequest().request("http://example.test/")).toBe(Err.ERR_UNCONFIGURED);
  });
});
