/**
 * Phase timeouts stepped in virtual time over a ScriptedNetwork: `connectTimeout` while resolving,
 * connecting or in the TLS handshake, `headTimeout` after the request went out, `idleTimeout`
 * between body bytes — each on the exact tick, whatever the byte splits of the response — and a
 * retry policy taking a phase timeout as a retryable failure.
 */
import { describe, expect, it } from "vitest";
import { Result, RetryPolicy } from "../../src/index.ts";
import { ok, setup, wire } from "./helpers.ts";

const DELTA = 0.1;
const HEAD = wire("HTTP/1.1 200 OK", ["Content-Length: 10"]);
const FULL = `${HEAD}hello`; // 5 of the 10 body bytes: the rest never comes

describe("connectTimeout", () => {
  const cases: [string, Parameters<typeof setup>[0], string][] = [
    ["a lookup that never answers", { hosts: {} }, "http://slow-dns.test/"],
    ["a connect that is never accepted", { autoAccept: false }, "http://example.test/"],
    ["a TLS handshake that never completes", { autoHandshake: false }, "https://example.test/"],
  ];
  for (const [what, options, url] of cases) {
    it(`${what}: RESULT_TIMEOUT on the tick the deltas reach it, reason naming the phase`, () => {
      const h = setup(options);
      h.node.connectTimeout = 0.5;
      h.node.request(url);
      const done = h.untilDone(20, DELTA);
      expect([done.result, done.tick]).toEqual([Result.RESULT_TIMEOUT, 5]);
      expect(done.reason).toMatch(/^connectTimeout: not connected to (slow-dns|example)\.test after 0\.5 s$/);
    });
  }

  it("a connection ready before the limit goes on", () => {
    const h = setup({ autoAccept: false });
    h.node.connectTimeout = 0.5;
    h.node.request("http://example.test/");
    h.ticks(3, DELTA);
    h.peer().accept(); // ready in tick 4, before the deltas reach 0.5 s in tick 5
    h.ticks(3, DELTA);
    h.peer().pushIncoming(ok("in time"));
    expect(h.untilDone(5, DELTA).text).toBe("in time");
  });
});

describe("headTimeout", () => {
  for (let k = 0; k < HEAD.length; k++) {
    it(`fires 0.5 s after the request went out, with ${k} bytes of the head received`, () => {
      const h = setup();
      h.node.headTimeout = 0.5;
      h.node.request("http://example.test/");
      h.tick(DELTA); // connected and sent
      if (k > 0) h.peer().pushIncoming(HEAD.slice(0, k));
      const done = h.untilDone(20, DELTA);
      expect([done.result, done.tick]).toEqual([Result.RESULT_TIMEOUT, 6]);
      expect(done.reason).toBe("headTimeout: no complete response head 0.5 s after the request was sent");
    });
  }

  it("does not apply once the head is complete", () => {
    const h = setup();
    h.node.headTimeout = 0.2;
    h.node.request("http://example.test/");
    h.tick(DELTA);
    h.peer().pushIncoming(HEAD);
    h.ticks(10, DELTA);
    expect(h.completions).toEqual([]);
  });
});

describe("idleTimeout", () => {
  for (let k = 1; k <= FULL.length; k++) {
    it(`fires 0.5 s after the last body byte, the response split at ${k}`, () => {
      const h = setup();
      h.node.idleTimeout = 0.5;
      h.node.request("http://example.test/");
      h.tick(DELTA);
      h.peer().pushIncoming(FULL.slice(0, k));
      h.tick(DELTA); // tick 2
      const rest = FULL.slice(k);
      if (rest !== "") h.peer().pushIncoming(rest);
      // The last body byte arrives in tick 3 when the second piece holds any; else in tick 2.
      const lastByteTick = rest === "" ? 2 : 3;
      const done = h.untilDone(20, DELTA);
      expect([done.result, done.tick]).toEqual([Result.RESULT_TIMEOUT, lastByteTick + 5]);
      expect(done.reason).toBe("idleTimeout: no body byte for 0.5 s");
    });
  }

  it("counts from the complete head when no body byte follows it", () => {
    const h = setup();
    h.node.idleTimeout = 0.5;
    h.node.request("http://example.test/");
    h.tick(DELTA);
    h.peer().pushIncoming(HEAD);
    const done = h.untilDone(20, DELTA);
    expect([done.result, done.tick]).toEqual([Result.RESULT_TIMEOUT, 7]);
  });

  it("a steady trickle never trips it", () => {
    const h = setup();
    h.node.idleTimeout = 0.25;
    h.node.request("http://example.test/");
    h.tick(DELTA);
    h.peer().pushIncoming(wire("HTTP/1.1 200 OK", ["Content-Length: 20"]));
    for (let i = 0; i < 20; i++) {
      h.tick(DELTA);
      h.tick(DELTA);
      h.peer().pushIncoming("x");
    }
    const done = h.untilDone(2, DELTA);
    expect([done.result, done.text]).toEqual([Result.RESULT_SUCCESS, "x".repeat(20)]);
  });

  it("a phase timeout is retried by the default policy; the overall timeout is not", () => {
    const h = setup();
    const retries: string[] = [];
    h.node.retrying.connect((_attempt, _delay, reason) => retries.push(reason));
    h.node.idleTimeout = 0.3;
    h.node.retryPolicy = new RetryPolicy({ baseDelay: 0.2, jitter: 0 });
    h.node.request("http://example.test/");
    h.tick(DELTA);
    h.peer(0).pushIncoming(HEAD);
    h.ticks(6, DELTA);
    expect(retries).toEqual(["RESULT_TIMEOUT"]);
    expect(h.network.connections).toHaveLength(2);
    h.peer(1).pushIncoming(ok("second"));
    expect(h.untilDone(5, DELTA).text).toBe("second");
  });

  it("negative or non-finite values are refused with a reason; 0 turns it off", () => {
    const h = setup();
    h.node.idleTimeout = 2;
    h.node.idleTimeout = -1;
    expect(h.node.idleTimeout).toBe(2);
    expect(h.node.getErrorReason()).toBe("idleTimeout must be a number >= 0, got -1");
    h.node.connectTimeout = Number.NaN;
    expect(h.node.connectTimeout).toBe(0);
    h.node.idleTimeout = 0;
    expect(h.node.idleTimeout).toBe(0);
  });
});
