import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { Err, resultName } from "../../src/index.ts";
import { bytes, getHead, ok, redirect, setup, wire } from "./helpers.ts";

interface Script {
  readonly name: string;
  /** The whole response as it arrives on the wire. */
  readonly response: Uint8Array;
  /** Whether the server closes after the response. */
  readonly end: boolean;
  /** A response the next hop gets in one piece (after a redirect), if any. */
  readonly then?: string;
}

type Outcome = [result: string, code: number, headers: string[], body: string, downloaded: number, bodySize: number, tick: number];

const GZ = gzipSync(Buffer.from("compressible ".repeat(20)));

const scripts: Script[] = [
  { name: "Content-Length", response: bytes(wire("HTTP/1.1 200 OK", ["X-A: 1", "Content-Length: 11"], "hello world")), end: false },
  {
    name: "chunked with an extension and a trailer",
    response: bytes(wire("HTTP/1.1 200 OK", ["Transfer-Encoding: chunked"], "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n")),
    end: false,
  },
  { name: "gzip", response: bytes(wire("HTTP/1.1 200 OK", ["Content-Encoding: gzip", `Content-Length: ${GZ.length}`]), GZ), end: false },
  { name: "close-delimited", response: bytes(wire("HTTP/1.0 200 OK", ["X-B: 2"], "until close")), end: true },
  {
    name: "100 Continue then 201",
    response: bytes("HTTP/1.1 100 Continue\r\n\r\n", wire("HTTP/1.1 201 Created", ["Content-Length: 2"], "ok")),
    end: false,
  },
  { name: "body cut short (CONNECTION_ERROR)", response: bytes(wire("HTTP/1.1 200 OK", ["Content-Length: 9"], "trunc")), end: true },
  {
    name: "same-origin redirect with a body",
    response: bytes(wire("HTTP/1.1 302 Found", ["Location: /next", "Content-Length: 4"], "gone")),
    end: false,
    then: ok("next"),
  },
];

/** Runs `script` with the response delivered in `pieces` (one push per tick) and returns the outcome. */
function run(script: Script, pieces: readonly Uint8Array[]): Outcome {
  const h = setup();
  expect(h.node.request("http://example.test/")).toBe(Err.OK);
  h.tick();
  expect(h.peer().takeOutgoingText()).toBe(getHead("/"));
  for (const piece of pieces) {
    h.peer().pushIncoming(piece);
    h.tick();
  }
  if (script.end) {
    h.peer().pushEnd();
    h.tick();
  }
  if (script.then !== undefined) {
    expect(h.peer().takeOutgoingText()).toBe(getHead("/next"));
    h.peer().pushIncoming(script.then);
    h.tick();
  }
  h.ticks(3);
  expect(h.completions).toHaveLength(1);
  const c = h.completions[0]!;
  return [resultName(c.result), c.code, c.headers, c.text, h.node.getDownloadedBytes(), h.node.getBodySize(), c.tick];
}

describe("HTTPRequest determinism: the same bytes in any split give the same signal (stepped)", () => {
  for (const script of scripts) {
    it(`${script.name}: every two-piece split and one byte per tick`, () => {
      const all = script.response;
      const reference = run(script, [all]);
      const referenceTick = reference[6];
      const outcome = (o: Outcome): Outcome => [...o.slice(0, 6), 0] as Outcome;
      for (let i = 1; i < all.length; i++) {
        const split = run(script, [all.subarray(0, i), all.subarray(i)]);
        expect(outcome(split), `split at ${i}`).toEqual(outcome(reference));
        expect(split[6], `tick of completion, split at ${i}`).toBe(referenceTick + 1);
      }
      const single = run(
        script,
        Array.from(all, (byte) => Uint8Array.of(byte)),
      );
      expect(outcome(single)).toEqual(outcome(reference));
      expect(single[6]).toBe(referenceTick + all.length - 1);
    });
  }

  it("the reference outcomes are what they should be", () => {
    expect(scripts.map((s) => run(s, [s.response]).slice(0, 4))).toEqual([
      ["RESULT_SUCCESS", 200, ["X-A: 1", "Content-Length: 11"], "hello world"],
      ["RESULT_SUCCESS", 200, ["Transfer-Encoding: chunked"], "hello world"],
      ["RESULT_SUCCESS", 200, ["Content-Encoding: gzip", `Content-Length: ${GZ.length}`], "compressible ".repeat(20)],
      ["RESULT_SUCCESS", 200, ["X-B: 2"], "until close"],
      ["RESULT_SUCCESS", 201, ["Content-Length: 2"], "ok"],
      ["RESULT_CONNECTION_ERROR", 200, ["Content-Length: 9"], ""],
      ["RESULT_SUCCESS", 200, ["Content-Length: 4"], "next"],
    ]);
  });

  it("a redirect chain across hosts split byte by byte gives the same result as in one piece", () => {
    const outcomes = [false, true].map((byteByByte) => {
      const h = setup();
      h.node.request("http://example.test/");
      const answers = [redirect(301, "http://other.test/a"), redirect(307, "/b"), ok("final", ["X-Z: 9"])];
      for (const answer of answers) {
        h.tick();
        h.peer().takeOutgoingText();
        const data = bytes(answer);
        const pieces = byteByByte ? Array.from(data, (b) => Uint8Array.of(b)) : [data];
        for (const piece of pieces) {
          h.peer().pushIncoming(piece);
          if (piece !== pieces[pieces.length - 1]) h.tick();
        }
      }
      h.ticks(3);
      return h.completions.map((c) => [resultName(c.result), c.code, c.headers, c.text]);
    });
    expect(outcomes[1]).toEqual(outcomes[0]);
    expect(outcomes[0]).toEqual([["RESULT_SUCCESS", 200, ["X-Z: 9", "Content-Length: 5"], "final"]]);
  });
});
