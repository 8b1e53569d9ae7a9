import { describe, expect, it } from "vitest";
import { Err, Method, Result, resultName, type ScriptedPeer } from "../../src/index.ts";
import { ACCEPT, AE, UA, getHead, ok, redirect, setup, summary, wire, type Harness } from "./helpers.ts";

const FORM = ["Content-Type: application/x-www-form-urlencoded"];

/** Starts a request and ticks once; returns what was written on the wire. */
function start(h: Harness, url: string, headers: readonly string[] = [], method: Method = Method.METHOD_GET, body = ""): string {
  expect(h.node.request(url, headers, method, body)).toBe(Err.OK);
  h.tick();
  return h.peer().takeOutgoingText();
}

/** Answers the first request with `response`, ticks once, and returns what the next hop wrote on `next()`. */
function answer(h: Harness, response: string, next: () => ScriptedPeer = () => h.peer()): string {
  h.peer().pushIncoming(response);
  h.tick();
  return next().takeOutgoingText();
}

describe("HTTPRequest redirects (stepped)", () => {
  describe("method and body per status", () => {
    const post = (verb: string, target: string): string =>
      wire(`${verb} ${target} HTTP/1.1`, [...FORM, AE, "Host: example.test", "Content-Length: 3", UA, ACCEPT], "a=1");

    for (const code of [301, 302]) {
      it(`${code} after POST becomes GET without body, Content-Length or Content-Type`, () => {
        const h = setup();
        expect(start(h, "http://example.test/form", FORM, Method.METHOD_POST, "a=1")).toBe(post("POST", "/form"));
        expect(answer(h, redirect(code, "/done"))).toBe(getHead("/done"));
        h.peer().pushIncoming(ok("fine"));
        h.tick();
        expect(h.completions.map(summary)).toEqual([["RESULT_SUCCESS", 200, ["Content-Length: 4"], "fine"]]);
        expect(h.network.connections).toHaveLength(1);
      });
    }

    it("301 after PUT keeps the method and the body", () => {
      const h = setup();
      expect(start(h, "http://example.test/form", FORM, Method.METHOD_PUT, "a=1")).toBe(post("PUT", "/form"));
      expect(answer(h, redirect(301, "/moved"))).toBe(post("PUT", "/moved"));
      h.peer().pushIncoming(ok());
      expect(summary(h.untilDone())).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 0"], ""]);
    });

    for (const method of [Method.METHOD_POST, Method.METHOD_PUT]) {
      it(`303 after ${method === Method.METHOD_POST ? "POST" : "PUT"} becomes GET without body`, () => {
        const h = setup();
        start(h, "http://example.test/form", FORM, method, "a=1");
        expect(answer(h, redirect(303, "/see"))).toBe(getHead("/see"));
        h.peer().pushIncoming(ok("x"));
        expect(h.untilDone().result).toBe(Result.RESULT_SUCCESS);
      });
    }

    it("303 after HEAD stays HEAD", () => {
      const h = setup();
      const head = (target: string): string => wire(`HEAD ${target} HTTP/1.1`, [AE, "Host: example.test", UA, ACCEPT]);
      expect(start(h, "http://example.test/h", [], Method.METHOD_HEAD)).toBe(head("/h"));
      expect(answer(h, redirect(303, "/other"))).toBe(head("/other"));
      h.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["Content-Length: 10"])); // HEAD: no body follows
      expect(summary(h.untilDone())).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 10"], ""]);
    });

    for (const code of [307, 308]) {
      for (const [verb, method] of [
        ["POST", Method.METHOD_POST],
        ["PUT", Method.METHOD_PUT],
      ] as const) {
        it(`${code} after ${verb} keeps the method and the body`, () => {
          const h = setup();
          expect(start(h, "http://example.test/form", FORM, method, "a=1")).toBe(post(verb, "/form"));
          expect(answer(h, redirect(code, "/again"))).toBe(post(verb, "/again"));
          h.peer().pushIncoming(ok("done"));
          expect(summary(h.untilDone())).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 4"], "done"]);
        });
      }
    }
  });

  describe("Location resolution", () => {
    const cases: Array<[location: string, host: string, target: string]> = [
      ["/p", "example.test", "/p"],
      ["p", "example.test", "/a/b/p"],
      ["../p", "example.test", "/a/p"],
      ["?q", "example.test", "/a/b/c?q"],
      ["./p?x=1#frag", "example.test", "/a/b/p?x=1"],
      ["//other.test/p", "other.test", "/p"],
      ["http://other.test", "other.test", "/"],
      ['/a b/%7e?x="y"', "example.test", "/a%20b/%7e?x=%22y%22"],
      ["http://[::1]:81/v6", "[::1]:81", "/v6"],
    ];
    for (const [location, host, target] of cases) {
      it(`"${location}" from http://example.test/a/b/c?z=1 goes to ${host}${target}`, () => {
        const h = setup();
        start(h, "http://example.test/a/b/c?z=1");
        expect(answer(h, redirect(302, location))).toBe(getHead(target, host));
        expect(h.peer().address.address).toBe({ "example.test": "10.0.0.1", "other.test": "10.0.0.2" }[host] ?? "::1");
        h.peer().pushIncoming(ok("at target"));
        expect(summary(h.untilDone())).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 9"], "at target"]);
      });
    }
  });

  describe("credentials and connections", () => {
    const secrets = ["Authorization: Bearer t", "Cookie: s=1", "Proxy-Authorization: Basic eA==", "X-Keep: yes"];

    it("a cross-host redirect drops Authorization, Cookie and Proxy-Authorization, keeps the rest, and opens a new connection", () => {
      const h = setup();
      expect(start(h, "http://example.test/", secrets)).toBe(getHead("/", "example.test", secrets));
      const first = h.peer();
      expect(answer(h, redirect(302, "http://other.test/x"))).toBe(getHead("/x", "other.test", ["X-Keep: yes"]));
      expect(h.network.connections).toHaveLength(2);
      expect(first.isClosed()).toBe(true);
      h.peer().pushIncoming(ok("there"));
      expect(h.untilDone().text).toBe("there");
    });

    it("a same-origin redirect keeps the credentials and reuses the keep-alive connection (small 3xx body drained)", () => {
      const h = setup();
      start(h, "http://example.test/", secrets);
      const moved = wire("HTTP/1.1 301 Moved", ["Location: /in", "Content-Length: 13"], "moved here...");
      expect(answer(h, moved)).toBe(getHead("/in", "example.test", secrets));
      expect(h.network.connections).toHaveLength(1);
      h.peer().pushIncoming(ok("inside"));
      expect(summary(h.untilDone())).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 6"], "inside"]);
      expect(h.network.connections).toHaveLength(1);
      expect(h.peer(0).isClosed()).toBe(false); // kept for the next request
    });

    it("a same-origin redirect whose 3xx body arrives in a later tick still reuses the connection", () => {
      const h = setup();
      start(h, "http://example.test/");
      h.peer().pushIncoming(wire("HTTP/1.1 302 Found", ["Location: /in", "Content-Length: 4"], "ab"));
      h.tick();
      expect(h.peer().takeOutgoingText()).toBe("");
      h.peer().pushIncoming("cd");
      h.tick();
      expect(h.peer().takeOutgoingText()).toBe(getHead("/in"));
      expect(h.network.connections).toHaveLength(1);
    });

    it("a cross-origin redirect does not wait for the 3xx body before following", () => {
      const h = setup();
      start(h, "http://example.test/");
      h.peer().pushIncoming(wire("HTTP/1.1 302 Found", ["Location: http://other.test/x", "Content-Length: 1000"], "slow"));
      h.tick();
      expect(h.peer(0).isClosed()).toBe(true);
      expect(h.peer(1).takeOutgoingText()).toBe(getHead("/x", "other.test"));
      h.peer(1).pushIncoming(ok("x"));
      expect(h.untilDone().text).toBe("x");
    });

    it("a same-origin redirect with a close-delimited 3xx body follows at once on a new connection", () => {
      const h = setup();
      start(h, "http://example.test/");
      h.peer().pushIncoming(wire("HTTP/1.1 302 Found", ["Location: /x"], "this body ends when the server closes"));
      h.tick();
      expect(h.peer(0).isClosed()).toBe(true);
      expect(h.peer(1).takeOutgoingText()).toBe(getHead("/x"));
    });

    it("a same-origin 3xx whose body is larger than the drain bound is followed on a new connection", () => {
      const h = setup();
      start(h, "http://example.test/");
      const big = "b".repeat(200_000);
      h.peer().pushIncoming(wire("HTTP/1.1 301 Moved", ["Location: /x", `Content-Length: ${big.length}`], big));
      h.tick();
      expect(h.peer(0).isClosed()).toBe(true);
      expect(h.peer(1).takeOutgoingText()).toBe(getHead("/x"));
    });

    it("a same-origin 3xx with Connection: close is followed on a new connection", () => {
      const h = setup();
      start(h, "http://example.test/");
      expect(answer(h, redirect(302, "/in", ["Connection: close"]), () => h.peer(1))).toBe(getHead("/in"));
      expect(h.peer(0).isClosed()).toBe(true);
      h.peer(1).pushIncoming(ok("new"));
      expect(h.untilDone().text).toBe("new");
    });

    it("another port is another origin: credentials dropped, new connection", () => {
      const h = setup();
      start(h, "http://example.test/", secrets);
      expect(answer(h, redirect(307, "http://example.test:8080/p"))).toBe(getHead("/p", "example.test:8080", ["X-Keep: yes"]));
      expect(h.network.connections).toHaveLength(2);
      expect(h.peer(1).port).toBe(8080);
    });

    it("another scheme is another origin: credentials dropped, TLS connection opened", () => {
      const h = setup();
      start(h, "http://example.test/", secrets);
      h.peer().pushIncoming(redirect(308, "https://example.test/secure"));
      h.tick();
      expect(h.network.connections).toHaveLength(2);
      const tls = h.network.handshakes[0]!;
      expect(tls.options.servername).toBe("example.test");
      expect(h.peer(1).port).toBe(443);
      expect(tls.takeOutgoingText()).toBe(getHead("/secure", "example.test", ["X-Keep: yes"]));
      tls.pushIncoming(ok("tls"));
      expect(summary(h.untilDone())).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 3"], "tls"]);
    });
  });

  describe("what is not followed", () => {
    it("a 3xx without Location is the final response, body included", () => {
      const h = setup();
      start(h, "http://example.test/");
      h.peer().pushIncoming(wire("HTTP/1.1 302 Found", ["Content-Length: 2"], "hi"));
      expect(summary(h.untilDone())).toEqual(["RESULT_SUCCESS", 302, ["Content-Length: 2"], "hi"]);
    });

    for (const code of [300, 304, 305, 306]) {
      it(`${code} with a Location is not followed`, () => {
        const h = setup();
        start(h, "http://example.test/");
        h.peer().pushIncoming(wire(`HTTP/1.1 ${code} X`, ["Location: /else", "Content-Length: 0"]));
        expect(summary(h.untilDone())).toEqual(["RESULT_SUCCESS", code, ["Location: /else", "Content-Length: 0"], ""]);
        expect(h.peer().takeOutgoingText()).toBe("");
      });
    }

    it("conflicting Location values fail; identical duplicates are followed", () => {
      const h = setup();
      start(h, "http://example.test/");
      h.peer().pushIncoming(wire("HTTP/1.1 302 Found", ["Location: /a", "Location: /b", "Content-Length: 0"]));
      expect(h.untilDone().result).not.toBe(Result.RESULT_SUCCESS);
      const same = setup();
      start(same, "http://example.test/");
      expect(answer(same, wire("HTTP/1.1 302 Found", ["Location: /a", "location: /a", "Content-Length: 0"]))).toBe(getHead("/a"));
    });

    it("Content-Location is not Location: the 3xx is the final response", () => {
      const h = setup();
      start(h, "http://example.test/");
      const response = wire("HTTP/1.1 301 Moved", ["Content-Location: /elsewhere", "Content-Length: 4"], "body");
      h.peer().pushIncoming(response);
      h.tick();
      expect(h.completions.map(summary)).toEqual([["RESULT_SUCCESS", 301, ["Content-Location: /elsewhere", "Content-Length: 4"], "body"]]);
      expect(h.peer().takeOutgoingText()).toBe("");
    });

    for (const scheme of ["file", "data", "javascript", "ftp"]) {
      const target = {
        file: "file:///etc/passwd",
        data: "data:text/plain,hi",
        javascript: "javascript:alert(1)",
        ftp: "ftp://other.test/x",
      }[scheme]!;
      it(`a redirect to ${scheme}: fails with a reason that names the scheme`, () => {
        const h = setup();
        start(h, "http://example.test/");
        h.peer().pushIncoming(redirect(302, target));
        const done = h.untilDone();
        expect(done.result).not.toBe(Result.RESULT_SUCCESS);
        expect(done.reason).toContain(`"${scheme}:"`);
        expect([done.code, done.headers, done.text]).toEqual([302, [`Location: ${target}`, "Content-Length: 0"], ""]);
        expect(h.network.connections).toHaveLength(1);
        expect(h.peer().takeOutgoingText()).toBe("");
        h.ticks(20);
        expect(h.completions).toHaveLength(1);
      });
    }

    it("a Location holding a bare CR fails and is not followed", () => {
      const h = setup();
      start(h, "http://example.test/");
      h.peer().pushIncoming("HTTP/1.1 302 Found\r\nLocation: /a\rSet-Cookie: x=1\r\nContent-Length: 0\r\n\r\n");
      const done = h.untilDone();
      expect(done.result).not.toBe(Result.RESULT_SUCCESS);
      expect(h.network.connections).toHaveLength(1);
      expect(h.peer().takeOutgoingText()).toBe("");
    });

    it("a Location holding a control character fails and is not followed", () => {
      const h = setup();
      start(h, "http://example.test/");
      h.peer().pushIncoming("HTTP/1.1 302 Found\r\nLocation: /a\x01b\r\nContent-Length: 0\r\n\r\n");
      const done = h.untilDone();
      expect(done.result).not.toBe(Result.RESULT_SUCCESS);
      expect(h.peer().takeOutgoingText()).toBe("");
    });
  });

  describe("maxRedirects", () => {
    it("2 with a loop: the third 3xx ends with REDIRECT_LIMIT_REACHED, its code and headers, no body", () => {
      const h = setup();
      h.node.maxRedirects = 2;
      expect(start(h, "http://example.test/a")).toBe(getHead("/a"));
      expect(answer(h, redirect(302, "/b", ["X-Hop: 1"]))).toBe(getHead("/b"));
      expect(answer(h, redirect(301, "/a", ["X-Hop: 2"]))).toBe(getHead("/a"));
      h.peer().pushIncoming(wire("HTTP/1.1 307 Again", ["Location: /b", "X-Hop: 3", "Content-Length: 5"], "loop!"));
      h.tick();
      expect(h.completions.map(summary)).toEqual([
        ["RESULT_REDIRECT_LIMIT_REACHED", 307, ["Location: /b", "X-Hop: 3", "Content-Length: 5"], ""],
      ]);
      expect(h.peer().takeOutgoingText()).toBe("");
      expect(h.network.connections).toHaveLength(1);
    });

    it("0: the first 3xx ends with REDIRECT_LIMIT_REACHED", () => {
      const h = setup();
      h.node.maxRedirects = 0;
      start(h, "http://example.test/");
      h.peer().pushIncoming(redirect(301, "/x"));
      h.tick();
      expect(h.completions.map(summary)).toEqual([["RESULT_REDIRECT_LIMIT_REACHED", 301, ["Location: /x", "Content-Length: 0"], ""]]);
    });

    it("the default is 8", () => {
      const h = setup();
      expect(h.node.maxRedirects).toBe(8);
      start(h, "http://example.test/0");
      for (let i = 0; i < 8; i++) expect(answer(h, redirect(302, `/${i + 1}`))).toBe(getHead(`/${i + 1}`));
      h.peer().pushIncoming(redirect(302, "/9"));
      expect(resultName(h.untilDone().result)).toBe("RESULT_REDIRECT_LIMIT_REACHED");
    });

    it("-1 follows 20 hops, across hosts too", () => {
      const h = setup();
      h.node.maxRedirects = -1;
      start(h, "http://example.test/0");
      for (let i = 0; i < 20; i++) {
        const host = i % 2 === 0 ? "other.test" : "example.test";
        expect(answer(h, redirect(i % 3 === 0 ? 302 : 307, `http://${host}/${i + 1}`))).toBe(getHead(`/${i + 1}`, host));
      }
      h.peer().pushIncoming(ok("end"));
      const done = h.untilDone();
      expect(summary(done)).toEqual(["RESULT_SUCCESS", 200, ["Content-Length: 3"], "end"]);
      expect(h.completions).toHaveLength(1);
    });
  });
});
